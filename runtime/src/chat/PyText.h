// Python str behaviour over UTF-8 std::strings: what templates observe of
// strings is Python's (indexing and len() count code points, isspace is
// Unicode-aware, repr quotes like Python, floats print like repr(float)).
//
// Input is normally valid UTF-8; an invalid byte is treated as one code point
// of its own and copied through unchanged, so nothing here can fail.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vlmc::chat::py {

struct CodePoint {
  uint32_t value; // the byte itself for an invalid sequence
  uint32_t length; // bytes consumed, >= 1
};
CodePoint decodeAt(std::string_view s, size_t pos);
void appendUtf8(std::string &out, uint32_t cp);

size_t codePointCount(std::string_view s);
// Byte offset of every code point, plus s.size() at the end.
std::vector<size_t> codePointOffsets(std::string_view s);
// The code points of s as separate strings (list("abc")).
std::vector<std::string> splitCodePoints(std::string_view s);

// str.isspace() for one code point.
bool isSpace(uint32_t cp);
// Length of the whitespace code point at pos, 0 if none.
size_t spaceAt(std::string_view s, size_t pos);

// str.strip()/lstrip()/rstrip(), with whitespace or with a set of chars.
std::string_view strip(std::string_view s, bool left, bool right);
std::string_view stripChars(std::string_view s, std::string_view chars,
                            bool left, bool right);

// str.split()/rsplit(): sep empty means "runs of whitespace"; maxsplit < 0
// means no limit.
std::vector<std::string> split(std::string_view s, std::string_view sep,
                               bool whitespace, int64_t maxsplit,
                               bool fromRight);

std::string upper(std::string_view s);
std::string lower(std::string_view s);
std::string capitalize(std::string_view s); // str.capitalize()
std::string title(std::string_view s);      // str.title()
std::string jinjaTitle(std::string_view s); // Jinja's |title filter
bool isCased(uint32_t cp);
bool isUpperCp(uint32_t cp);
bool isLowerCp(uint32_t cp);
bool isAlpha(uint32_t cp);
bool isDigit(uint32_t cp);

// repr(str): quoted and escaped as Python prints it inside a list or dict.
std::string repr(std::string_view s);
// repr(float): shortest round-trip digits, e.g. 1.0, 0.1, 1e+16, 1e-05.
std::string formatFloat(double x);

} // namespace vlmc::chat::py
