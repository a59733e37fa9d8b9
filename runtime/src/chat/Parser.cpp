#include "Parser.h"

#include "Builtins.h"
#include "Lexer.h"
#include "Try.h"

#include <algorithm>
#include <initializer_list>

namespace vlmc::chat::detail {
namespace {

// jinja2 tags this implementation leaves out, reported as unsupported rather
// than unknown.
const char *const kUnsupportedTags[] = {
    "macro",   "call",  "filter",     "with",    "include", "import",
    "from",    "extends", "block",    "autoescape", "do",   "trans",
    "pluralize", "print", "debug"};

class Parser {
public:
  explicit Parser(std::vector<Token> tokens) : toks_(std::move(tokens)) {}

  Result<Body> parseAll() {
    std::string endedBy;
    return parseBody({}, endedBy);
  }

private:
  const Token &cur() const { return toks_[pos_]; }
  const Token &peek(size_t k = 1) const {
    return toks_[std::min(pos_ + k, toks_.size() - 1)];
  }
  void next() {
    if (pos_ + 1 < toks_.size())
      ++pos_;
  }
  bool isOp(const Token &t, std::string_view op) const {
    return t.type == TokenType::kOperator && t.text == op;
  }
  bool isOp(std::string_view op) const { return isOp(cur(), op); }
  bool isName(const Token &t, std::string_view name) const {
    return t.type == TokenType::kName && t.text == name;
  }
  bool isName(std::string_view name) const { return isName(cur(), name); }

  static std::string describe(const Token &t) {
    switch (t.type) {
    case TokenType::kText:
      return "template data";
    case TokenType::kVarBegin:
      return "begin of print statement";
    case TokenType::kVarEnd:
      return "end of print statement";
    case TokenType::kBlockBegin:
      return "begin of statement block";
    case TokenType::kBlockEnd:
      return "end of statement block";
    case TokenType::kName:
    case TokenType::kOperator:
      return "'" + t.text + "'";
    case TokenType::kString:
      return "string";
    case TokenType::kInt:
      return "integer";
    case TokenType::kFloat:
      return "float";
    case TokenType::kEnd:
      return "end of template";
    }
    return "token";
  }

  Status error(const Token &t, const std::string &message) const {
    return syntaxError(t.line, t.column, message);
  }
  Status unexpected(const Token &t) const {
    return error(t, "unexpected " + describe(t));
  }

  Status expectOp(std::string_view op) {
    if (!isOp(op))
      return error(cur(), "expected '" + std::string(op) + "', got " +
                              describe(cur()));
    next();
    return Status::ok();
  }
  Status expect(TokenType type, const char *what) {
    if (cur().type != type)
      return error(cur(), std::string("expected ") + what + ", got " +
                              describe(cur()));
    next();
    return Status::ok();
  }
  Status expectBlockEnd() {
    return expect(TokenType::kBlockEnd, "end of statement block");
  }
  Result<std::string> expectName() {
    if (cur().type != TokenType::kName)
      return error(cur(), "expected a name, got " + describe(cur()));
    std::string name = cur().text;
    next();
    return name;
  }

  // --- nodes ----------------------------------------------------------------

  ExprPtr node(ExprKind kind, const Token &at) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->line = at.line;
    return e;
  }

  // Records the depth of a finished node; deeper trees are refused before
  // they grow further, so neither evaluation nor destruction recurses past
  // kMaxExprDepth.
  Result<ExprPtr> finish(ExprPtr e) {
    uint32_t d = 0;
    for (const ExprPtr *child : {&e->a, &e->b, &e->c})
      if (*child)
        d = std::max(d, (*child)->depth);
    for (const auto &item : e->items)
      if (item)
        d = std::max(d, item->depth);
    for (const auto &kw : e->kwargs)
      d = std::max(d, kw.second->depth);
    e->depth = d + 1;
    if (e->depth > kMaxExprDepth)
      return syntaxError(e->line, 1, "expression is nested too deeply");
    return Result<ExprPtr>(std::move(e));
  }

