#include "PyText.h"

#include <utf8proc.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace vlmc::chat::py {

CodePoint decodeAt(std::string_view s, size_t pos) {
  auto byte = [&](size_t i) -> uint32_t {
    return i < s.size() ? static_cast<unsigned char>(s[i]) : 0;
  };
  uint32_t b0 = byte(pos);
  if (b0 < 0x80)
    return {b0, 1};
  auto cont = [&](size_t i, uint32_t lo = 0x80, uint32_t hi = 0xBF) {
    uint32_t b = byte(i);
    return i < s.size() && b >= lo && b <= hi;
  };
  if (b0 >= 0xC2 && b0 <= 0xDF && cont(pos + 1))
    return {((b0 & 0x1F) << 6) | (byte(pos + 1) & 0x3F), 2};
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    uint32_t lo = b0 == 0xE0 ? 0xA0 : 0x80, hi = b0 == 0xED ? 0x9F : 0xBF;
    if (cont(pos + 1, lo, hi) && cont(pos + 2))
      return {((b0 & 0x0F) << 12) | ((byte(pos + 1) & 0x3F) << 6) |
                  (byte(pos + 2) & 0x3F),
              3};
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    uint32_t lo = b0 == 0xF0 ? 0x90 : 0x80, hi = b0 == 0xF4 ? 0x8F : 0xBF;
    if (cont(pos + 1, lo, hi) && cont(pos + 2) && cont(pos + 3))
      return {((b0 & 0x07) << 18) | ((byte(pos + 1) & 0x3F) << 12) |
                  ((byte(pos + 2) & 0x3F) << 6) | (byte(pos + 3) & 0x3F),
              4};
  }
  return {b0, 1}; // invalid: the byte stands for itself
}

void appendUtf8(std::string &out, uint32_t cp) {
  if (cp >= 0xD800 && cp <= 0xDFFF) // lone surrogates cannot be UTF-8
    cp = 0xFFFD;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp <= 0x10FFFF) {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    appendUtf8(out, 0xFFFD);
  }
}

size_t codePointCount(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); i += decodeAt(s, i).length)
    ++n;
  return n;
}

std::vector<size_t> codePointOffsets(std::string_view s) {
  std::vector<size_t> offsets;
  offsets.reserve(s.size() + 1);
  for (size_t i = 0; i < s.size(); i += decodeAt(s, i).length)
    offsets.push_back(i);
  offsets.push_back(s.size());
  return offsets;
}

std::vector<std::string> splitCodePoints(std::string_view s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    uint32_t len = decodeAt(s, i).length;
    out.emplace_back(s.substr(i, len));
    i += len;
  }
  return out;
}

bool isSpace(uint32_t cp) {
  // Python's str.isspace(): bidi class WS/B/S or category Zs.
  if (cp < 0x80)
    return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20);
  return cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
         cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

size_t spaceAt(std::string_view s, size_t pos) {
  if (pos >= s.size())
    return 0;
  CodePoint cp = decodeAt(s, pos);
  // An invalid byte is never whitespace, even if its value looks like one.
  if (cp.length == 1 && cp.value >= 0x80)
    return 0;
  return isSpace(cp.value) ? cp.length : 0;
}

std::string_view strip(std::string_view s, bool left, bool right) {
  size_t begin = 0, end = 0;
  bool seenNonSpace = false;
  for (size_t i = 0; i < s.size();) {
    size_t sp = spaceAt(s, i);
    size_t len = sp ? sp : decodeAt(s, i).length;
    if (!sp) {
      if (!seenNonSpace)
        begin = i;
      seenNonSpace = true;
      end = i + len;
    }
    i += len;
  }
  if (!seenNonSpace)
    return left || right ? std::string_view() : s;
  return s.substr(left ? begin : 0, (right ? end : s.size()) - (left ? begin : 0));
}

std::string_view stripChars(std::string_view s, std::string_view chars,
                            bool left, bool right) {
  std::vector<std::string> set = splitCodePoints(chars);
  auto inSet = [&](std::string_view cp) {
    return std::find(set.begin(), set.end(), cp) != set.end();
  };
  std::vector<size_t> offs = codePointOffsets(s);
  size_t first = 0, last = offs.size() - 1; // code point index range
  auto cpAt = [&](size_t k) {
    return s.substr(offs[k], offs[k + 1] - offs[k]);
  };
  if (left)
    while (first < last && inSet(cpAt(first)))
      ++first;
  if (right)
    while (last > first && inSet(cpAt(last - 1)))
      --last;
  return s.substr(offs[first], offs[last] - offs[first]);
}

