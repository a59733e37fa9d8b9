// Vocabulary access, special tokens, addSpecialTokens and decode options.
#include "TestUtil.h"

#include <thread>

namespace vlmc::tokenizer::test {
namespace {

TEST(TokenizerApiTest, QwenVocabulary) {
  const Tokenizer &tok = realTokenizer("qwen");
  EXPECT_EQ(tok.vocabSize(), 151669u);
  EXPECT_EQ(tok.tokenToId("<|im_start|>"), 151644);
  EXPECT_EQ(tok.tokenToId("Hello"), 9707);
  EXPECT_EQ(tok.idToToken(1879), "Ġworld");
  EXPECT_EQ(tok.idToToken(151655), "<|image_pad|>");
  EXPECT_FALSE(tok.idToToken(-1).has_value());
  EXPECT_FALSE(tok.idToToken(10000000).has_value());
  EXPECT_FALSE(tok.tokenToId("definitely not a token").has_value());
  EXPECT_TRUE(tok.isSpecialToken(151644));
  EXPECT_FALSE(tok.isSpecialToken(151667)); // <think> is added, not special
  EXPECT_FALSE(tok.isSpecialToken(9707));
  EXPECT_EQ(tok.addedTokens().size(), 26u);
}

TEST(TokenizerApiTest, QwenSpecialTokensFromConfig) {
  const SpecialTokens &s = realTokenizer("qwen").specialTokens();
  EXPECT_FALSE(s.bos.has_value());
  EXPECT_EQ(s.eos, 151645);
  EXPECT_EQ(s.pad, 151643);
  EXPECT_FALSE(s.addBos);
}

TEST(TokenizerApiTest, QwenAddsNothingWithSpecialTokens) {
  const Tokenizer &tok = realTokenizer("qwen");
  auto a = tok.encode("Hello world", false);
  auto b = tok.encode("Hello world", true);
  ASSERT_TRUE(a.isOk() && b.isOk());
  EXPECT_EQ(*a, *b);
}

TEST(TokenizerApiTest, SmolVlmSpecialTokens) {
  const Tokenizer &tok = realTokenizer("smolvlm");
  const SpecialTokens &s = tok.specialTokens();
  EXPECT_EQ(s.bos, 1);
  EXPECT_EQ(s.eos, 49279);
  EXPECT_EQ(s.pad, 2);
  EXPECT_EQ(s.unk, 0);
  EXPECT_EQ(tok.vocabSize(), 49280u);
  auto ids = tok.encode("Hello world", true);
  ASSERT_TRUE(ids.isOk());
  EXPECT_EQ(*ids, (std::vector<TokenId>{19556, 905})); // no template: as HF
}

TEST(TokenizerApiTest, TinyStoriesAddsBos) {
  const Tokenizer &tok = realTokenizer("tinystories");
  EXPECT_EQ(tok.specialTokens().bos, 1);
  EXPECT_EQ(tok.specialTokens().eos, 2);
  EXPECT_EQ(tok.specialTokens().unk, 0);
  auto ids = tok.encode("Hello world", true);
  ASSERT_TRUE(ids.isOk());
  EXPECT_EQ(*ids, (std::vector<TokenId>{1, 80, 1288, 139, 410, 555}));
}

TEST(TokenizerApiTest, SkipSpecialTokens) {
  const Tokenizer &tok = realTokenizer("qwen");
  std::vector<TokenId> ids = {151644, 872, 198, 9707, 151645, 151667};
  auto keep = tok.decode(ids, false);
  auto skip = tok.decode(ids, true);
  ASSERT_TRUE(keep.isOk() && skip.isOk());
  EXPECT_EQ(*keep, "<|im_start|>user\nHello<|im_end|><think>");
  // <think> is not special, so it stays.
  EXPECT_EQ(*skip, "user\nHello<think>");
}

TEST(TokenizerApiTest, TinyStoriesNormalizedSpecialTokens) {
  const Tokenizer &tok = realTokenizer("tinystories");
  // normalized=true added tokens match in normalized text ("▁<|start_story|>")
  // and decode through their normalized form, as in HF.
  auto ids = tok.encode("<|start_story|>Once");
  ASSERT_TRUE(ids.isOk());
  EXPECT_EQ(ids->front(), 1);
  auto text = tok.decode({1, 80, 1288}, false);
  ASSERT_TRUE(text.isOk());
  EXPECT_EQ(*text, "<|start_story|> Hell");
  auto skipped = tok.decode({1, 80, 1288}, true);
  ASSERT_TRUE(skipped.isOk());
  EXPECT_EQ(*skipped, "Hell");
}

TEST(TokenizerApiTest, EncodeWithPieces) {
  const Tokenizer &tok = realTokenizer("qwen");
  std::vector<TokenId> ids;
  std::vector<std::string> pieces;
  ASSERT_TRUE(tok.encodeWithPieces("Hello world<|im_end|>", false, ids, pieces)
                  .isOk());
  EXPECT_EQ(ids, (std::vector<TokenId>{9707, 1879, 151645}));
  EXPECT_EQ(pieces, (std::vector<std::string>{"Hello", "Ġworld", "<|im_end|>"}));
}

TEST(TokenizerApiTest, ByteFallbackAndLegacyMerges) {
  auto tok = Tokenizer::fromJson(kTinyByteFallbackJson);
  ASSERT_TRUE(tok.isOk()) << tok.status().message();
  // "ab" -> "▁ab"; "é" = C3 A9 via byte fallback; "東" (E6 9D B1) too;
  // "xy" are unknown and fuse into one <unk>.
  auto ids = tok->encode("ab é東xyab");
  ASSERT_TRUE(ids.isOk()) << ids.status().message();
  EXPECT_EQ(*ids, (std::vector<TokenId>{11, 7, 2, 3, 4, 5, 6, 0, 10}));
  auto text = tok->decode(*ids);
  ASSERT_TRUE(text.isOk());
  EXPECT_EQ(*text, "ab é東<unk>ab");
  auto withBos = tok->encode("ab", true);
  ASSERT_TRUE(withBos.isOk());
  EXPECT_EQ(*withBos, (std::vector<TokenId>{1, 11}));
}

TEST(TokenizerApiTest, InvalidByteRunDecodesToReplacementPerByte) {
  auto tok = Tokenizer::fromJson(kTinyByteFallbackJson);
  ASSERT_TRUE(tok.isOk());
  // <0xE6><0x9D> alone is an incomplete character: one U+FFFD per byte.
  auto text = tok->decode({4, 5, 8});
  ASSERT_TRUE(text.isOk());
  EXPECT_EQ(*text, "\xEF\xBF\xBD\xEF\xBF\xBD" "a");
}

TEST(TokenizerApiTest, InvalidUtf8IsRejected) {
  const Tokenizer &tok = realTokenizer("qwen");
  auto r = tok.encode(std::string("ab\xC3(cd", 6));
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("byte offset 2"), std::string::npos);
  EXPECT_EQ(findInvalidUtf8("ab\xC3(cd"), 2u);
  EXPECT_EQ(sanitizeUtf8("ab\xC3(cd"), "ab\xEF\xBF\xBD(cd");
  // A truncated sequence is one replacement; each stray byte is one.
  EXPECT_EQ(sanitizeUtf8("\xE6\x9D"), "\xEF\xBF\xBD");
  EXPECT_EQ(sanitizeUtf8("\x80\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(sanitizeUtf8("\xED\xA0\x80"), // surrogate: 3 maximal subparts
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  auto ok = tok.encode(sanitizeUtf8("ab\xC3(cd"));
  EXPECT_TRUE(ok.isOk());
}

TEST(TokenizerApiTest, UnknownIdsAreSkippedInDecode) {
  const Tokenizer &tok = realTokenizer("qwen");
  auto text = tok.decode({9707, -5, 99999999, 1879});
  ASSERT_TRUE(text.isOk());
  EXPECT_EQ(*text, "Hello world");
}

// encode/decode are const and may run concurrently (shared word cache).
TEST(TokenizerApiTest, ConcurrentEncode) {
  const Tokenizer &tok = realTokenizer("qwen");
  const std::string text =
      "The quick brown fox 123 jumps over the lazy dog. 東京タワー 😀\n";
  auto expected = tok.encode(text);
  ASSERT_TRUE(expected.isOk());
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int k = 0; k < 200; ++k) {
        auto ids = tok.encode(text + std::to_string(k % 7));
        auto base = tok.encode(text);
        if (!base.isOk() || *base != *expected || !ids.isOk())
          ++mismatches[t];
      }
    });
  for (auto &th : threads)
    th.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

} // namespace
} // namespace vlmc::tokenizer::test