  Result<ExprPtr> unary(ExprKind kind, const Token &at, ExprPtr a) {
    ExprPtr e = node(kind, at);
    e->a = std::move(a);
    return finish(std::move(e));
  }
  Result<ExprPtr> binary(ExprKind kind, const Token &at, ExprPtr a, ExprPtr b,
                         std::string op = {}) {
    ExprPtr e = node(kind, at);
    e->a = std::move(a);
    e->b = std::move(b);
    e->name = std::move(op);
    return finish(std::move(e));
  }

  // Guards the parser's own recursion (parentheses, not/unary chains).
  struct Nest {
    explicit Nest(uint32_t &level) : level(level) { ++level; }
    ~Nest() { --level; }
    uint32_t &level;
  };
  Status checkNesting(const Token &at) const {
    if (exprNesting_ > kMaxParseNesting)
      return error(at, "expression is nested too deeply");
    return Status::ok();
  }

  // --- expressions ----------------------------------------------------------

  bool isTupleEnd(std::initializer_list<std::string_view> extraEnd) const {
    const Token &t = cur();
    if (t.type == TokenType::kVarEnd || t.type == TokenType::kBlockEnd ||
        t.type == TokenType::kEnd || isOp(t, ")"))
      return true;
    for (std::string_view name : extraEnd)
      if (isName(t, name))
        return true;
    return false;
  }

  // Comma-separated expressions; more than one (or a trailing comma) is a
  // tuple, as in {% set a, b = 1, 2 %}.
  Result<ExprPtr> parseTuple(bool withCondexpr, bool explicitParens,
                             std::initializer_list<std::string_view> extraEnd = {}) {
    const Token &start = cur();
    std::vector<ExprPtr> items;
    bool isTuple = false;
    while (true) {
      if (!items.empty())
        VLMC_RETURN_IF_ERROR(expectOp(","));
      if (isTupleEnd(extraEnd))
        break;
      VLMC_CHAT_TRY(ExprPtr item,
                    withCondexpr ? parseExpression() : parseOr());
      items.push_back(std::move(item));
      if (isOp(","))
        isTuple = true;
      else
        break;
    }
    if (!isTuple) {
      if (!items.empty())
        return std::move(items[0]);
      if (!explicitParens)
        return error(cur(), "expected an expression, got " + describe(cur()));
    }
    ExprPtr e = node(ExprKind::kTuple, start);
    e->items = std::move(items);
    return finish(std::move(e));
  }

  Result<ExprPtr> parseExpression() {
    const Token &start = cur();
    VLMC_CHAT_TRY(ExprPtr a, parseOr());
    while (isName("if")) {
      next();
      VLMC_CHAT_TRY(ExprPtr cond, parseOr());
      ExprPtr otherwise;
      if (isName("else")) {
        next();
        VLMC_RETURN_IF_ERROR(checkNesting(cur()));
        Nest nest(exprNesting_);
        VLMC_CHAT_TRY(otherwise, parseExpression());
      }
      ExprPtr e = node(ExprKind::kCond, start);
      e->a = std::move(a);
      e->b = std::move(cond);
      e->c = std::move(otherwise);
      VLMC_CHAT_TRY(a, finish(std::move(e)));
    }
    return a;
  }

  Result<ExprPtr> parseOr() {
    VLMC_CHAT_TRY(ExprPtr a, parseAnd());
    while (isName("or")) {
      const Token &op = cur();
      next();
      VLMC_CHAT_TRY(ExprPtr b, parseAnd());
      VLMC_CHAT_TRY(a, binary(ExprKind::kOr, op, std::move(a), std::move(b)));
    }
    return a;
  }

  Result<ExprPtr> parseAnd() {
    VLMC_CHAT_TRY(ExprPtr a, parseNot());
    while (isName("and")) {
      const Token &op = cur();
      next();
      VLMC_CHAT_TRY(ExprPtr b, parseNot());
      VLMC_CHAT_TRY(a, binary(ExprKind::kAnd, op, std::move(a), std::move(b)));
    }
    return a;
  }

  Result<ExprPtr> parseNot() {
    if (isName("not")) {
      const Token &op = cur();
      next();
      VLMC_RETURN_IF_ERROR(checkNesting(op));
      Nest nest(exprNesting_);
      VLMC_CHAT_TRY(ExprPtr a, parseNot());
      return unary(ExprKind::kNot, op, std::move(a));
    }
    return parseCompare();
  }

