#include "Lexer.h"

#include "PyText.h"

#include <algorithm>
#include <cstdlib>

namespace vlmc::chat::detail {

Status syntaxError(uint32_t line, uint32_t column, const std::string &message) {
  return invalidArgument("chat template line " + std::to_string(line) +
                         ", column " + std::to_string(column) + ": " +
                         message);
}

namespace {

bool isDigitChar(char c) { return c >= '0' && c <= '9'; }
bool isNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool isNameChar(char c) { return isNameStart(c) || isDigitChar(c); }

int digitValue(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z')
    return c - 'A' + 10;
  return 99;
}

// Operators, longest first so "//" wins over "/".
const char *const kOperators[] = {"//", "**", "==", "!=", ">=", "<=", "+",
                                  "-",  "/",  "*",  "%",  "~",  "[",  "]",
                                  "(",  ")",  "{",  "}",  ">",  "<",  "=",
                                  ".",  ":",  "|",  ",",  ";"};

std::string normalizeNewlines(std::string_view source) {
  std::string out;
  out.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out += '\n';
      if (i + 1 < source.size() && source[i + 1] == '\n')
        ++i;
    } else {
      out += source[i];
    }
  }
  // keep_trailing_newline=False: jinja2 drops exactly one final newline.
  if (!out.empty() && out.back() == '\n')
    out.pop_back();
  return out;
}

class Lexer {
public:
  explicit Lexer(std::string source) : src_(std::move(source)) {
    lineStarts_.push_back(0);
    for (size_t i = 0; i < src_.size(); ++i)
      if (src_[i] == '\n')
        lineStarts_.push_back(i + 1);
  }

  Result<std::vector<Token>> run() {
    while (pos_ < src_.size()) {
      size_t tag = findTagStart(pos_);
      if (tag == std::string::npos) {
        emitText(src_.substr(pos_), pos_);
        pos_ = src_.size();
        break;
      }
      char kind = src_[tag + 1];
      size_t afterSign = tag + 2;
      char sign = 0;
      if (afterSign < src_.size() &&
          (src_[afterSign] == '-' || src_[afterSign] == '+'))
        sign = src_[afterSign++];
      size_t rawBodyStart = 0;
      bool raw = kind == '%' && matchRawBegin(afterSign, rawBodyStart);
      emitText(leftControl(std::string_view(src_).substr(pos_, tag - pos_),
                           sign, kind != '{'),
               pos_);
      if (raw) {
        pos_ = rawBodyStart;
        VLMC_RETURN_IF_ERROR(lexRawBody(tag));
      } else if (kind == '#') {
        VLMC_RETURN_IF_ERROR(skipComment(tag, afterSign));
      } else {
        bool block = kind == '%';
        emit(block ? TokenType::kBlockBegin : TokenType::kVarBegin, tag);
        pos_ = afterSign;
        VLMC_RETURN_IF_ERROR(lexTag(block, tag));
      }
    }
    emit(TokenType::kEnd, src_.size());
    return std::move(tokens_);
  }

private:
  void position(size_t offset, uint32_t &line, uint32_t &column) const {
    auto it = std::upper_bound(lineStarts_.begin(), lineStarts_.end(), offset);
    size_t index = static_cast<size_t>(it - lineStarts_.begin()) - 1;
    line = static_cast<uint32_t>(index + 1);
    column = static_cast<uint32_t>(offset - lineStarts_[index] + 1);
  }

  Status error(size_t offset, const std::string &message) const {
    uint32_t line, column;
    position(offset, line, column);
    return syntaxError(line, column, message);
  }

  Token &emit(TokenType type, size_t offset) {
    Token token;
    token.type = type;
    position(offset, token.line, token.column);
    tokens_.push_back(std::move(token));
    return tokens_.back();
  }

  void emitText(std::string_view text, size_t offset) {
    if (!text.empty())
      emit(TokenType::kText, offset).text = std::string(text);
  }

  size_t findTagStart(size_t from) const {
    for (size_t i = src_.find('{', from); i != std::string::npos;
         i = src_.find('{', i + 1)) {
      if (i + 1 < src_.size() &&
          (src_[i + 1] == '{' || src_[i + 1] == '%' || src_[i + 1] == '#'))
        return i;
    }
    return std::string::npos;
  }

  bool startsWith(size_t at, std::string_view s) const {
    return src_.compare(at, s.size(), s) == 0;
  }

