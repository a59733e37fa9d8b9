// Hostile input must give ids or an error Status, never a crash or hang:
// random bytes, invalid UTF-8, megabyte runs of one character class.
#include "TestUtil.h"

#include <random>

namespace vlmc::tokenizer::test {
namespace {

const char *const kNames[] = {"qwen", "smolvlm", "tinystories"};

std::string randomBytes(std::mt19937 &rng, size_t n) {
  std::string s(n, '\0');
  for (char &c : s)
    c = static_cast<char>(rng() & 0xFF);
  return s;
}

// Random code points from a mix of ranges (ASCII, Latin, combining marks,
// CJK, emoji, specials), always valid UTF-8.
std::string randomText(std::mt19937 &rng, size_t n) {
  static const std::pair<uint32_t, uint32_t> ranges[] = {
      {0x20, 0x7E},     {0x09, 0x0D},   {0xA0, 0x24F},  {0x300, 0x36F},
      {0x400, 0x4FF},   {0x4E00, 0x4FFF}, {0xAC00, 0xACFF}, {0x1F300, 0x1F6FF},
      {0x2000, 0x206F}, {0xFFF0, 0xFFFD}, {0x180E, 0x180E}, {0x85, 0x85}};
  std::string s;
  for (size_t k = 0; k < n; ++k) {
    auto [lo, hi] = ranges[rng() % (sizeof(ranges) / sizeof(ranges[0]))];
    uint32_t cp = lo + rng() % (hi - lo + 1);
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else if (cp < 0x800) {
      s += static_cast<char>(0xC0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      s += static_cast<char>(0xE0 | (cp >> 12));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      s += static_cast<char>(0xF0 | (cp >> 18));
      s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  return s;
}

TEST(TokenizerRobustnessTest, RandomBytes) {
  std::mt19937 rng(1234);
  for (const char *name : kNames) {
    const Tokenizer &tok = realTokenizer(name);
    for (int iter = 0; iter < 200; ++iter) {
      std::string bytes = randomBytes(rng, rng() % 300);
      auto r = tok.encode(bytes);
      if (findInvalidUtf8(bytes)) {
        ASSERT_FALSE(r.isOk());
        EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
      }
      // The documented lossy route always works.
      auto clean = tok.encode(sanitizeUtf8(bytes));
      ASSERT_TRUE(clean.isOk()) << name << ": " << clean.status().message();
      auto text = tok.decode(*clean);
      ASSERT_TRUE(text.isOk());
      EXPECT_FALSE(findInvalidUtf8(*text).has_value());
    }
  }
}

TEST(TokenizerRobustnessTest, RandomTextRoundTripsForByteLevel) {
  std::mt19937 rng(99);
  for (const char *name : {"qwen", "smolvlm"}) {
    const Tokenizer &tok = realTokenizer(name);
    for (int iter = 0; iter < 200; ++iter) {
      std::string text = randomText(rng, rng() % 200);
      auto ids = tok.encode(text);
      ASSERT_TRUE(ids.isOk()) << ids.status().message();
      auto back = tok.decode(*ids);
      ASSERT_TRUE(back.isOk());
      if (std::string(name) == "smolvlm") { // no normalizer: exact round trip
        EXPECT_EQ(*back, text);
      }
    }
  }
}

TEST(TokenizerRobustnessTest, RandomIdsDecode) {
  std::mt19937 rng(7);
  for (const char *name : kNames) {
    const Tokenizer &tok = realTokenizer(name);
    std::vector<TokenId> ids;
    for (int k = 0; k < 5000; ++k)
      ids.push_back(static_cast<TokenId>(rng() % (tok.vocabSize() + 100)) - 50);
    auto text = tok.decode(ids);
    ASSERT_TRUE(text.isOk());
    EXPECT_FALSE(findInvalidUtf8(*text).has_value());
    StreamDecoder stream = tok.streamDecoder();
    for (size_t k = 0; k < 500; ++k)
      ASSERT_TRUE(stream.step(ids[k]).isOk());
  }
}

TEST(TokenizerRobustnessTest, HugeRuns) {
  const size_t n = 1 << 20;
  const std::string inputs[] = {
      std::string(n, ' '),  std::string(n, '\n'), std::string(n, 'a'),
      std::string(n, '7'),  std::string(n, '!'),
      [&] {
        std::string s;
        while (s.size() < n)
          s += " \t\r\n\xC2\xA0\xE3\x80\x80"; // incl. NBSP, ideographic space
        return s;
      }(),
      [&] {
        std::string s;
        while (s.size() < n)
          s += "e\xCC\x81"; // e + combining acute: NFC work everywhere
        return s;
      }(),
  };
  for (const char *name : kNames) {
    const Tokenizer &tok = realTokenizer(name);
    for (const std::string &in : inputs) {
      auto ids = tok.encode(in);
      ASSERT_TRUE(ids.isOk()) << name << ": " << ids.status().message();
      EXPECT_FALSE(ids->empty());
      auto text = tok.decode(*ids);
      ASSERT_TRUE(text.isOk());
    }
  }
}

TEST(TokenizerRobustnessTest, EmptyAndTiny) {
  for (const char *name : kNames) {
    const Tokenizer &tok = realTokenizer(name);
    auto empty = tok.encode("");
    ASSERT_TRUE(empty.isOk());
    EXPECT_TRUE(empty->empty());
    EXPECT_TRUE(tok.encode(std::string(1, '\0')).isOk());
    auto none = tok.decode({});
    ASSERT_TRUE(none.isOk());
    EXPECT_EQ(*none, "");
  }
}

} // namespace
} // namespace vlmc::tokenizer::test