  Result<ExprPtr> parseCompare() {
    const Token &start = cur();
    VLMC_CHAT_TRY(ExprPtr first, parseMath1());
    ExprPtr e;
    while (true) {
      std::string op;
      const Token &t = cur();
      if (t.type == TokenType::kOperator &&
          (t.text == "==" || t.text == "!=" || t.text == "<" ||
           t.text == "<=" || t.text == ">" || t.text == ">=")) {
        op = t.text;
        next();
      } else if (isName("in")) {
        op = "in";
        next();
      } else if (isName("not") && isName(peek(), "in")) {
        op = "notin";
        next();
        next();
      } else {
        break;
      }
      if (!e) {
        e = node(ExprKind::kCompare, start);
        e->items.push_back(std::move(first));
      }
      VLMC_CHAT_TRY(ExprPtr operand, parseMath1());
      e->ops.push_back(op);
      e->items.push_back(std::move(operand));
      if (e->items.size() > kMaxExprDepth)
        return error(t, "expression is nested too deeply");
    }
    if (!e)
      return first;
    return finish(std::move(e));
  }

  Result<ExprPtr> parseMath1() {
    VLMC_CHAT_TRY(ExprPtr a, parseConcat());
    while (isOp("+") || isOp("-")) {
      const Token &op = cur();
      std::string spelling = op.text;
      next();
      VLMC_CHAT_TRY(ExprPtr b, parseConcat());
      VLMC_CHAT_TRY(a, binary(ExprKind::kBinary, op, std::move(a),
                              std::move(b), spelling));
    }
    return a;
  }

  Result<ExprPtr> parseConcat() {
    const Token &start = cur();
    VLMC_CHAT_TRY(ExprPtr first, parseMath2());
    if (!isOp("~"))
      return first;
    ExprPtr e = node(ExprKind::kConcat, start);
    e->items.push_back(std::move(first));
    while (isOp("~")) {
      next();
      VLMC_CHAT_TRY(ExprPtr item, parseMath2());
      e->items.push_back(std::move(item));
      if (e->items.size() > kMaxExprDepth)
        return error(start, "expression is nested too deeply");
    }
    return finish(std::move(e));
  }

  Result<ExprPtr> parseMath2() {
    VLMC_CHAT_TRY(ExprPtr a, parsePow());
    while (isOp("*") || isOp("/") || isOp("//") || isOp("%")) {
      const Token &op = cur();
      std::string spelling = op.text;
      next();
      VLMC_CHAT_TRY(ExprPtr b, parsePow());
      VLMC_CHAT_TRY(a, binary(ExprKind::kBinary, op, std::move(a),
                              std::move(b), spelling));
    }
    return a;
  }

  Result<ExprPtr> parsePow() {
    VLMC_CHAT_TRY(ExprPtr a, parseUnary(true));
    while (isOp("**")) { // left-associative in jinja2: 2 ** 3 ** 2 == 64
      const Token &op = cur();
      next();
      VLMC_CHAT_TRY(ExprPtr b, parseUnary(true));
      VLMC_CHAT_TRY(a, binary(ExprKind::kBinary, op, std::move(a),
                              std::move(b), "**"));
    }
    return a;
  }

  // As jinja2: -x|f is f(-x), and the operand of a sign takes no filters.
  Result<ExprPtr> parseUnary(bool withFilter) {
    const Token &start = cur();
    VLMC_RETURN_IF_ERROR(checkNesting(start));
    Nest nest(exprNesting_);
    ExprPtr e;
    if (isOp("-") || isOp("+")) {
      ExprKind kind = isOp("-") ? ExprKind::kNeg : ExprKind::kPos;
      next();
      VLMC_CHAT_TRY(ExprPtr operand, parseUnary(false));
      VLMC_CHAT_TRY(e, unary(kind, start, std::move(operand)));
    } else {
      VLMC_CHAT_TRY(e, parsePrimary());
    }
    VLMC_CHAT_TRY(e, parsePostfix(std::move(e)));
    if (withFilter) {
      VLMC_CHAT_TRY(e, parseFilterExpr(std::move(e)));
    }
    return e;
  }