  size_t skipSpaces(size_t at) const {
    while (size_t len = py::spaceAt(src_, at))
      at += len;
    return at;
  }

  bool allSpaces(std::string_view s) const {
    for (size_t i = 0; i < s.size();) {
      size_t len = py::spaceAt(s, i);
      if (!len)
        return false;
      i += len;
    }
    return true;
  }

  // Whitespace control for the text before a tag: "-" strips everything,
  // lstrip_blocks strips a whitespace-only line prefix before {% and {#
  // (only at a line start: after a newline in the text, at the start of the
  // template, or right after a tag whose end consumed a newline).
  std::string_view leftControl(std::string_view text, char sign,
                               bool blockOrComment) const {
    if (sign == '-')
      return py::strip(text, false, true);
    if (sign == '+' || !blockOrComment)
      return text;
    size_t lineStart = text.rfind('\n');
    lineStart = lineStart == std::string_view::npos ? 0 : lineStart + 1;
    std::string_view tail = text.substr(lineStart);
    if ((lineStart > 0 || lineStarting_) && !tail.empty() && allSpaces(tail))
      return text.substr(0, lineStart);
    return text;
  }

  // The end of a block-like tag at `at`: "+%}" keeps what follows, "-%}"
  // eats all whitespace, "%}" eats one newline (trim_blocks). Same for
  // comments with "#}". Returns false if no end is at `at`.
  bool matchBlockEnd(size_t at, char closer, size_t &end) const {
    std::string plain = std::string(1, closer) + "}";
    if (startsWith(at, "+" + plain)) {
      end = at + 3;
    } else if (startsWith(at, "-" + plain)) {
      end = skipSpaces(at + 3);
    } else if (startsWith(at, plain)) {
      end = at + 2;
      if (end < src_.size() && src_[end] == '\n')
        ++end;
    } else {
      return false;
    }
    return true;
  }

  void finishTag(size_t end) {
    pos_ = end;
    lineStarting_ = end > 0 && src_[end - 1] == '\n';
  }

  // {% raw %} (with optional whitespace control); jinja2 does not apply
  // trim_blocks to the raw tag itself.
  bool matchRawBegin(size_t at, size_t &bodyStart) const {
    at = skipSpaces(at);
    if (!startsWith(at, "raw"))
      return false;
    at = skipSpaces(at + 3);
    if (startsWith(at, "-%}")) {
      bodyStart = skipSpaces(at + 3);
      return true;
    }
    if (startsWith(at, "%}")) {
      bodyStart = at + 2;
      return true;
    }
    return false;
  }

  Status lexRawBody(size_t rawTag) {
    lineStarting_ = pos_ > 0 && src_[pos_ - 1] == '\n';
    for (size_t i = src_.find("{%", pos_); i != std::string::npos;
         i = src_.find("{%", i + 1)) {
      size_t at = i + 2;
      char sign = 0;
      if (at < src_.size() && (src_[at] == '-' || src_[at] == '+'))
        sign = src_[at++];
      at = skipSpaces(at);
      if (!startsWith(at, "endraw"))
        continue;
      size_t end;
      if (!matchBlockEnd(skipSpaces(at + 6), '%', end))
        continue;
      emitText(leftControl(std::string_view(src_).substr(pos_, i - pos_),
                           sign, true),
               pos_);
      finishTag(end);
      return Status::ok();
    }
    return error(rawTag, "missing end of raw directive");
  }

  Status skipComment(size_t tag, size_t bodyStart) {
    for (size_t i = bodyStart; i < src_.size(); ++i) {
      size_t end;
      if ((src_[i] == '+' || src_[i] == '-' || src_[i] == '#') &&
          matchBlockEnd(i, '#', end)) {
        finishTag(end);
        return Status::ok();
      }
    }
    return error(tag, "missing end of comment tag");
  }

