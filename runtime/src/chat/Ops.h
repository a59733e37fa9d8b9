// Python/jinja2 semantics of the operations templates apply to values:
// truthiness, str()/repr(), arithmetic, comparison, `in`, attribute and
// item access, iteration. Errors carry plain messages (TypeError-style);
// the renderer prefixes the template line.
#pragma once

#include "vlmc/chat/Value.h"
#include "vlmc/support/Status.h"

#include <string>
#include <string_view>

namespace vlmc::chat::detail {

// Cumulative allocation budget of one render (RenderLimits::maxAllocatedBytes):
// every operation that builds a string or list charges its size first, so
// 'x' * 10**12 fails cleanly instead of exhausting memory.
class Budget {
public:
  explicit Budget(size_t maxBytes) : max_(maxBytes) {}
  Status charge(size_t bytes);
  size_t remaining() const { return max_ - used_; }

private:
  size_t max_;
  size_t used_ = 0;
};

Status resourceExhausted(std::string message);
Status typeError(std::string message);
// The error for using an undefined value where jinja2 raises UndefinedError.
Status undefinedError(const Value &value);

// Python's type name ("int", "str", "NoneType", ...), for messages.
std::string typeName(const Value &value);
bool truthy(const Value &value);

// str(value) / repr(value) appended to out; fails once out exceeds `limit`
// bytes. Undefined prints as "".
Status appendStr(const Value &value, std::string &out, size_t limit);
Status appendRepr(const Value &value, std::string &out, size_t limit);
Result<std::string> toStr(const Value &value, Budget &budget);

// op is one of + - * / // % **.
Result<Value> binaryOp(std::string_view op, const Value &a, const Value &b,
                       Budget &budget);
// Unary minus (negate) or plus.
Result<Value> unaryOp(const Value &a, bool negate);
// op is one of == != < <= > >=.
Result<bool> compare(std::string_view op, const Value &a, const Value &b);
// `item in container`.
Result<bool> contains(const Value &container, const Value &item);

// jinja2's getattr (a.name: attribute first, then item) and getitem
// (a[key]: item first, then attribute for string keys). Missing things give
// undefined; only an undefined receiver is an error.
Result<Value> getAttr(const Value &object, std::string_view name);
Result<Value> getItem(const Value &object, const Value &key, Budget &budget);
// object[start:stop:step]; parts are none when omitted. Unlike getItem,
// slicing something that cannot be sliced is an error (as in jinja2).
Result<Value> getSlice(const Value &object, const Value &start,
                       const Value &stop, const Value &step, Budget &budget);

// The items a for loop sees: list items, string characters, dict keys;
// nothing for undefined.
Result<Value::List> iterate(const Value &value, Budget &budget);
// len(): code points of a string, list/dict size, 0 for undefined.
Result<int64_t> length(const Value &value);

} // namespace vlmc::chat::detail