  Result<ExprPtr> parsePrimary() {
    const Token &t = cur();
    switch (t.type) {
    case TokenType::kName: {
      ExprPtr e = node(ExprKind::kLiteral, t);
      if (t.text == "true" || t.text == "True") {
        e->value = true;
      } else if (t.text == "false" || t.text == "False") {
        e->value = false;
      } else if (t.text == "none" || t.text == "None") {
        e->value = Value();
      } else {
        e->kind = ExprKind::kName;
        e->name = t.text;
      }
      next();
      return e;
    }
    case TokenType::kString: {
      std::string text; // adjacent literals concatenate: 'a' 'b' == 'ab'
      while (cur().type == TokenType::kString) {
        text += cur().text;
        next();
      }
      ExprPtr e = node(ExprKind::kLiteral, t);
      e->value = Value(std::move(text));
      return e;
    }
    case TokenType::kInt:
    case TokenType::kFloat: {
      ExprPtr e = node(ExprKind::kLiteral, t);
      e->value = t.type == TokenType::kInt ? Value(t.intValue)
                                           : Value(t.floatValue);
      next();
      return e;
    }
    case TokenType::kOperator:
      if (t.text == "(") {
        next();
        VLMC_CHAT_TRY(ExprPtr e, parseTuple(true, true));
        VLMC_RETURN_IF_ERROR(expectOp(")"));
        return e;
      }
      if (t.text == "[" || t.text == "{")
        return parseListOrDict(t.text == "{");
      break;
    default:
      break;
    }
    return unexpected(t);
  }

  Result<ExprPtr> parseListOrDict(bool isDict) {
    const Token &start = cur();
    const char *close = isDict ? "}" : "]";
    next();
    ExprPtr e = node(isDict ? ExprKind::kDict : ExprKind::kList, start);
    while (!isOp(close)) {
      if (!e->items.empty())
        VLMC_RETURN_IF_ERROR(expectOp(","));
      if (isOp(close)) // trailing comma
        break;
      VLMC_CHAT_TRY(ExprPtr item, parseExpression());
      e->items.push_back(std::move(item));
      if (isDict) {
        VLMC_RETURN_IF_ERROR(expectOp(":"));
        VLMC_CHAT_TRY(ExprPtr value, parseExpression());
        e->items.push_back(std::move(value));
      }
    }
    next();
    return finish(std::move(e));
  }

  Result<ExprPtr> parsePostfix(ExprPtr e) {
    while (true) {
      if (isOp(".") || isOp("[")) {
        VLMC_CHAT_TRY(e, parseSubscript(std::move(e)));
      } else if (isOp("(")) {
        VLMC_CHAT_TRY(e, parseCall(std::move(e)));
      } else {
        return e;
      }
    }
  }

  Result<ExprPtr> parseSubscript(ExprPtr target) {
    const Token &start = cur();
    if (isOp(".")) {
      next();
      const Token &attr = cur();
      if (attr.type == TokenType::kName) {
        ExprPtr e = node(ExprKind::kGetAttr, start);
        e->a = std::move(target);
        e->name = attr.text;
        next();
        return finish(std::move(e));
      }
      if (attr.type != TokenType::kInt) // foo.0 is foo[0]
        return error(attr, "expected name or number");
      ExprPtr index = node(ExprKind::kLiteral, attr);
      index->value = Value(attr.intValue);
      next();
      return binary(ExprKind::kGetItem, start, std::move(target),
                    std::move(index));
    }
    next(); // [
    std::vector<ExprPtr> args;
    while (!isOp("]")) {
      if (!args.empty())
        VLMC_RETURN_IF_ERROR(expectOp(","));
      VLMC_CHAT_TRY(ExprPtr arg, parseSubscribed());
      args.push_back(std::move(arg));
    }
    next();
    ExprPtr index;
    if (args.size() == 1) {
      index = std::move(args[0]);
    } else {
      index = node(ExprKind::kTuple, start);
      index->items = std::move(args);
      VLMC_CHAT_TRY(index, finish(std::move(index)));
    }
    return binary(ExprKind::kGetItem, start, std::move(target),
                  std::move(index));
  }