std::vector<std::string> split(std::string_view s, std::string_view sep,
                               bool whitespace, int64_t maxsplit,
                               bool fromRight) {
  std::vector<std::string> out;
  auto limitReached = [&] {
    return maxsplit >= 0 && static_cast<int64_t>(out.size()) >= maxsplit;
  };
  if (!whitespace) {
    if (!fromRight) {
      size_t start = 0;
      while (!limitReached()) {
        size_t pos = s.find(sep, start);
        if (pos == std::string_view::npos)
          break;
        out.emplace_back(s.substr(start, pos - start));
        start = pos + sep.size();
      }
      out.emplace_back(s.substr(start));
      return out;
    }
    size_t end = s.size();
    while (!limitReached() && end >= sep.size()) {
      size_t pos = s.substr(0, end).rfind(sep);
      if (pos == std::string_view::npos)
        break;
      out.emplace_back(s.substr(pos + sep.size(), end - pos - sep.size()));
      end = pos;
    }
    out.emplace_back(s.substr(0, end));
    std::reverse(out.begin(), out.end());
    return out;
  }
  // Whitespace splitting drops empty fields; once maxsplit is reached the
  // rest is kept whole (only the whitespace before it is skipped).
  std::vector<size_t> offs = codePointOffsets(s);
  size_t m = offs.size() - 1;
  auto spaceCp = [&](size_t k) { return spaceAt(s, offs[k]) != 0; };
  if (!fromRight) {
    size_t k = 0;
    while (true) {
      while (k < m && spaceCp(k))
        ++k;
      if (k >= m)
        break;
      if (limitReached()) {
        out.emplace_back(s.substr(offs[k]));
        break;
      }
      size_t j = k;
      while (j < m && !spaceCp(j))
        ++j;
      out.emplace_back(s.substr(offs[k], offs[j] - offs[k]));
      k = j;
    }
    return out;
  }
  size_t k = m;
  while (true) {
    while (k > 0 && spaceCp(k - 1))
      --k;
    if (k == 0)
      break;
    if (limitReached()) {
      out.emplace_back(s.substr(0, offs[k]));
      break;
    }
    size_t j = k;
    while (j > 0 && !spaceCp(j - 1))
      --j;
    out.emplace_back(s.substr(offs[j], offs[k] - offs[j]));
    k = j;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

namespace {

enum class Case { kUpper, kLower, kTitle };

void appendMapped(std::string &out, std::string_view s, size_t pos,
                  CodePoint cp, Case c) {
  if (cp.length == 1 && cp.value >= 0x80) { // invalid byte: copy as is
    out += s[pos];
    return;
  }
  // utf8proc has the simple (1:1) mappings; Python uses the full ones, which
  // differ only for a handful of characters such as U+00DF.
  utf8proc_int32_t v = static_cast<utf8proc_int32_t>(cp.value);
  switch (c) {
  case Case::kUpper:
    v = utf8proc_toupper(v);
    break;
  case Case::kLower:
    v = utf8proc_tolower(v);
    break;
  case Case::kTitle:
    v = utf8proc_totitle(v);
    break;
  }
  appendUtf8(out, static_cast<uint32_t>(v));
}

std::string mapAll(std::string_view s, Case c) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    CodePoint cp = decodeAt(s, i);
    appendMapped(out, s, i, cp, c);
    i += cp.length;
  }
  return out;
}

utf8proc_category_t categoryOf(uint32_t cp) {
  return utf8proc_category(static_cast<utf8proc_int32_t>(cp));
}

bool isPrintable(uint32_t cp) {
  if (cp == ' ')
    return true;
  switch (categoryOf(cp)) {
  case UTF8PROC_CATEGORY_CC:
  case UTF8PROC_CATEGORY_CF:
  case UTF8PROC_CATEGORY_CS:
  case UTF8PROC_CATEGORY_CO:
  case UTF8PROC_CATEGORY_CN:
  case UTF8PROC_CATEGORY_ZL:
  case UTF8PROC_CATEGORY_ZP:
  case UTF8PROC_CATEGORY_ZS:
    return false;
  default:
    return true;
  }
}

bool isJinjaTitleSeparator(std::string_view s, size_t pos) {
  char c = s[pos];
  return c == '-' || c == '(' || c == '{' || c == '[' || c == '<' ||
         spaceAt(s, pos) != 0;
}

} // namespace

bool isCased(uint32_t cp) {
  auto cat = categoryOf(cp);
  return cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LL ||
         cat == UTF8PROC_CATEGORY_LT;
}
bool isUpperCp(uint32_t cp) {
  auto cat = categoryOf(cp);
  return cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LT;
}
bool isLowerCp(uint32_t cp) { return categoryOf(cp) == UTF8PROC_CATEGORY_LL; }
bool isAlpha(uint32_t cp) {
  auto cat = categoryOf(cp);
  return cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO;
}
bool isDigit(uint32_t cp) { return categoryOf(cp) == UTF8PROC_CATEGORY_ND; }

