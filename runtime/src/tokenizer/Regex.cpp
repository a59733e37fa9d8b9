#include "Regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <string>

namespace vlmc::tokenizer::detail {

namespace {
// Per-thread scratch: match data and a JIT stack that may grow large, because
// pathological inputs (megabytes of one character class) need deep
// backtracking state. Failing with an error is fine; crashing is not.
struct ThreadScratch {
  pcre2_match_data *md = nullptr;
  pcre2_jit_stack *stack = nullptr;
  pcre2_match_context *ctx = nullptr;
  ThreadScratch() {
    md = pcre2_match_data_create(16, nullptr);
    stack = pcre2_jit_stack_create(64 * 1024, 64 * 1024 * 1024, nullptr);
    ctx = pcre2_match_context_create(nullptr);
    if (ctx && stack)
      pcre2_jit_stack_assign(ctx, nullptr, stack);
  }
  ~ThreadScratch() {
    pcre2_match_context_free(ctx);
    pcre2_jit_stack_free(stack);
    pcre2_match_data_free(md);
  }
};
ThreadScratch &scratch() {
  thread_local ThreadScratch s;
  return s;
}
} // namespace

// PCRE2 10.42's UCP `\s` still counts U+180E (MONGOLIAN VOWEL SEPARATOR,
// format character since Unicode 6.3) as space, where Oniguruma, hence HF,
// follows the White_Space property. Spell `\s` / `\S` out as White_Space,
// which is exactly tab..CR, NEL and the Z categories.
std::string rewriteWhitespaceClasses(std::string_view p) {
  static const char kSpace[] = "\\t\\n\\x0B\\f\\r\\x{85}\\p{Z}";
  std::string out;
  bool inClass = false;
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      char e = p[++i];
      if (e == 's')
        out += inClass ? std::string(kSpace) : "[" + std::string(kSpace) + "]";
      else if (e == 'S' && !inClass)
        out += "[^" + std::string(kSpace) + "]";
      else
        out.append({c, e}); // includes \S inside a class: left to PCRE2
      continue;
    }
    if (!inClass && c == '[') {
      inClass = true;
      out += c;
      // A leading ']' (after an optional '^') is a literal member.
      if (i + 1 < p.size() && p[i + 1] == '^')
        out += p[++i];
      if (i + 1 < p.size() && p[i + 1] == ']')
        out += p[++i];
      continue;
    }
    if (inClass && c == '[' && i + 1 < p.size() && p[i + 1] == ':') {
      size_t end = p.find(":]", i + 2); // POSIX class such as [:alpha:]
      if (end != std::string_view::npos) {
        out.append(p.substr(i, end + 2 - i));
        i = end + 1;
        continue;
      }
    }
    if (inClass && c == ']')
      inClass = false;
    out += c;
  }
  return out;
}

Result<std::shared_ptr<const Regex>> Regex::compile(std::string_view source) {
  std::string pattern = rewriteWhitespaceClasses(source);
  int err = 0;
  PCRE2_SIZE errOffset = 0;
  pcre2_code *code = pcre2_compile(
      reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
      PCRE2_UTF | PCRE2_UCP, &err, &errOffset, nullptr);
  if (!code) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(err, buf, sizeof(buf));
    return invalidArgument("cannot compile regex '" + std::string(source) +
                           "' at offset " + std::to_string(errOffset) + ": " +
                           reinterpret_cast<const char *>(buf));
  }
  std::shared_ptr<Regex> re(new Regex());
  re->code_ = code;
  re->jit_ = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
  return std::shared_ptr<const Regex>(std::move(re));
}

Regex::~Regex() { pcre2_code_free(static_cast<pcre2_code *>(code_)); }

Status Regex::findAll(std::string_view subject,
                      std::vector<std::pair<size_t, size_t>> &out) const {
  auto *code = static_cast<pcre2_code *>(code_);
  ThreadScratch &s = scratch();
  if (!s.md || !s.ctx)
    return Status(StatusCode::kResourceExhausted,
                  "cannot allocate regex match data");
  auto *subj = reinterpret_cast<PCRE2_SPTR>(subject.data());
  size_t pos = 0;
  while (pos <= subject.size()) {
    // The subject was validated as UTF-8 when it entered the tokenizer.
    int rc = jit_ ? pcre2_jit_match(code, subj, subject.size(), pos,
                                    PCRE2_NO_UTF_CHECK, s.md, s.ctx)
                  : pcre2_match(code, subj, subject.size(), pos,
                                PCRE2_NO_UTF_CHECK, s.md, s.ctx);
    if (rc == PCRE2_ERROR_NOMATCH)
      break;
    if (rc < 0) {
      PCRE2_UCHAR buf[256];
      pcre2_get_error_message(rc, buf, sizeof(buf));
      return Status(StatusCode::kResourceExhausted,
                    std::string("regex match failed: ") +
                        reinterpret_cast<const char *>(buf));
    }
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s.md);
    size_t start = ov[0], end = ov[1];
    if (end > start) {
      out.emplace_back(start, end);
      pos = end;
    } else {
      // Empty match: step over one whole code point.
      if (start >= subject.size())
        break;
      pos = start + 1;
      while (pos < subject.size() &&
             (static_cast<unsigned char>(subject[pos]) & 0xC0) == 0x80)
        ++pos;
    }
  }
  return Status::ok();
}

} // namespace vlmc::tokenizer::detail