  // An index or a slice [start:stop:step] with any part omitted.
  Result<ExprPtr> parseSubscribed() {
    const Token &start = cur();
    auto partEnds = [&] { return isOp("]") || isOp(","); };
    ExprPtr parts[3];
    if (isOp(":")) {
      next();
    } else {
      VLMC_CHAT_TRY(ExprPtr first, parseExpression());
      if (!isOp(":"))
        return first;
      next();
      parts[0] = std::move(first);
    }
    if (!isOp(":") && !partEnds()) {
      VLMC_CHAT_TRY(parts[1], parseExpression());
    }
    if (isOp(":")) {
      next();
      if (!partEnds()) {
        VLMC_CHAT_TRY(parts[2], parseExpression());
      }
    }
    ExprPtr e = node(ExprKind::kSlice, start);
    e->a = std::move(parts[0]);
    e->b = std::move(parts[1]);
    e->c = std::move(parts[2]);
    return finish(std::move(e));
  }

  Status parseCallArgs(Expr &e) {
    VLMC_RETURN_IF_ERROR(expectOp("("));
    while (!isOp(")")) {
      if (!e.items.empty() || !e.kwargs.empty())
        VLMC_RETURN_IF_ERROR(expectOp(","));
      if (isOp(")"))
        break;
      if (isOp("*") || isOp("**"))
        return error(cur(), "unsupported: *args / **kwargs in calls");
      if (cur().type == TokenType::kName && isOp(peek(), "=")) {
        std::string key = cur().text;
        next();
        next();
        VLMC_CHAT_TRY(ExprPtr value, parseExpression());
        e.kwargs.emplace_back(std::move(key), std::move(value));
      } else {
        if (!e.kwargs.empty())
          return error(cur(), "positional argument follows keyword argument");
        VLMC_CHAT_TRY(ExprPtr value, parseExpression());
        e.items.push_back(std::move(value));
      }
    }
    next();
    return Status::ok();
  }

  Result<ExprPtr> parseCall(ExprPtr callee) {
    ExprPtr e = node(ExprKind::kCall, cur());
    e->a = std::move(callee);
    VLMC_RETURN_IF_ERROR(parseCallArgs(*e));
    return finish(std::move(e));
  }

  Result<ExprPtr> parseFilterExpr(ExprPtr e) {
    while (true) {
      if (isOp("|")) {
        VLMC_CHAT_TRY(e, parseFilter(std::move(e)));
      } else if (isName("is")) {
        VLMC_CHAT_TRY(e, parseTest(std::move(e)));
      } else if (isOp("(")) {
        VLMC_CHAT_TRY(e, parseCall(std::move(e)));
      } else {
        return e;
      }
    }
  }

  Result<std::string> parseDottedName() {
    VLMC_CHAT_TRY(std::string name, expectName());
    while (isOp(".")) {
      next();
      VLMC_CHAT_TRY(std::string part, expectName());
      name += "." + part;
    }
    return name;
  }

  // `input` is null for the filters of a {% set x | f %} block.
  Result<ExprPtr> parseFilter(ExprPtr input) {
    next(); // |
    const Token &nameTok = cur();
    VLMC_CHAT_TRY(std::string name, parseDottedName());
    if (!isKnownFilter(name))
      return syntaxError(nameTok.line, nameTok.column,
                         "unsupported filter '" + name + "'");
    ExprPtr e = node(ExprKind::kFilter, nameTok);
    e->a = std::move(input);
    e->name = std::move(name);
    if (isOp("("))
      VLMC_RETURN_IF_ERROR(parseCallArgs(*e));
    return finish(std::move(e));
  }

