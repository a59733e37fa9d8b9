// Tokens -> Program, following jinja2's grammar and operator precedence
// (lowest first): `x if c else y`, or, and, not, comparisons and in,
// + -, ~, * / // %, **, unary - +, then postfix . [] () | is.
//
// Only the tags chat templates use are accepted; jinja2 tags outside the
// subset (macro, call, include, ...) and filters/tests that are not
// implemented are rejected here, at parse time, with their name.
#pragma once

#include "Ast.h"

#include "vlmc/support/Status.h"

#include <string_view>

namespace vlmc::chat::detail {

Result<Program> parseTemplate(std::string_view source);

} // namespace vlmc::chat::detail