  Status lexTag(bool block, size_t tagStart) {
    std::vector<char> balance; // closers expected for open ( [ {
    while (true) {
      if (pos_ >= src_.size())
        return error(tagStart, block ? "unexpected end of template, expected '%}'"
                                     : "unexpected end of template, expected '}}'");
      if (balance.empty()) {
        size_t end;
        if (block && matchBlockEnd(pos_, '%', end)) {
          emit(TokenType::kBlockEnd, pos_);
          finishTag(end);
          return Status::ok();
        }
        if (!block && startsWith(pos_, "-}}")) {
          emit(TokenType::kVarEnd, pos_);
          finishTag(skipSpaces(pos_ + 3));
          return Status::ok();
        }
        if (!block && startsWith(pos_, "}}")) {
          emit(TokenType::kVarEnd, pos_);
          finishTag(pos_ + 2);
          return Status::ok();
        }
      }
      if (size_t len = py::spaceAt(src_, pos_)) {
        pos_ += len;
        continue;
      }
      size_t end;
      if (matchFloat(pos_, end)) {
        std::string digits;
        for (size_t i = pos_; i < end; ++i)
          if (src_[i] != '_')
            digits += src_[i];
        emit(TokenType::kFloat, pos_).floatValue =
            std::strtod(digits.c_str(), nullptr);
        pos_ = end;
        continue;
      }
      if (matchInt(pos_, end)) {
        int64_t value;
        if (!parseInt(pos_, end, value))
          return error(pos_, "integer literal too large");
        emit(TokenType::kInt, pos_).intValue = value;
        pos_ = end;
        continue;
      }
      char c = src_[pos_];
      if (isNameStart(c)) {
        size_t e = pos_;
        while (e < src_.size() && isNameChar(src_[e]))
          ++e;
        emit(TokenType::kName, pos_).text = src_.substr(pos_, e - pos_);
        pos_ = e;
        continue;
      }
      if (c == '\'' || c == '"') {
        size_t e = pos_ + 1;
        while (e < src_.size() && src_[e] != c)
          e += src_[e] == '\\' ? 2 : 1;
        if (e < src_.size()) {
          std::string value;
          VLMC_RETURN_IF_ERROR(unescape(pos_ + 1, e, value));
          emit(TokenType::kString, pos_).text = std::move(value);
          pos_ = e + 1;
          continue;
        }
        // Unterminated: fall through to the error below, as jinja2 does.
      }
      const char *op = nullptr;
      for (const char *candidate : kOperators) {
        if (startsWith(pos_, candidate)) {
          op = candidate;
          break;
        }
      }
      if (!op) {
        py::CodePoint cp = py::decodeAt(src_, pos_);
        return error(pos_, "unexpected char " +
                               py::repr(src_.substr(pos_, cp.length)));
      }
      std::string spelling = op;
      if (spelling == "(" || spelling == "[" || spelling == "{") {
        balance.push_back(spelling == "(" ? ')' : spelling == "[" ? ']' : '}');
      } else if (spelling == ")" || spelling == "]" || spelling == "}") {
        if (balance.empty())
          return error(pos_, "unexpected '" + spelling + "'");
        if (balance.back() != spelling[0])
          return error(pos_, "unexpected '" + spelling + "', expected '" +
                                 std::string(1, balance.back()) + "'");
        balance.pop_back();
      }
      emit(TokenType::kOperator, pos_).text = spelling;
      pos_ += spelling.size();
    }
  }

  // (\d+_)*\d+ : digits with single underscores between them.
  size_t matchDigits(size_t at) const {
    if (at >= src_.size() || !isDigitChar(src_[at]))
      return std::string::npos;
    while (true) {
      while (at < src_.size() && isDigitChar(src_[at]))
        ++at;
      if (at + 1 < src_.size() && src_[at] == '_' && isDigitChar(src_[at + 1]))
        ++at;
      else
        return at;
    }
  }

  // jinja2's float_re: digits then a fraction, an exponent or both; never
  // right after a '.' (so foo.0.1 is two subscripts).
  bool matchFloat(size_t at, size_t &end) const {
    if (at > 0 && src_[at - 1] == '.')
      return false;
    size_t p = matchDigits(at);
    if (p == std::string::npos)
      return false;
    bool fraction = false;
    if (p + 1 < src_.size() && src_[p] == '.' && isDigitChar(src_[p + 1])) {
      p = matchDigits(p + 1);
      fraction = true;
    }
    if (p < src_.size() && (src_[p] == 'e' || src_[p] == 'E')) {
      size_t q = p + 1;
      if (q < src_.size() && (src_[q] == '+' || src_[q] == '-'))
        ++q;
      size_t r = matchDigits(q);
      if (r != std::string::npos) {
        end = r;
        return true;
      }
    }
    if (fraction)
      end = p;
    return fraction;
  }