  Result<ExprPtr> parseTest(ExprPtr input) {
    next(); // is
    ExprPtr e = node(ExprKind::kTest, cur());
    if (isName("not")) {
      e->negated = true;
      next();
    }
    const Token &nameTok = cur();
    VLMC_CHAT_TRY(std::string name, parseDottedName());
    if (!isKnownTest(name))
      return syntaxError(nameTok.line, nameTok.column,
                         "unsupported test '" + name + "'");
    e->a = std::move(input);
    e->name = std::move(name);
    const Token &t = cur();
    // jinja2 takes one argument without parentheses: `x is divisibleby 3`.
    bool argStart = t.type == TokenType::kName || t.type == TokenType::kString ||
                    t.type == TokenType::kInt || t.type == TokenType::kFloat ||
                    isOp("(") || isOp("[") || isOp("{");
    if (isOp("(")) {
      VLMC_RETURN_IF_ERROR(parseCallArgs(*e));
    } else if (argStart && !isName("else") && !isName("or") &&
               !isName("and")) {
      if (isName("is"))
        return error(t, "you cannot chain multiple tests with is");
      VLMC_CHAT_TRY(ExprPtr arg, parsePrimary());
      VLMC_CHAT_TRY(arg, parsePostfix(std::move(arg)));
      e->items.push_back(std::move(arg));
    }
    return finish(std::move(e));
  }

  // --- statements -----------------------------------------------------------

  Result<Body> parseBody(std::initializer_list<std::string_view> endTags,
                         std::string &endedBy) {
    if (++bodyNesting_ > kMaxStatementNesting)
      return error(cur(), "statements are nested too deeply");
    Body body;
    while (true) {
      const Token &t = cur();
      switch (t.type) {
      case TokenType::kText: {
        Stmt s;
        s.kind = StmtKind::kText;
        s.line = t.line;
        s.text = t.text;
        body.push_back(std::move(s));
        next();
        break;
      }
      case TokenType::kVarBegin: {
        next();
        Stmt s;
        s.kind = StmtKind::kPrint;
        s.line = t.line;
        VLMC_CHAT_TRY(s.expr, parseTuple(true, false));
        VLMC_RETURN_IF_ERROR(expect(TokenType::kVarEnd, "end of print statement"));
        body.push_back(std::move(s));
        break;
      }
      case TokenType::kBlockBegin: {
        const Token &nameTok = peek();
        if (nameTok.type != TokenType::kName)
          return error(nameTok, "tag name expected");
        for (std::string_view end : endTags) {
          if (nameTok.text == end) {
            endedBy = nameTok.text;
            next();
            next();
            --bodyNesting_;
            return body;
          }
        }
        next();
        VLMC_CHAT_TRY(Stmt s, parseStatement());
        body.push_back(std::move(s));
        break;
      }
      case TokenType::kEnd:
        if (endTags.size() != 0) {
          std::string expected;
          for (std::string_view end : endTags)
            expected += (expected.empty() ? "'" : " or '") + std::string(end) + "'";
          return error(t, "unexpected end of template, expected " + expected);
        }
        --bodyNesting_;
        return body;
      default:
        return unexpected(t);
      }
    }
  }

  // Called with cur() on the tag name.
  Result<Stmt> parseStatement() {
    const Token &tag = cur();
    Stmt s;
    s.line = tag.line;
    const std::string &name = tag.text;
    if (name == "for")
      return parseFor(std::move(s));
    if (name == "if")
      return parseIf(std::move(s));
    if (name == "set")
      return parseSet(std::move(s));
    if (name == "break" || name == "continue") {
      if (loopDepth_ == 0)
        return error(tag, "'" + name + "' outside loop");
      s.kind = name == "break" ? StmtKind::kBreak : StmtKind::kContinue;
      next();
      VLMC_RETURN_IF_ERROR(expectBlockEnd());
      return s;
    }
    if (name == "generation") {
      // transformers' AssistantTracker tag: renders its body unchanged.
      s.kind = StmtKind::kBlock;
      next();
      VLMC_RETURN_IF_ERROR(expectBlockEnd());
      std::string endedBy;
      VLMC_CHAT_TRY(Body body, parseBody({"endgeneration"}, endedBy));
      VLMC_RETURN_IF_ERROR(expectBlockEnd());
      s.bodies.push_back(std::move(body));
      return s;
    }
    for (const char *unsupported : kUnsupportedTags)
      if (name == unsupported)
        return error(tag, "unsupported tag '" + name + "'");
    return error(tag, "unknown tag '" + name + "'");
  }

