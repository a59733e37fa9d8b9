// The PCRE2 layer: `\s` must mean Unicode White_Space, as in Oniguruma/HF.
#include "TestUtil.h"

#include "Regex.h"

namespace vlmc::tokenizer::test {
namespace {

using Ranges = std::vector<std::pair<size_t, size_t>>;

Ranges findAll(const std::string &pattern, const std::string &text) {
  auto re = detail::Regex::compile(pattern);
  EXPECT_TRUE(re.isOk()) << re.status().message();
  Ranges out;
  if (re.isOk()) {
    EXPECT_TRUE((*re)->findAll(text, out).isOk());
  }
  return out;
}

TEST(TokenizerRegexTest, RewritesWhitespaceClasses) {
  const std::string ws = "\\t\\n\\x0B\\f\\r\\x{85}\\p{Z}";
  EXPECT_EQ(detail::rewriteWhitespaceClasses("\\s+(?!\\S)"),
            "[" + ws + "]+(?![^" + ws + "])");
  EXPECT_EQ(detail::rewriteWhitespaceClasses("[^\\s\\p{L}]"),
            "[^" + ws + "\\p{L}]");
  // Escaped backslash, literal ']' first in a class, POSIX classes.
  EXPECT_EQ(detail::rewriteWhitespaceClasses("\\\\s[]s][[:alpha:]\\s]"),
            "\\\\s[]s][[:alpha:]" + ws + "]");
}

TEST(TokenizerRegexTest, WhitespaceIsWhiteSpaceProperty) {
  // U+180E is a format character (not White_Space) since Unicode 6.3.
  EXPECT_TRUE(findAll("\\s+", "a\xE1\xA0\x8E" "b").empty());
  EXPECT_EQ(findAll("\\s+", "a\xC2\x85" "b"), (Ranges{{1, 3}}));     // NEL
  EXPECT_EQ(findAll("\\s+", "a\xE3\x80\x80" "b"), (Ranges{{1, 4}})); // U+3000
  EXPECT_EQ(findAll("\\s+", "a\xE2\x80\xA9" "b"), (Ranges{{1, 4}})); // U+2029
  EXPECT_TRUE(findAll("\\s+", "a\xE2\x80\x8B" "b").empty());         // ZWSP
  EXPECT_EQ(findAll("[^\\s\\p{L}]+", "a\xE1\xA0\x8E!b"), (Ranges{{1, 5}}));
}

TEST(TokenizerRegexTest, BadPatternIsAnError) {
  auto re = detail::Regex::compile("(?<");
  ASSERT_FALSE(re.isOk());
  EXPECT_NE(re.status().message().find("cannot compile regex"),
            std::string::npos);
}

} // namespace
} // namespace vlmc::tokenizer::test
