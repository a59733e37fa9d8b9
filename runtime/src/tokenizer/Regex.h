// A compiled PCRE2 pattern (UTF + UCP, JIT when available). HF compiles its
// patterns with Oniguruma; the patterns used by these tokenizers (GPT-2's,
// Qwen2's) mean the same in PCRE2, and the golden tests hold us to that.
#pragma once

#include "vlmc/support/Status.h"

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vlmc::tokenizer::detail {

class Regex {
public:
  static Result<std::shared_ptr<const Regex>> compile(std::string_view pattern);
  ~Regex();
  Regex(const Regex &) = delete;
  Regex &operator=(const Regex &) = delete;

  // Appends the [start, end) byte ranges of all non-overlapping matches in
  // `subject` (valid UTF-8), left to right. Empty matches are skipped.
  Status findAll(std::string_view subject,
                 std::vector<std::pair<size_t, size_t>> &out) const;

private:
  Regex() = default;
  void *code_ = nullptr; // pcre2_code_8
  bool jit_ = false;
};

// `\s` / `\S` spelled out as the Unicode White_Space set (what Oniguruma,
// and so HF, means by them); applied by Regex::compile.
std::string rewriteWhitespaceClasses(std::string_view pattern);

} // namespace vlmc::tokenizer::detail