  // jinja2's integer_re: 0b/0o/0x with optional single underscores, decimal
  // without leading zeros, or a run of zeros.
  bool matchInt(size_t at, size_t &end) const {
    if (at >= src_.size() || !isDigitChar(src_[at]))
      return false;
    if (src_[at] == '0' && at + 1 < src_.size()) {
      char p = static_cast<char>(src_[at + 1] | 0x20);
      int base = p == 'b' ? 2 : p == 'o' ? 8 : p == 'x' ? 16 : 0;
      if (base) {
        size_t q = at + 2;
        size_t last = std::string::npos;
        while (true) {
          size_t r = q;
          if (r < src_.size() && src_[r] == '_')
            ++r;
          if (r < src_.size() && digitValue(src_[r]) < base) {
            q = r + 1;
            last = q;
          } else {
            break;
          }
        }
        if (last != std::string::npos) {
          end = last;
          return true;
        }
      }
    }
    char want = src_[at] == '0' ? '0' : 0; // "0(_?0)*" or "[1-9](_?\d)*"
    size_t q = at + 1;
    while (true) {
      size_t r = q;
      if (r < src_.size() && src_[r] == '_')
        ++r;
      if (r < src_.size() && (want ? src_[r] == want : isDigitChar(src_[r])))
        q = r + 1;
      else
        break;
    }
    end = q;
    return true;
  }

  bool parseInt(size_t begin, size_t end, int64_t &value) const {
    int base = 10;
    if (end - begin > 2 && src_[begin] == '0' && !isDigitChar(src_[begin + 1])) {
      char p = static_cast<char>(src_[begin + 1] | 0x20);
      base = p == 'b' ? 2 : p == 'o' ? 8 : 16;
      begin += 2;
    }
    uint64_t acc = 0;
    for (size_t i = begin; i < end; ++i) {
      if (src_[i] == '_')
        continue;
      uint64_t d = static_cast<uint64_t>(digitValue(src_[i]));
      if (acc > (static_cast<uint64_t>(INT64_MAX) - d) / base)
        return false;
      acc = acc * base + d;
    }
    value = static_cast<int64_t>(acc);
    return true;
  }

  // Python's unicode-escape decoding of a literal's body [begin, end).
  Status unescape(size_t begin, size_t end, std::string &out) const {
    auto hexRun = [&](size_t at, int count, uint32_t &cp) {
      if (at + count > end)
        return false;
      cp = 0;
      for (int k = 0; k < count; ++k) {
        int d = digitValue(src_[at + k]);
        if (d >= 16)
          return false;
        cp = cp * 16 + static_cast<uint32_t>(d);
      }
      return true;
    };
    for (size_t i = begin; i < end; ++i) {
      char c = src_[i];
      if (c != '\\' || i + 1 >= end) {
        out += c;
        continue;
      }
      char e = src_[++i];
      switch (e) {
      case '\n': // line continuation
        break;
      case '\\':
      case '\'':
      case '"':
        out += e;
        break;
      case 'a':
        out += '\a';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case 'x':
      case 'u':
      case 'U': {
        int count = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        uint32_t cp;
        if (!hexRun(i + 1, count, cp))
          return error(i - 1, std::string("truncated \\") + e + " escape");
        if (cp > 0x10FFFF)
          return error(i - 1, "illegal Unicode character in escape");
        py::appendUtf8(out, cp);
        i += static_cast<size_t>(count);
        break;
      }
      case 'N':
        return error(i - 1, "\\N{...} escapes are not supported");
      default:
        if (e >= '0' && e <= '7') {
          uint32_t cp = static_cast<uint32_t>(e - '0');
          for (int k = 0; k < 2 && i + 1 < end && src_[i + 1] >= '0' &&
                          src_[i + 1] <= '7';
               ++k)
            cp = cp * 8 + static_cast<uint32_t>(src_[++i] - '0');
          py::appendUtf8(out, cp);
        } else { // unknown escapes stay as written
          out += '\\';
          out += e;
        }
      }
    }
    return Status::ok();
  }

  std::string src_;
  size_t pos_ = 0;
  std::vector<size_t> lineStarts_;
  std::vector<Token> tokens_;
  // jinja2's line_starting: the previous tag ended with a newline (or this
  // is the start), so lstrip_blocks applies even without a newline in the
  // text before the next tag.
  bool lineStarting_ = true;
};

} // namespace

Result<std::vector<Token>> tokenize(std::string_view source) {
  if (source.size() > kMaxTemplateBytes)
    return invalidArgument("chat template is larger than " +
                           std::to_string(kMaxTemplateBytes) + " bytes");
  return Lexer(normalizeNewlines(source)).run();
}

} // namespace vlmc::chat::detail
