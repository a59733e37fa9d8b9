// Template text -> tokens, reproducing jinja2's lexer with the settings
// transformers uses (trim_blocks, lstrip_blocks, keep_trailing_newline off):
//   * "\r\n" and "\r" become "\n" and one trailing newline is dropped;
//   * {%- / {{- / {#- strip all whitespace before the tag, -%} / -}} / -#}
//     all whitespace after it;
//   * trim_blocks: one newline right after %} or #} is removed (not after
//     }}; +%} keeps it);
//   * lstrip_blocks: spaces/tabs between the start of a line and {% or {#
//     are removed ({%+ keeps them);
//   * {% raw %}...{% endraw %} becomes one text token;
//   * comments vanish.
#pragma once

#include "vlmc/support/Status.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vlmc::chat::detail {

enum class TokenType : uint8_t {
  kText,       // template data outside tags
  kVarBegin,   // {{
  kVarEnd,     // }}
  kBlockBegin, // {%
  kBlockEnd,   // %}
  kName,
  kString, // text holds the decoded value
  kInt,
  kFloat,
  kOperator, // text holds the spelling: "+", "//", "==", "(", ...
  kEnd,
};

struct Token {
  TokenType type = TokenType::kEnd;
  std::string text;
  int64_t intValue = 0;
  double floatValue = 0;
  uint32_t line = 1;
  uint32_t column = 1;
};

// Largest template accepted (real chat templates are a few KiB).
constexpr size_t kMaxTemplateBytes = size_t(4) << 20;

// Always ends with a kEnd token. Errors: kInvalidArgument
// "chat template line L, column C: ...".
Result<std::vector<Token>> tokenize(std::string_view source);

// "chat template line L, column C: message".
Status syntaxError(uint32_t line, uint32_t column, const std::string &message);

} // namespace vlmc::chat::detail
