#include "Unicode.h"

#include <utf8proc.h>

namespace vlmc::tokenizer::detail {

void appendUtf8(std::string &out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

namespace {
// Length of the valid sequence at p (0 if invalid); `maximal` receives the
// length of the longest valid prefix of a sequence (Unicode "maximal
// subpart"), which is what one U+FFFD replaces. Table 3-7 of the standard.
size_t validSeq(const unsigned char *p, size_t avail, size_t &maximal) {
  unsigned char c = p[0];
  maximal = 1;
  if (c < 0x80)
    return 1;
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0)
      lo = 0xA0;
    else if (c == 0xED)
      hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0)
      lo = 0x90;
    else if (c == 0xF4)
      hi = 0x8F;
  } else {
    return 0;
  }
  for (size_t k = 1; k < n; ++k) {
    if (k >= avail)
      return 0;
    unsigned char b = p[k];
    unsigned char l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
    if (b < l || b > h)
      return 0;
    maximal = k + 1;
  }
  return n;
}
} // namespace

std::string lossyUtf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  auto *p = reinterpret_cast<const unsigned char *>(bytes.data());
  size_t i = 0, n = bytes.size();
  while (i < n) {
    size_t maximal;
    size_t len = validSeq(p + i, n - i, maximal);
    if (len) {
      out.append(bytes.data() + i, len);
      i += len;
    } else {
      out.append("\xEF\xBF\xBD");
      i += maximal;
    }
  }
  return out;
}

std::optional<size_t> firstInvalidUtf8(std::string_view bytes) {
  auto *p = reinterpret_cast<const unsigned char *>(bytes.data());
  size_t i = 0, n = bytes.size();
  while (i < n) {
    // ASCII fast path, 8 bytes at a time.
    while (i + 8 <= n) {
      uint64_t w;
      __builtin_memcpy(&w, p + i, 8);
      if (w & 0x8080808080808080ULL)
        break;
      i += 8;
    }
    if (i >= n)
      break;
    size_t maximal;
    size_t len = validSeq(p + i, n - i, maximal);
    if (!len)
      return i;
    i += len;
  }
  return std::nullopt;
}

namespace {
struct ByteTables {
  uint32_t toCp[256];
  int16_t fromCp[512];
  std::array<std::string, 256> utf8;
  ByteTables() {
    for (auto &v : fromCp)
      v = -1;
    bool direct[256] = {};
    for (int b = '!'; b <= '~'; ++b)
      direct[b] = true;
    for (int b = 0xA1; b <= 0xAC; ++b)
      direct[b] = true;
    for (int b = 0xAE; b <= 0xFF; ++b)
      direct[b] = true;
    uint32_t n = 0;
    for (int b = 0; b < 256; ++b)
      toCp[b] = direct[b] ? b : 256 + n++;
    for (int b = 0; b < 256; ++b) {
      fromCp[toCp[b]] = static_cast<int16_t>(b);
      appendUtf8(utf8[b], toCp[b]);
    }
  }
};
const ByteTables &byteTables() {
  static const ByteTables tables;
  return tables;
}
} // namespace

uint32_t byteToCodepoint(uint8_t b) { return byteTables().toCp[b]; }
int codepointToByte(uint32_t cp) {
  return cp < 512 ? byteTables().fromCp[cp] : -1;
}
const std::array<std::string, 256> &byteToUtf8() { return byteTables().utf8; }

bool isNumeric(uint32_t cp) {
  if (cp < 0x80)
    return cp >= '0' && cp <= '9';
  auto cat = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
  return cat == UTF8PROC_CATEGORY_ND || cat == UTF8PROC_CATEGORY_NL ||
         cat == UTF8PROC_CATEGORY_NO;
}

bool isWhitespace(uint32_t cp) {
  // The Unicode White_Space property, listed out (it is small and stable).
  switch (cp) {
  case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20:
  case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029:
  case 0x202F: case 0x205F: case 0x3000:
    return true;
  default:
    return cp >= 0x2000 && cp <= 0x200A;
  }
}

bool isWordChar(uint32_t cp) {
  if (cp < 0x80)
    return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') ||
           (cp >= 'A' && cp <= 'Z') || cp == '_';
  if (cp == 0x200C || cp == 0x200D)
    return true;
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
  case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL:
  case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LM:
  case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_MN:
  case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
  case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL:
  case UTF8PROC_CATEGORY_PC:
    return true;
  default:
    return false;
  }
}

} // namespace vlmc::tokenizer::detail
