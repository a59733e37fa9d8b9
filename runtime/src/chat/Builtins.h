// Filters, tests, global functions and str/dict/loop methods, with jinja2's
// (and Python's) semantics. Errors are plain messages; the renderer adds the
// template line.
#pragma once

#include "Objects.h"

#include "vlmc/chat/Value.h"
#include "vlmc/support/Status.h"

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vlmc::chat::detail {

class Renderer;

struct Args {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;
};

// A parameter of a filter/test/function: required, or with a default.
struct Param {
  Param(const char *name) : name(name), required(true) {}
  Param(const char *name, Value defaultValue)
      : name(name), defaultValue(std::move(defaultValue)), required(false) {}
  const char *name;
  Value defaultValue;
  bool required;
};
// Python-style binding of positional then keyword arguments to `params`;
// errors name `function` for unknown, duplicate, missing or surplus ones.
Result<std::vector<Value>> bindArgs(std::string_view function,
                                    const Args &args,
                                    std::initializer_list<Param> params);

bool isKnownFilter(std::string_view name);
bool isKnownTest(std::string_view name);
// range, namespace, raise_exception, dict, strftime_now.
bool isGlobalFunction(std::string_view name);
// Methods a template may call on a str / dict / list (s.strip(),
// d.items(), l.count(x), ...); lists have only the non-mutating ones.
bool isStrMethod(std::string_view name);
bool isDictMethod(std::string_view name);
bool isListMethod(std::string_view name);

Result<Value> applyFilter(Renderer &renderer, std::string_view name,
                          const Value &input, const Args &args);
Result<bool> applyTest(Renderer &renderer, std::string_view name,
                       const Value &input, const Args &args);
Result<Value> callFunction(Renderer &renderer, Function &function,
                           const Args &args);

} // namespace vlmc::chat::detail