std::string upper(std::string_view s) { return mapAll(s, Case::kUpper); }
std::string lower(std::string_view s) { return mapAll(s, Case::kLower); }

std::string capitalize(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    CodePoint cp = decodeAt(s, i);
    appendMapped(out, s, i, cp, i == 0 ? Case::kTitle : Case::kLower);
    i += cp.length;
  }
  return out;
}

std::string title(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool previousCased = false;
  for (size_t i = 0; i < s.size();) {
    CodePoint cp = decodeAt(s, i);
    bool valid = !(cp.length == 1 && cp.value >= 0x80);
    if (valid && isCased(cp.value)) {
      appendMapped(out, s, i, cp, previousCased ? Case::kLower : Case::kTitle);
      previousCased = true;
    } else {
      out.append(s.substr(i, cp.length));
      previousCased = false;
    }
    i += cp.length;
  }
  return out;
}

std::string jinjaTitle(std::string_view s) {
  // Jinja splits on runs of [-\s({[<] and upper-cases the first character of
  // every piece, lower-casing the rest.
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    bool sep = isJinjaTitleSeparator(s, i);
    size_t j = i;
    while (j < s.size() && isJinjaTitleSeparator(s, j) == sep)
      j += decodeAt(s, j).length;
    for (size_t k = i; k < j;) {
      CodePoint cp = decodeAt(s, k);
      appendMapped(out, s, k, cp, k == i ? Case::kUpper : Case::kLower);
      k += cp.length;
    }
    i = j;
  }
  return out;
}

std::string repr(std::string_view s) {
  char quote = '\'';
  if (s.find('\'') != std::string_view::npos &&
      s.find('"') == std::string_view::npos)
    quote = '"';
  std::string out;
  out.reserve(s.size() + 2);
  out += quote;
  char buf[16];
  for (size_t i = 0; i < s.size();) {
    CodePoint cp = decodeAt(s, i);
    bool invalid = cp.length == 1 && cp.value >= 0x80;
    uint32_t v = cp.value;
    if (!invalid && (v == static_cast<uint32_t>(quote) || v == '\\')) {
      out += '\\';
      out += static_cast<char>(v);
    } else if (v == '\t') {
      out += "\\t";
    } else if (v == '\n') {
      out += "\\n";
    } else if (v == '\r') {
      out += "\\r";
    } else if (invalid || v < 0x20 || v == 0x7F) {
      std::snprintf(buf, sizeof buf, "\\x%02x", v);
      out += buf;
    } else if (v < 0x80 || isPrintable(v)) {
      out.append(s.substr(i, cp.length));
    } else if (v < 0x100) {
      std::snprintf(buf, sizeof buf, "\\x%02x", v);
      out += buf;
    } else if (v < 0x10000) {
      std::snprintf(buf, sizeof buf, "\\u%04x", v);
      out += buf;
    } else {
      std::snprintf(buf, sizeof buf, "\\U%08x", v);
      out += buf;
    }
    i += cp.length;
  }
  out += quote;
  return out;
}

std::string formatFloat(double x) {
  if (std::isnan(x))
    return "nan";
  if (std::isinf(x))
    return x < 0 ? "-inf" : "inf";
  // Shortest digit string that reads back as x (what repr() prints); %.*e
  // rounds correctly, so the first precision that round-trips is it.
  char buf[40];
  for (int precision = 0; precision < 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*e", precision, x);
    if (std::strtod(buf, nullptr) == x)
      break;
  }
  std::string_view text(buf);
  bool negative = text[0] == '-';
  if (negative)
    text.remove_prefix(1);
  size_t ePos = text.find('e');
  std::string digits;
  for (char c : text.substr(0, ePos))
    if (c != '.')
      digits += c;
  int exponent = std::atoi(std::string(text.substr(ePos + 1)).c_str());
  while (digits.size() > 1 && digits.back() == '0')
    digits.pop_back();

  std::string out = negative ? "-" : "";
  if (exponent >= -4 && exponent < 16) {
    if (exponent >= 0) {
      size_t intLen = static_cast<size_t>(exponent) + 1;
      if (digits.size() <= intLen) {
        out += digits + std::string(intLen - digits.size(), '0') + ".0";
      } else {
        out += digits.substr(0, intLen) + "." + digits.substr(intLen);
      }
    } else {
      out += "0." + std::string(static_cast<size_t>(-exponent - 1), '0') +
             digits;
    }
    return out;
  }
  out += digits.substr(0, 1);
  if (digits.size() > 1)
    out += "." + digits.substr(1);
  char ebuf[16];
  std::snprintf(ebuf, sizeof ebuf, "e%c%02d", exponent < 0 ? '-' : '+',
                std::abs(exponent));
  return out + ebuf;
}

} // namespace vlmc::chat::py
