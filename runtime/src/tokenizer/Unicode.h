// UTF-8 and Unicode helpers shared by the tokenizer pieces. Input to the
// tokenizer is validated once up front, so the decoders here assume valid
// UTF-8 unless their name says otherwise.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vlmc::tokenizer::detail {

// Length of the UTF-8 sequence introduced by lead byte `c` (1 for
// continuation bytes, so a scan always advances).
inline size_t utf8SeqLen(unsigned char c) {
  if (c < 0x80)
    return 1;
  if ((c >> 5) == 0x6)
    return 2;
  if ((c >> 4) == 0xE)
    return 3;
  if ((c >> 3) == 0x1E)
    return 4;
  return 1;
}

// Decodes the code point at s[i] of valid UTF-8 and advances i.
inline uint32_t decodeUtf8(std::string_view s, size_t &i) {
  auto c = static_cast<unsigned char>(s[i]);
  size_t n = utf8SeqLen(c);
  if (n == 1 || i + n > s.size()) {
    ++i;
    return c;
  }
  uint32_t cp = c & (0x7F >> n);
  for (size_t k = 1; k < n; ++k)
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  i += n;
  return cp;
}

void appendUtf8(std::string &out, uint32_t cp);

// Rust String::from_utf8_lossy semantics: every maximal invalid subsequence
// becomes one U+FFFD.
std::string lossyUtf8(std::string_view bytes);
std::optional<size_t> firstInvalidUtf8(std::string_view bytes);

// GPT-2's reversible byte <-> printable code point map used by ByteLevel.
uint32_t byteToCodepoint(uint8_t b);
// The byte for a code point of that map, or -1.
int codepointToByte(uint32_t cp);
// UTF-8 of byteToCodepoint(b) for all 256 bytes.
const std::array<std::string, 256> &byteToUtf8();

// Rust's char::is_numeric (general categories Nd, Nl, No).
bool isNumeric(uint32_t cp);
// Rust regex `\s` (Unicode White_Space).
bool isWhitespace(uint32_t cp);
// Rust regex `\w` (alphabetic, marks, decimal numbers, connector punctuation,
// join controls) approximated through general categories.
bool isWordChar(uint32_t cp);

} // namespace vlmc::tokenizer::detail
