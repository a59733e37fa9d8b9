// StreamDecoder: emits only complete UTF-8 and matches decode().
#include "TestUtil.h"

namespace vlmc::tokenizer::test {
namespace {

std::vector<std::optional<std::string>> stepAll(StreamDecoder &s,
                                                const std::vector<TokenId> &ids) {
  std::vector<std::optional<std::string>> out;
  for (TokenId id : ids) {
    auto r = s.step(id);
    EXPECT_TRUE(r.isOk()) << r.status().message();
    out.push_back(r.isOk() ? *r : std::nullopt);
  }
  return out;
}

TEST(TokenizerStreamTest, ByteFallbackSplitsACharacter) {
  auto tok = Tokenizer::fromJson(kTinyByteFallbackJson);
  ASSERT_TRUE(tok.isOk());
  StreamDecoder s = tok->streamDecoder();
  // ▁ab, ▁, <0xE6> <0x9D> <0xB1> (東), ab
  auto out = stepAll(s, {11, 7, 4, 5, 6, 10});
  ASSERT_EQ(out.size(), 6u);
  EXPECT_EQ(out[0], "ab");
  EXPECT_EQ(out[1], " ");
  EXPECT_EQ(out[2], std::nullopt); // incomplete character: nothing yet
  EXPECT_EQ(out[3], std::nullopt);
  EXPECT_EQ(out[4], "東");
  EXPECT_EQ(out[5], "ab");
}

TEST(TokenizerStreamTest, StripOnlyAtTheStart) {
  auto tok = Tokenizer::fromJson(kTinyByteFallbackJson);
  ASSERT_TRUE(tok.isOk());
  StreamDecoder s = tok->streamDecoder();
  auto out = stepAll(s, {11, 11, 11});
  EXPECT_EQ(out[0], "ab");
  EXPECT_EQ(out[1], " ab");
  EXPECT_EQ(out[2], " ab");
  s.reset();
  EXPECT_EQ(*s.step(11), std::optional<std::string>("ab"));
}

TEST(TokenizerStreamTest, SurvivesMovingTheTokenizer) {
  auto tok = Tokenizer::fromJson(kTinyByteFallbackJson);
  ASSERT_TRUE(tok.isOk());
  StreamDecoder s = tok->streamDecoder();
  Tokenizer moved = std::move(*tok);
  auto r = s.step(11);
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ(*r, std::optional<std::string>("ab"));
}

TEST(TokenizerStreamTest, ByteLevelSplitsACharacter) {
  const Tokenizer &tok = realTokenizer("qwen");
  // 🐱 needs several byte-level tokens; the stream waits for all of them.
  auto ids = tok.encode("a 🐱b");
  ASSERT_TRUE(ids.isOk());
  StreamDecoder s = tok.streamDecoder();
  std::string all;
  for (TokenId id : *ids) {
    auto r = s.step(id);
    ASSERT_TRUE(r.isOk());
    if (*r) {
      EXPECT_FALSE(findInvalidUtf8(**r).has_value());
      all += **r;
    }
  }
  EXPECT_EQ(all, "a 🐱b");
}

TEST(TokenizerStreamTest, SkipSpecial) {
  const Tokenizer &tok = realTokenizer("qwen");
  StreamDecoder s = tok.streamDecoder(/*skipSpecialTokens=*/true);
  auto out = stepAll(s, {151644, 9707, 151645, 1879});
  EXPECT_EQ(out[0], std::nullopt);
  EXPECT_EQ(out[1], "Hello");
  EXPECT_EQ(out[2], std::nullopt);
  EXPECT_EQ(out[3], " world");
}

} // namespace
} // namespace vlmc::tokenizer::test
