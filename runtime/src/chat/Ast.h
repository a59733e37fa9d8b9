// The parsed template. One generic node type per layer (expressions,
// statements) keeps the parser and evaluator short; which fields are used
// depends on the kind, as noted.
#pragma once

#include "vlmc/chat/Value.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace vlmc::chat::detail {

// Deepest expression tree accepted; the evaluator recurses once per level,
// so this (with kMaxStatementNesting) bounds its stack use. Chains such as
// a + b + c ... or x|f|g|h ... count one level per link.
constexpr uint32_t kMaxExprDepth = 200;
constexpr uint32_t kMaxStatementNesting = 64;
// Parentheses / brackets / `not` / sign nesting (the parser's own recursion).
constexpr uint32_t kMaxParseNesting = 64;

enum class ExprKind {
  kLiteral, // value
  kName,    // name
  kList,    // items
  kTuple,   // items
  kDict,    // items: key0, value0, key1, value1, ...
  kGetAttr, // a.name
  kGetItem, // a[b]
  kSlice,   // [a:b:c] as the index of a kGetItem; each part may be null
  kCall,    // a(items..., kwargs...)
  kFilter,  // a | name(items..., kwargs...)
  kTest,    // a is [not] name(items..., kwargs...)   (negated)
  kNeg,     // -a
  kPos,     // +a
  kNot,     // not a
  kBinary,  // a op b, op in + - * / // % **
  kConcat,  // items[0] ~ items[1] ~ ...
  kCompare, // items[0] ops[0] items[1] ops[1] items[2] ...
  kAnd,     // a and b
  kOr,      // a or b
  kCond,    // a if b else c (c may be null)
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  ExprKind kind = ExprKind::kLiteral;
  uint32_t line = 0;
  uint32_t depth = 1;
  Value value;
  std::string name; // also the operator of kBinary
  std::vector<ExprPtr> items;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
  std::vector<std::string> ops; // kCompare: "==", "!=", "<", "<=", ">", ">=", "in", "notin"
  ExprPtr a, b, c;
  bool negated = false;
};

enum class StmtKind {
  kText,     // text
  kPrint,    // {{ expr }}
  kIf,       // conds[i] -> bodies[i]; elseBody
  kFor,      // for targets in expr [if filter]: bodies[0]; elseBody
  kSet,      // set targets = expr, or set target.attr = expr
  kSetBlock, // set target [| filters] ... endset: bodies[0], filters in expr
  kBreak,
  kContinue,
  kBlock, // a body rendered inline ({% generation %})
};

struct Stmt;
using Body = std::vector<Stmt>;

struct Stmt {
  StmtKind kind = StmtKind::kText;
  uint32_t line = 0;
  std::string text;
  ExprPtr expr;
  ExprPtr filter;
  std::vector<ExprPtr> conds;
  std::vector<Body> bodies;
  Body elseBody;
  std::vector<std::string> targets;
  std::string attr; // set ns.attr = ...
};

struct Program {
  std::string source;
  Body body;
};

} // namespace vlmc::chat::detail
