// Every case of tokenizer_goldens.json (ids and decoded text produced by HF
// tokenizers 0.23.2), one test per string so a failure names it.
#include "TestUtil.h"

#include <nlohmann/json.hpp>

#include <fstream>

namespace vlmc::tokenizer::test {
namespace {

struct GoldenCase {
  std::string tokenizer;
  size_t index;
  std::string text;
  std::vector<TokenId> ids;
  std::string decoded;
};

// Keeps gtest from dumping the struct's bytes in test listings.
void PrintTo(const GoldenCase &c, std::ostream *os) {
  *os << c.tokenizer << "[" << c.index << "]";
}

std::vector<GoldenCase> loadGoldens() {
  std::ifstream in(dataDir() + "/tokenizer_goldens.json");
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  std::vector<GoldenCase> cases;
  if (!j.is_object())
    return cases; // GoldenCount below then fails loudly
  for (const char *name : {"qwen", "smolvlm", "tinystories"}) {
    if (!j.contains(name))
      continue;
    size_t k = 0;
    for (const auto &c : j[name]) {
      cases.push_back({name, k++, c["text"].get<std::string>(),
                       c["ids"].get<std::vector<TokenId>>(),
                       c["decoded"].get<std::string>()});
    }
  }
  return cases;
}

const std::vector<GoldenCase> &goldens() {
  static const std::vector<GoldenCase> cases = loadGoldens();
  return cases;
}

TEST(TokenizerGoldenFile, HasAllCases) {
  EXPECT_EQ(goldens().size(), 72u);
}

class TokenizerGoldenTest : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(TokenizerGoldenTest, Encode) {
  const GoldenCase &c = GetParam();
  auto ids = realTokenizer(c.tokenizer).encode(c.text);
  ASSERT_TRUE(ids.isOk()) << ids.status().message();
  EXPECT_EQ(*ids, c.ids) << "text: " << c.text;
}

TEST_P(TokenizerGoldenTest, Decode) {
  const GoldenCase &c = GetParam();
  auto text = realTokenizer(c.tokenizer).decode(c.ids);
  ASSERT_TRUE(text.isOk()) << text.status().message();
  EXPECT_EQ(*text, c.decoded);
}

// Streaming one id at a time reproduces decode() (no golden ends in U+FFFD).
TEST_P(TokenizerGoldenTest, StreamDecode) {
  const GoldenCase &c = GetParam();
  StreamDecoder stream = realTokenizer(c.tokenizer).streamDecoder();
  std::string all;
  for (TokenId id : c.ids) {
    auto chunk = stream.step(id);
    ASSERT_TRUE(chunk.isOk()) << chunk.status().message();
    if (*chunk)
      all += **chunk;
  }
  EXPECT_EQ(all, c.decoded);
}

INSTANTIATE_TEST_SUITE_P(
    All, TokenizerGoldenTest, ::testing::ValuesIn(goldens()),
    [](const ::testing::TestParamInfo<GoldenCase> &info) {
      return info.param.tokenizer + "_" + std::to_string(info.param.index);
    });

} // namespace
} // namespace vlmc::tokenizer::test
