#include "Evaluator.h"

#include "Objects.h"
#include "Try.h"

namespace vlmc::chat::detail {

Renderer::Renderer(const Program &program, const RenderLimits &limits)
    : program_(program), limits_(limits), budget_(limits.maxAllocatedBytes) {}

Result<std::string> Renderer::render(const Value &context) {
  if (!context.isDict())
    return invalidArgument("chat template context must be a dict, not " +
                           typeName(context));
  if (context.depth() > Value::kMaxDepth)
    return invalidArgument("chat template context is nested deeper than " +
                           std::to_string(Value::kMaxDepth) + " levels");
  context_ = &context;
  scopes_.assign(1, Scope());
  VLMC_CHAT_TRY(Flow flow, execBody(program_.body));
  (void)flow;
  return std::move(out_);
}

Status Renderer::checkStorable(const Value &value) {
  if (value.isObject())
    return typeError("only plain values (not namespace(), loop or functions) "
                     "can be stored in a namespace");
  for (const Value &item : value.asList())
    VLMC_RETURN_IF_ERROR(checkStorable(item));
  for (const auto &entry : value.asDict())
    VLMC_RETURN_IF_ERROR(checkStorable(entry.second));
  return Status::ok();
}

Status Renderer::atLine(const Status &status, uint32_t line) const {
  static const std::string kPrefix = "chat template line ";
  if (status.isOk() || status.message().compare(0, kPrefix.size(), kPrefix) == 0)
    return status;
  return Status(status.code(),
                kPrefix + std::to_string(line) + ": " + status.message());
}

Status Renderer::step() {
  if (++steps_ > limits_.maxSteps)
    return resourceExhausted("chat template ran more than " +
                             std::to_string(limits_.maxSteps) +
                             " steps (RenderLimits)");
  return Status::ok();
}

Status Renderer::write(std::string_view text) {
  if (text.size() > limits_.maxOutputBytes - out_.size())
    return resourceExhausted("chat template output exceeds " +
                             std::to_string(limits_.maxOutputBytes) +
                             " bytes (RenderLimits)");
  out_.append(text);
  return Status::ok();
}

Value Renderer::lookup(const std::string &name) const {
  for (auto scope = scopes_.rbegin(); scope != scopes_.rend(); ++scope)
    for (const auto &[key, value] : *scope)
      if (key == name)
        return value;
  if (const Value *v = context_->find(name))
    return *v;
  if (isGlobalFunction(name))
    return Value::object(
        std::make_shared<Function>(Function::Kind::kGlobal, name));
  return Value::undefined("'" + name + "' is undefined");
}

void Renderer::assign(const std::string &name, Value value) {
  Scope &scope = scopes_.back();
  for (auto &[key, v] : scope) {
    if (key == name) {
      v = std::move(value);
      return;
    }
  }
  scope.emplace_back(name, std::move(value));
}

// --- statements -----------------------------------------------------------------

Result<Renderer::Flow> Renderer::execBody(const Body &body) {
  for (const Stmt &stmt : body) {
    VLMC_CHAT_TRY(Flow flow, exec(stmt));
    if (flow != Flow::kNormal)
      return flow;
  }
  return Flow::kNormal;
}

Result<Renderer::Flow> Renderer::exec(const Stmt &stmt) {
  VLMC_RETURN_IF_ERROR(atLine(step(), stmt.line));
  switch (stmt.kind) {
  case StmtKind::kText:
    VLMC_RETURN_IF_ERROR(atLine(write(stmt.text), stmt.line));
    return Flow::kNormal;
  case StmtKind::kPrint: {
    VLMC_CHAT_TRY(Value v, eval(*stmt.expr));
    if (v.isString()) {
      VLMC_RETURN_IF_ERROR(atLine(write(v.asString()), stmt.line));
    } else {
      std::string text;
      VLMC_RETURN_IF_ERROR(atLine(
          appendStr(v, text, limits_.maxOutputBytes - out_.size()), stmt.line));
      VLMC_RETURN_IF_ERROR(atLine(write(text), stmt.line));
    }
    return Flow::kNormal;
  }
  case StmtKind::kIf:
    for (size_t i = 0; i < stmt.conds.size(); ++i) {
      VLMC_CHAT_TRY(Value cond, eval(*stmt.conds[i]));
      if (truthy(cond))
        return execBody(stmt.bodies[i]);
    }
    return execBody(stmt.elseBody);
  case StmtKind::kFor:
    return execFor(stmt);
  case StmtKind::kSet: {
    VLMC_CHAT_TRY(Value v, eval(*stmt.expr));
    VLMC_RETURN_IF_ERROR(execSet(stmt, std::move(v)));
    return Flow::kNormal;
  }
  case StmtKind::kSetBlock: {
    // Render the body into the output, then take it back out.
    size_t mark = out_.size();
    VLMC_CHAT_TRY(Flow flow, execBody(stmt.bodies[0]));
    (void)flow;
    Value captured(out_.substr(mark));
    out_.resize(mark);
    VLMC_RETURN_IF_ERROR(atLine(budget_.charge(captured.size()), stmt.line));
    for (const ExprPtr &filter : stmt.conds) {
      VLMC_CHAT_TRY(captured, evalFilter(*filter, captured));
    }
    VLMC_RETURN_IF_ERROR(execSet(stmt, std::move(captured)));
    return Flow::kNormal;
  }
  case StmtKind::kBreak:
    return Flow::kBreak;
  case StmtKind::kContinue:
    return Flow::kContinue;
  case StmtKind::kBlock: {
    // transformers renders {% generation %} bodies through a macro call, so
    // they get a scope of their own.
    scopes_.emplace_back();
    VLMC_CHAT_TRY(Flow flow, execBody(stmt.bodies[0]));
    scopes_.pop_back();
    return flow;
  }
  }
  return Flow::kNormal;
}

Status Renderer::bindTargets(Scope &scope,
                             const std::vector<std::string> &targets,
                             const Value &value) {
  if (targets.size() == 1) {
    scope.emplace_back(targets[0], value);
    return Status::ok();
  }
  VLMC_CHAT_TRY(Value::List items, iterate(value, budget_));
  if (items.size() < targets.size())
    return typeError("not enough values to unpack (expected " +
                     std::to_string(targets.size()) + ", got " +
                     std::to_string(items.size()) + ")");
  if (items.size() > targets.size())
    return typeError("too many values to unpack (expected " +
                     std::to_string(targets.size()) + ")");
  for (size_t i = 0; i < targets.size(); ++i)
    scope.emplace_back(targets[i], items[i]);
  return Status::ok();
}

// Each iteration runs in a fresh scope holding the loop targets and `loop`;
// assignments there vanish when the iteration ends, as in jinja2.
Result<Renderer::Flow> Renderer::execFor(const Stmt &stmt) {
  VLMC_CHAT_TRY(Value iterable, eval(*stmt.expr));
  auto itemsOr = iterate(iterable, budget_);
  if (!itemsOr)
    return atLine(itemsOr.status(), stmt.line);
  Value::List items = std::move(*itemsOr);
  if (stmt.filter) { // {% for x in xs if cond %}: filter first, then count
    Value::List kept;
    for (Value &item : items) {
      VLMC_RETURN_IF_ERROR(atLine(step(), stmt.line));
      scopes_.emplace_back();
      VLMC_RETURN_IF_ERROR(
          atLine(bindTargets(scopes_.back(), stmt.targets, item), stmt.line));
      VLMC_CHAT_TRY(Value keep, eval(*stmt.filter));
      scopes_.pop_back();
      if (truthy(keep))
        kept.push_back(std::move(item));
    }
    items = std::move(kept);
  }
  if (items.empty()) {
    scopes_.emplace_back();
    VLMC_CHAT_TRY(Flow flow, execBody(stmt.elseBody));
    (void)flow;
    scopes_.pop_back();
    return Flow::kNormal;
  }
  auto loop = std::make_shared<LoopState>(Value::list(std::move(items)));
  Value loopValue = Value::object(loop);
  const Value::List &loopItems = loop->items.asList();
  for (size_t i = 0; i < loopItems.size(); ++i) {
    VLMC_RETURN_IF_ERROR(atLine(step(), stmt.line));
    loop->index = i;
    scopes_.emplace_back();
    VLMC_RETURN_IF_ERROR(atLine(
        bindTargets(scopes_.back(), stmt.targets, loopItems[i]), stmt.line));
    scopes_.back().emplace_back("loop", loopValue);
    VLMC_CHAT_TRY(Flow flow, execBody(stmt.bodies[0]));
    scopes_.pop_back();
    if (flow == Flow::kBreak)
      break;
  }
  return Flow::kNormal;
}

Status Renderer::execSet(const Stmt &stmt, Value value) {
  if (!stmt.attr.empty()) {
    Value target = lookup(stmt.targets[0]);
    Object *object = target.asObject();
    if (!object || object->type() != Object::Type::kNamespace)
      return atLine(typeError("cannot assign attribute on non-namespace object"),
                    stmt.line);
    VLMC_RETURN_IF_ERROR(atLine(checkStorable(value), stmt.line));
    auto &attrs = static_cast<Namespace *>(object)->attrs;
    for (auto &[key, v] : attrs) {
      if (key == stmt.attr) {
        v = std::move(value);
        return Status::ok();
      }
    }
    attrs.emplace_back(stmt.attr, std::move(value));
    return Status::ok();
  }
  if (stmt.targets.size() == 1) {
    assign(stmt.targets[0], std::move(value));
    return Status::ok();
  }
  Scope unpacked;
  VLMC_RETURN_IF_ERROR(
      atLine(bindTargets(unpacked, stmt.targets, value), stmt.line));
  for (auto &[name, v] : unpacked)
    assign(name, std::move(v));
  return Status::ok();
}

// --- expressions ----------------------------------------------------------------

Result<Value> Renderer::eval(const Expr &expr) {
  VLMC_RETURN_IF_ERROR(atLine(step(), expr.line));
  VLMC_CHAT_TRY(Value v, evalInner(expr));
  // Lists and dicts are immutable, so checking them as they are made bounds
  // every later recursion over values (repr, tojson, ==). Objects are not
  // checked: a namespace only holds plain data, a loop one list.
  if ((v.isList() || v.isDict()) && v.depth() > Value::kMaxDepth)
    return atLine(invalidArgument("value nested deeper than " +
                                  std::to_string(Value::kMaxDepth) + " levels"),
                  expr.line);
  return v;
}

Status Renderer::evalArgs(const Expr &expr, Args &args) {
  for (const ExprPtr &item : expr.items) {
    VLMC_CHAT_TRY(Value v, eval(*item));
    args.positional.push_back(std::move(v));
  }
  for (const auto &[key, valueExpr] : expr.kwargs) {
    VLMC_CHAT_TRY(Value v, eval(*valueExpr));
    args.keyword.emplace_back(key, std::move(v));
  }
  return Status::ok();
}

Result<Value> Renderer::evalFilter(const Expr &expr, const Value &input) {
  Args args;
  VLMC_RETURN_IF_ERROR(evalArgs(expr, args));
  auto result = applyFilter(*this, expr.name, input, args);
  if (!result)
    return atLine(result.status(), expr.line);
  return result;
}

Result<Value> Renderer::evalCall(const Expr &expr) {
  VLMC_CHAT_TRY(Value callee, eval(*expr.a));
  Args args;
  VLMC_RETURN_IF_ERROR(evalArgs(expr, args));
  if (callee.isUndefined())
    return atLine(undefinedError(callee), expr.line);
  Object *object = callee.asObject();
  if (!object || object->type() != Object::Type::kFunction)
    return atLine(typeError("'" + typeName(callee) + "' object is not callable"),
                  expr.line);
  auto result = callFunction(*this, *static_cast<Function *>(object), args);
  if (!result)
    return atLine(result.status(), expr.line);
  return result;
}

Result<Value> Renderer::evalInner(const Expr &expr) {
  // Wraps the result of an operation on already evaluated operands.
  auto op = [&](Result<Value> r) -> Result<Value> {
    if (!r)
      return atLine(r.status(), expr.line);
    return r;
  };
  switch (expr.kind) {
  case ExprKind::kLiteral:
    return expr.value;
  case ExprKind::kName:
    return lookup(expr.name);
  case ExprKind::kList:
  case ExprKind::kTuple: {
    Value::List items;
    for (const ExprPtr &item : expr.items) {
      VLMC_CHAT_TRY(Value v, eval(*item));
      items.push_back(std::move(v));
    }
    VLMC_RETURN_IF_ERROR(
        atLine(budget_.charge(items.size() * sizeof(Value)), expr.line));
    return expr.kind == ExprKind::kTuple ? Value::tuple(std::move(items))
                                         : Value::list(std::move(items));
  }
  case ExprKind::kDict: {
    Value::Dict entries;
    for (size_t i = 0; i + 1 < expr.items.size(); i += 2) {
      VLMC_CHAT_TRY(Value key, eval(*expr.items[i]));
      VLMC_CHAT_TRY(Value value, eval(*expr.items[i + 1]));
      if (!key.isString())
        return atLine(typeError("chat templates only support string dict "
                                "keys, not " + typeName(key)),
                      expr.line);
      entries.emplace_back(key.asString(), std::move(value));
    }
    VLMC_RETURN_IF_ERROR(
        atLine(budget_.charge(entries.size() * 2 * sizeof(Value)), expr.line));
    return Value::dict(std::move(entries));
  }
  case ExprKind::kGetAttr: {
    VLMC_CHAT_TRY(Value object, eval(*expr.a));
    return op(getAttr(object, expr.name));
  }
  case ExprKind::kGetItem: {
    VLMC_CHAT_TRY(Value object, eval(*expr.a));
    const Expr &index = *expr.b;
    if (index.kind == ExprKind::kSlice) {
      Value parts[3];
      const ExprPtr *exprs[3] = {&index.a, &index.b, &index.c};
      for (int i = 0; i < 3; ++i)
        if (*exprs[i]) {
          VLMC_CHAT_TRY(parts[i], eval(**exprs[i]));
        }
      return op(getSlice(object, parts[0], parts[1], parts[2], budget_));
    }
    VLMC_CHAT_TRY(Value key, eval(index));
    return op(getItem(object, key, budget_));
  }
  case ExprKind::kSlice:
    return atLine(typeError("a slice is only valid inside []"), expr.line);
  case ExprKind::kCall:
    return evalCall(expr);
  case ExprKind::kFilter: {
    VLMC_CHAT_TRY(Value input, eval(*expr.a));
    return evalFilter(expr, input);
  }
  case ExprKind::kTest: {
    VLMC_CHAT_TRY(Value input, eval(*expr.a));
    Args args;
    VLMC_RETURN_IF_ERROR(evalArgs(expr, args));
    auto result = applyTest(*this, expr.name, input, args);
    if (!result)
      return atLine(result.status(), expr.line);
    return Value(*result != expr.negated);
  }
  case ExprKind::kNeg:
  case ExprKind::kPos: {
    VLMC_CHAT_TRY(Value a, eval(*expr.a));
    return op(unaryOp(a, expr.kind == ExprKind::kNeg));
  }
  case ExprKind::kNot: {
    VLMC_CHAT_TRY(Value a, eval(*expr.a));
    return Value(!truthy(a));
  }
  case ExprKind::kBinary: {
    VLMC_CHAT_TRY(Value a, eval(*expr.a));
    VLMC_CHAT_TRY(Value b, eval(*expr.b));
    return op(binaryOp(expr.name, a, b, budget_));
  }
  case ExprKind::kConcat: {
    std::string out;
    for (const ExprPtr &item : expr.items) {
      VLMC_CHAT_TRY(Value v, eval(*item));
      VLMC_RETURN_IF_ERROR(
          atLine(appendStr(v, out, budget_.remaining()), expr.line));
    }
    VLMC_RETURN_IF_ERROR(atLine(budget_.charge(out.size()), expr.line));
    return Value(std::move(out));
  }
  case ExprKind::kCompare: {
    // Chained like Python: a < b < c is a < b and b < c.
    VLMC_CHAT_TRY(Value left, eval(*expr.items[0]));
    for (size_t i = 0; i < expr.ops.size(); ++i) {
      VLMC_CHAT_TRY(Value right, eval(*expr.items[i + 1]));
      const std::string &o = expr.ops[i];
      Result<bool> r = o == "in"      ? contains(right, left)
                       : o == "notin" ? contains(right, left)
                                      : compare(o, left, right);
      if (!r)
        return atLine(r.status(), expr.line);
      bool holds = o == "notin" ? !*r : *r;
      if (!holds)
        return Value(false);
      left = std::move(right);
    }
    return Value(true);
  }
  case ExprKind::kAnd: { // Python returns the deciding operand itself
    VLMC_CHAT_TRY(Value a, eval(*expr.a));
    if (!truthy(a))
      return a;
    return eval(*expr.b);
  }
  case ExprKind::kOr: {
    VLMC_CHAT_TRY(Value a, eval(*expr.a));
    if (truthy(a))
      return a;
    return eval(*expr.b);
  }
  case ExprKind::kCond: {
    VLMC_CHAT_TRY(Value cond, eval(*expr.b));
    if (truthy(cond))
      return eval(*expr.a);
    if (expr.c)
      return eval(*expr.c);
    return Value::undefined("the inline if had no else branch");
  }
  }
  return atLine(internalError("unknown expression kind"), expr.line);
}

} // namespace vlmc::chat::detail
