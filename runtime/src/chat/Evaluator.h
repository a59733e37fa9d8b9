// Renders a parsed Program: statements in order, with jinja2's scoping
// (each for-loop iteration gets a fresh scope; `set` inside a loop does not
// leak out, which is why templates use namespace()), output and work bounded
// by RenderLimits.
#pragma once

#include "Ast.h"
#include "Builtins.h"
#include "Ops.h"

#include "vlmc/chat/ChatTemplate.h"

#include <string>
#include <utility>
#include <vector>

namespace vlmc::chat::detail {

class Renderer {
public:
  Renderer(const Program &program, const RenderLimits &limits);
  Result<std::string> render(const Value &context);

  // For builtins that allocate (join, replace, range, ...).
  Budget &budget() { return budget_; }
  // Python-visible wall of the sandbox: values stored in a namespace must
  // be plain data, which keeps object graphs acyclic.
  static Status checkStorable(const Value &value);

private:
  enum class Flow { kNormal, kBreak, kContinue };
  using Scope = std::vector<std::pair<std::string, Value>>;

  Result<Flow> execBody(const Body &body);
  Result<Flow> exec(const Stmt &stmt);
  Result<Flow> execFor(const Stmt &stmt);
  Status execSet(const Stmt &stmt, Value value);
  Result<Value> eval(const Expr &expr);
  Result<Value> evalInner(const Expr &expr);
  Result<Value> evalCall(const Expr &expr);
  Result<Value> evalFilter(const Expr &expr, const Value &input);
  Status evalArgs(const Expr &expr, Args &args);
  Status bindTargets(Scope &scope, const std::vector<std::string> &targets,
                     const Value &value);

  Value lookup(const std::string &name) const;
  void assign(const std::string &name, Value value);
  Status write(std::string_view text);
  Status step();
  // "chat template line N: " + message, keeping the code.
  Status atLine(const Status &status, uint32_t line) const;

  const Program &program_;
  RenderLimits limits_;
  Budget budget_;
  const Value *context_ = nullptr;
  std::vector<Scope> scopes_;
  std::string out_;
  uint64_t steps_ = 0;
};

} // namespace vlmc::chat::detail