  Result<std::vector<std::string>> parseNameTargets() {
    std::vector<std::string> names;
    while (true) {
      if (cur().type != TokenType::kName)
        return error(cur(), "can only assign to names, got " + describe(cur()));
      names.push_back(cur().text);
      next();
      if (!isOp(","))
        return names;
      next();
    }
  }

  Result<Stmt> parseFor(Stmt s) {
    s.kind = StmtKind::kFor;
    next();
    VLMC_CHAT_TRY(s.targets, parseNameTargets());
    if (!isName("in"))
      return error(cur(), "expected 'in', got " + describe(cur()));
    next();
    VLMC_CHAT_TRY(s.expr, parseTuple(false, false, {"recursive"}));
    if (isName("if")) {
      next();
      VLMC_CHAT_TRY(s.filter, parseExpression());
    }
    if (isName("recursive"))
      return error(cur(), "unsupported: recursive loops");
    VLMC_RETURN_IF_ERROR(expectBlockEnd());
    std::string endedBy;
    ++loopDepth_;
    auto body = parseBody({"endfor", "else"}, endedBy);
    --loopDepth_;
    if (!body)
      return body.status();
    s.bodies.push_back(std::move(*body));
    VLMC_RETURN_IF_ERROR(expectBlockEnd());
    if (endedBy == "else") {
      VLMC_CHAT_TRY(s.elseBody, parseBody({"endfor"}, endedBy));
      VLMC_RETURN_IF_ERROR(expectBlockEnd());
    }
    return s;
  }

  Result<Stmt> parseIf(Stmt s) {
    s.kind = StmtKind::kIf;
    next();
    while (true) {
      VLMC_CHAT_TRY(ExprPtr cond, parseTuple(false, false));
      VLMC_RETURN_IF_ERROR(expectBlockEnd());
      std::string endedBy;
      VLMC_CHAT_TRY(Body body, parseBody({"elif", "else", "endif"}, endedBy));
      s.conds.push_back(std::move(cond));
      s.bodies.push_back(std::move(body));
      if (endedBy == "elif")
        continue;
      VLMC_RETURN_IF_ERROR(expectBlockEnd());
      if (endedBy == "else") {
        VLMC_CHAT_TRY(s.elseBody, parseBody({"endif"}, endedBy));
        VLMC_RETURN_IF_ERROR(expectBlockEnd());
      }
      return s;
    }
  }

  Result<Stmt> parseSet(Stmt s) {
    next();
    if (cur().type == TokenType::kName && isOp(peek(), ".")) {
      s.targets.push_back(cur().text); // {% set ns.attr = ... %}
      next();
      next();
      VLMC_CHAT_TRY(s.attr, expectName());
    } else {
      VLMC_CHAT_TRY(s.targets, parseNameTargets());
    }
    if (isOp("=")) {
      s.kind = StmtKind::kSet;
      next();
      VLMC_CHAT_TRY(s.expr, parseTuple(true, false));
      VLMC_RETURN_IF_ERROR(expectBlockEnd());
      return s;
    }
    s.kind = StmtKind::kSetBlock;
    if (s.targets.size() != 1)
      return error(cur(), "a {% set %} block assigns to a single name");
    while (isOp("|")) {
      VLMC_CHAT_TRY(ExprPtr filter, parseFilter(nullptr));
      s.conds.push_back(std::move(filter));
    }
    VLMC_RETURN_IF_ERROR(expectBlockEnd());
    std::string endedBy;
    VLMC_CHAT_TRY(Body body, parseBody({"endset"}, endedBy));
    VLMC_RETURN_IF_ERROR(expectBlockEnd());
    s.bodies.push_back(std::move(body));
    return s;
  }

  std::vector<Token> toks_;
  size_t pos_ = 0;
  uint32_t exprNesting_ = 0;
  uint32_t bodyNesting_ = 0;
  uint32_t loopDepth_ = 0;
};

} // namespace

Result<Program> parseTemplate(std::string_view source) {
  VLMC_CHAT_TRY(std::vector<Token> tokens, tokenize(source));
  Parser parser(std::move(tokens));
  VLMC_CHAT_TRY(Body body, parser.parseAll());
  Program program;
  program.source = std::string(source);
  program.body = std::move(body);
  return program;
}

} // namespace vlmc::chat::detail
