#include "Ops.h"

#include "Builtins.h"
#include "Objects.h"
#include "PyText.h"
#include "Try.h"

#include <cmath>
#include <limits>

namespace vlmc::chat::detail {

Status resourceExhausted(std::string message) {
  return Status(StatusCode::kResourceExhausted, std::move(message));
}

Status typeError(std::string message) {
  return invalidArgument(std::move(message));
}

Status Budget::charge(size_t bytes) {
  if (bytes > max_ - used_)
    return resourceExhausted("chat template built more than " +
                             std::to_string(max_) +
                             " bytes of strings and lists (RenderLimits)");
  used_ += bytes;
  return Status::ok();
}

Status undefinedError(const Value &value) {
  const std::string &hint = value.undefinedHint();
  return invalidArgument(hint.empty() ? "undefined value" : hint);
}

std::string typeName(const Value &value) {
  switch (value.kind()) {
  case Value::Kind::kUndefined:
    return "Undefined";
  case Value::Kind::kNone:
    return "NoneType";
  case Value::Kind::kBool:
    return "bool";
  case Value::Kind::kInt:
    return "int";
  case Value::Kind::kFloat:
    return "float";
  case Value::Kind::kString:
    return "str";
  case Value::Kind::kList:
    return value.isTuple() ? "tuple" : "list";
  case Value::Kind::kDict:
    return "dict";
  case Value::Kind::kObject:
    switch (value.asObject()->type()) {
    case Object::Type::kNamespace:
      return "Namespace";
    case Object::Type::kLoop:
      return "LoopContext";
    case Object::Type::kFunction:
      return "builtin_function_or_method";
    }
  }
  return "object";
}

bool truthy(const Value &value) {
  switch (value.kind()) {
  case Value::Kind::kUndefined:
  case Value::Kind::kNone:
    return false;
  case Value::Kind::kBool:
    return value.asBool();
  case Value::Kind::kInt:
    return value.asInt() != 0;
  case Value::Kind::kFloat:
    return value.asFloat() != 0.0;
  case Value::Kind::kString:
  case Value::Kind::kList:
  case Value::Kind::kDict:
    return value.size() != 0;
  case Value::Kind::kObject:
    return true;
  }
  return false;
}

namespace {

Status checkLimit(const std::string &out, size_t limit) {
  if (out.size() > limit)
    return resourceExhausted("chat template output or string exceeds " +
                             std::to_string(limit) + " bytes (RenderLimits)");
  return Status::ok();
}

Status appendObject(const Object &object, std::string &out, size_t limit) {
  switch (object.type()) {
  case Object::Type::kNamespace: {
    out += "<Namespace {";
    bool first = true;
    for (const auto &[key, v] : static_cast<const Namespace &>(object).attrs) {
      out += first ? "" : ", ";
      first = false;
      out += py::repr(key) + ": ";
      VLMC_RETURN_IF_ERROR(appendRepr(v, out, limit));
    }
    out += "}>";
    break;
  }
  case Object::Type::kLoop: {
    const auto &loop = static_cast<const LoopState &>(object);
    out += "<LoopContext " + std::to_string(loop.index + 1) + "/" +
           std::to_string(loop.items.size()) + ">";
    break;
  }
  case Object::Type::kFunction:
    out += "<built-in function " +
           static_cast<const Function &>(object).name + ">";
    break;
  }
  return checkLimit(out, limit);
}

bool isIntLike(const Value &v) { return v.isInt() || v.isBool(); }

// Python's float // and % (the result takes the divisor's sign).
void floatDivMod(double a, double b, double &div, double &mod) {
  mod = std::fmod(a, b);
  div = (a - mod) / b;
  if (mod != 0.0) {
    if ((b < 0) != (mod < 0)) {
      mod += b;
      div -= 1.0;
    }
  } else {
    mod = std::copysign(0.0, b);
  }
  if (div != 0.0) {
    double floor = std::floor(div);
    if (div - floor > 0.5)
      floor += 1.0;
    div = floor;
  } else {
    div = std::copysign(0.0, a / b);
  }
}

Status operandError(std::string_view op, const Value &a, const Value &b) {
  return typeError("unsupported operand type(s) for " + std::string(op) +
                   ": '" + typeName(a) + "' and '" + typeName(b) + "'");
}

Result<Value> repeat(const Value &seq, int64_t times, Budget &budget) {
  if (times < 0)
    times = 0;
  uint64_t n = static_cast<uint64_t>(times);
  if (seq.isString()) {
    const std::string &s = seq.asString();
    if (!s.empty() && n > budget.remaining() / s.size())
      return resourceExhausted("string repetition exceeds the chat template "
                               "allocation limit (RenderLimits)");
    VLMC_RETURN_IF_ERROR(budget.charge(s.size() * n));
    std::string out;
    out.reserve(s.size() * n);
    for (uint64_t i = 0; i < n; ++i)
      out += s;
    return Value(std::move(out));
  }
  const Value::List &items = seq.asList();
  if (!items.empty() && n > budget.remaining() / (items.size() * sizeof(Value)))
    return resourceExhausted("list repetition exceeds the chat template "
                             "allocation limit (RenderLimits)");
  VLMC_RETURN_IF_ERROR(budget.charge(items.size() * n * sizeof(Value)));
  Value::List out;
  out.reserve(items.size() * n);
  for (uint64_t i = 0; i < n; ++i)
    out.insert(out.end(), items.begin(), items.end());
  return seq.isTuple() ? Value::tuple(std::move(out))
                       : Value::list(std::move(out));
}

Result<Value> intPow(int64_t base, int64_t exp) {
  if (exp < 0) {
    if (base == 0)
      return typeError("0.0 cannot be raised to a negative power");
    return Value(std::pow(static_cast<double>(base), static_cast<double>(exp)));
  }
  int64_t result = 1;
  while (exp > 0) {
    if ((exp & 1) && __builtin_mul_overflow(result, base, &result))
      return typeError("integer overflow in **");
    exp >>= 1;
    if (exp > 0 && __builtin_mul_overflow(base, base, &base))
      return typeError("integer overflow in **");
  }
  return Value(result);
}

Result<Value> arithmetic(std::string_view op, const Value &a, const Value &b) {
  if (isIntLike(a) && isIntLike(b)) {
    int64_t x = a.asInt(), y = b.asInt(), r = 0;
    bool overflow = false;
    if (op == "+") {
      overflow = __builtin_add_overflow(x, y, &r);
    } else if (op == "-") {
      overflow = __builtin_sub_overflow(x, y, &r);
    } else if (op == "*") {
      overflow = __builtin_mul_overflow(x, y, &r);
    } else if (op == "/") {
      if (y == 0)
        return typeError("division by zero");
      return Value(static_cast<double>(x) / static_cast<double>(y));
    } else if (op == "//" || op == "%") {
      if (y == 0)
        return typeError("integer division or modulo by zero");
      if (x == std::numeric_limits<int64_t>::min() && y == -1) {
        if (op == "%")
          return Value(int64_t(0));
        return typeError("integer overflow in //");
      }
      int64_t q = x / y, m = x % y;
      if (m != 0 && ((m < 0) != (y < 0))) { // floor, not truncate
        q -= 1;
        m += y;
      }
      return Value(op == "//" ? q : m);
    } else {
      return intPow(x, y);
    }
    if (overflow)
      return typeError("integer overflow in " + std::string(op) +
                       " (Python would use a big integer)");
    return Value(r);
  }
  double x = a.asFloat(), y = b.asFloat();
  if (op == "+")
    return Value(x + y);
  if (op == "-")
    return Value(x - y);
  if (op == "*")
    return Value(x * y);
  if (op == "/") {
    if (y == 0.0)
      return typeError("float division by zero");
    return Value(x / y);
  }
  if (op == "//" || op == "%") {
    if (y == 0.0)
      return typeError("float modulo");
    double div, mod;
    floatDivMod(x, y, div, mod);
    return Value(op == "//" ? div : mod);
  }
  if (x == 0.0 && y < 0)
    return typeError("0.0 cannot be raised to a negative power");
  if (x < 0 && y != std::floor(y))
    return typeError("negative number cannot be raised to a fractional power");
  return Value(std::pow(x, y));
}

// <, <=, >, >= between values Python can order; a TypeError otherwise.
Result<bool> order(std::string_view op, const Value &a, const Value &b) {
  auto apply = [&](int cmp) {
    if (op == "<")
      return cmp < 0;
    if (op == "<=")
      return cmp <= 0;
    if (op == ">")
      return cmp > 0;
    return cmp >= 0;
  };
  if (a.isNumber() && b.isNumber()) {
    if (isIntLike(a) && isIntLike(b))
      return apply(a.asInt() < b.asInt() ? -1 : a.asInt() > b.asInt() ? 1 : 0);
    double x = a.asFloat(), y = b.asFloat();
    if (std::isnan(x) || std::isnan(y))
      return false;
    return apply(x < y ? -1 : x > y ? 1 : 0);
  }
  if (a.isString() && b.isString()) // UTF-8 byte order is code point order
    return apply(a.asString().compare(b.asString()));
  if (a.isList() && b.isList() && a.isTuple() == b.isTuple()) {
    const auto &x = a.asList(), &y = b.asList();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i)
      if (x[i] != y[i])
        return order(op, x[i], y[i]);
    return apply(x.size() < y.size() ? -1 : x.size() > y.size() ? 1 : 0);
  }
  return typeError("'" + std::string(op) +
                   "' not supported between instances of '" + typeName(a) +
                   "' and '" + typeName(b) + "'");
}

// Python's handling of slice bounds (PySlice_AdjustIndices).
struct SliceRange {
  int64_t start, step, count;
};

bool sliceBound(const Value &v, int64_t &out) {
  if (v.isNone())
    return false;
  out = v.asInt();
  return true;
}

SliceRange adjustSlice(int64_t length, const Value &startV, const Value &stopV,
                       int64_t step) {
  int64_t lower = step > 0 ? 0 : -1, upper = step > 0 ? length : length - 1;
  auto clamp = [&](const Value &v, int64_t dflt) {
    int64_t x;
    if (!sliceBound(v, x))
      return dflt;
    if (x < 0) {
      x = x < -length ? lower : x + length;
      if (x < lower)
        x = lower;
    } else if (x > upper) {
      x = upper;
    }
    return x;
  };
  int64_t start = clamp(startV, step > 0 ? lower : upper);
  int64_t stop = clamp(stopV, step > 0 ? upper : lower);
  int64_t count = 0;
  if (step > 0 && start < stop)
    count = (stop - start - 1) / step + 1;
  else if (step < 0 && start > stop)
    count = (start - stop - 1) / (-step) + 1;
  return {start, step, count};
}

Value attributeMissing(const Value &object, std::string_view name) {
  return Value::undefined("'" + typeName(object) + " object' has no attribute '" +
                          std::string(name) + "'");
}

Result<Value> loopAttr(const Value &object, const LoopState &loop,
                       std::string_view name) {
  int64_t index = static_cast<int64_t>(loop.index);
  int64_t length = static_cast<int64_t>(loop.items.size());
  const Value::List &items = loop.items.asList();
  if (name == "index")
    return Value(index + 1);
  if (name == "index0")
    return Value(index);
  if (name == "revindex")
    return Value(length - index);
  if (name == "revindex0")
    return Value(length - index - 1);
  if (name == "first")
    return Value(index == 0);
  if (name == "last")
    return Value(index + 1 == length);
  if (name == "length")
    return Value(length);
  if (name == "depth") // only recursive loops nest; those are unsupported
    return Value(int64_t(1));
  if (name == "depth0")
    return Value(int64_t(0));
  if (name == "previtem")
    return index > 0 ? items[static_cast<size_t>(index - 1)]
                     : Value::undefined("there is no previous item");
  if (name == "nextitem")
    return index + 1 < length ? items[static_cast<size_t>(index + 1)]
                              : Value::undefined("there is no next item");
  if (name == "cycle" || name == "changed")
    return Value::object(std::make_shared<Function>(Function::Kind::kLoopMethod,
                                                    std::string(name), object));
  return attributeMissing(object, name);
}

// Python's printf-style 'fmt % args': %s %r %a %d %i %u %f %F %e %E %g %G
// %x %X %o %c %% with flags, width, precision and %(key)s; args is a tuple,
// a mapping, or one value.
Result<Value> percentFormat(const std::string &fmt, const Value &args,
                            Budget &budget) {
  const Value::List single{args};
  const Value::List &positional = args.isTuple() ? args.asList() : single;
  // Python treats anything with __getitem__ (not a tuple or str) as a
  // mapping, which also silences "not all arguments converted".
  bool mapping = args.isDict() || (args.isList() && !args.isTuple()) ||
                 args.isUndefined();
  size_t next = 0;
  bool usedMapping = false;
  std::string out;
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%') {
      out += fmt[i];
      continue;
    }
    if (++i >= fmt.size())
      return typeError("incomplete format");
    const Value *arg = nullptr;
    Value keyed;
    if (fmt[i] == '(') {
      size_t close = fmt.find(')', i);
      if (close == std::string::npos)
        return typeError("incomplete format key");
      if (!args.isDict())
        return typeError("format requires a mapping");
      const Value *v = args.find(std::string_view(fmt).substr(i + 1, close - i - 1));
      if (!v)
        return typeError("format key not found");
      keyed = *v;
      arg = &keyed;
      usedMapping = true;
      i = close + 1;
    }
    std::string flags;
    while (i < fmt.size() && std::string_view("-+ #0").find(fmt[i]) != std::string_view::npos)
      flags += fmt[i++];
    auto number = [&](int &value) {
      value = -1;
      while (i < fmt.size() && fmt[i] >= '0' && fmt[i] <= '9') {
        value = (value < 0 ? 0 : value) * 10 + (fmt[i++] - '0');
        if (value > 4096)
          return false;
      }
      return true;
    };
    int width, precision = -1;
    if (!number(width))
      return typeError("format width too large");
    if (i < fmt.size() && fmt[i] == '.') {
      ++i;
      if (!number(precision))
        return typeError("format precision too large");
      if (precision < 0)
        precision = 0;
    }
    while (i < fmt.size() && (fmt[i] == 'h' || fmt[i] == 'l' || fmt[i] == 'L'))
      ++i;
    if (i >= fmt.size())
      return typeError("incomplete format");
    char conv = fmt[i];
    if (conv == '%') {
      out += '%';
      continue;
    }
    if (!arg) {
      if (next >= positional.size())
        return typeError("not enough arguments for format string");
      arg = &positional[next++];
    }
    if (arg->isUndefined() && conv != 's')
      return undefinedError(*arg);
    std::string piece;
    bool numeric = false;
    char buf[8192];
    std::string spec = "%" + flags + (width >= 0 ? std::to_string(width) : "") +
                       (precision >= 0 ? "." + std::to_string(precision) : "");
    switch (conv) {
    case 's':
    case 'r':
    case 'a':
      VLMC_RETURN_IF_ERROR(conv == 's' ? appendStr(*arg, piece, budget.remaining())
                                       : appendRepr(*arg, piece, budget.remaining()));
      if (precision >= 0) { // %.3s keeps 3 characters
        std::vector<std::string> cps = py::splitCodePoints(piece);
        if (cps.size() > static_cast<size_t>(precision)) {
          piece.clear();
          for (size_t k = 0; k < static_cast<size_t>(precision); ++k)
            piece += cps[k];
        }
      }
      break;
    case 'd':
    case 'i':
    case 'u':
    case 'x':
    case 'X':
    case 'o':
    case 'c': {
      if (!arg->isNumber())
        return typeError(std::string("%") + conv + " format: a number is required, not " +
                         typeName(*arg));
      if (arg->isFloat() && (!std::isfinite(arg->asFloat()) || conv == 'x' ||
                             conv == 'X' || conv == 'o' || conv == 'c'))
        return typeError(std::string("%") + conv + " format: an integer is required");
      long long v = arg->isFloat() ? static_cast<long long>(arg->asFloat())
                                   : static_cast<long long>(arg->asInt());
      if (conv == 'c') {
        py::appendUtf8(piece, static_cast<uint32_t>(v));
        break;
      }
      std::string c = conv == 'x' || conv == 'X' || conv == 'o' ? std::string(1, conv) : "d";
      std::snprintf(buf, sizeof buf, (spec + "ll" + c).c_str(), v);
      piece = buf;
      numeric = true;
      break;
    }
    case 'f':
    case 'F':
    case 'e':
    case 'E':
    case 'g':
    case 'G':
      if (!arg->isNumber())
        return typeError(std::string("%") + conv + " format: a real number is required, not " +
                         typeName(*arg));
      std::snprintf(buf, sizeof buf, (spec + conv).c_str(), arg->asFloat());
      piece = buf;
      numeric = true;
      break;
    default:
      return typeError(std::string("unsupported format character '") + conv + "'");
    }
    if (!numeric && width > 0) {
      size_t len = py::codePointCount(piece);
      if (len < static_cast<size_t>(width)) {
        std::string pad(static_cast<size_t>(width) - len, ' ');
        piece = flags.find('-') != std::string::npos ? piece + pad : pad + piece;
      }
    }
    out += piece;
    if (out.size() > budget.remaining())
      return resourceExhausted("formatted string exceeds the chat template "
                               "allocation limit (RenderLimits)");
  }
  if (next < positional.size() && !mapping && !usedMapping)
    return typeError("not all arguments converted during string formatting");
  VLMC_RETURN_IF_ERROR(budget.charge(out.size()));
  return Value(std::move(out));
}

} // namespace

Status appendStr(const Value &value, std::string &out, size_t limit) {
  switch (value.kind()) {
  case Value::Kind::kUndefined:
    return Status::ok();
  case Value::Kind::kNone:
    out += "None";
    break;
  case Value::Kind::kBool:
    out += value.asBool() ? "True" : "False";
    break;
  case Value::Kind::kInt:
    out += std::to_string(value.asInt());
    break;
  case Value::Kind::kFloat:
    out += py::formatFloat(value.asFloat());
    break;
  case Value::Kind::kString:
    out += value.asString();
    break;
  default:
    return appendRepr(value, out, limit);
  }
  return checkLimit(out, limit);
}

Status appendRepr(const Value &value, std::string &out, size_t limit) {
  switch (value.kind()) {
  case Value::Kind::kUndefined:
    out += "Undefined";
    break;
  case Value::Kind::kString:
    out += py::repr(value.asString());
    break;
  case Value::Kind::kList: {
    bool tuple = value.isTuple();
    const auto &items = value.asList();
    out += tuple ? '(' : '[';
    for (size_t i = 0; i < items.size(); ++i) {
      if (i)
        out += ", ";
      VLMC_RETURN_IF_ERROR(appendRepr(items[i], out, limit));
    }
    if (tuple && items.size() == 1)
      out += ',';
    out += tuple ? ')' : ']';
    break;
  }
  case Value::Kind::kDict: {
    out += '{';
    bool first = true;
    for (const auto &[key, v] : value.asDict()) {
      out += first ? "" : ", ";
      first = false;
      out += py::repr(key) + ": ";
      VLMC_RETURN_IF_ERROR(appendRepr(v, out, limit));
    }
    out += '}';
    break;
  }
  case Value::Kind::kObject:
    return appendObject(*value.asObject(), out, limit);
  default:
    return appendStr(value, out, limit);
  }
  return checkLimit(out, limit);
}

Result<std::string> toStr(const Value &value, Budget &budget) {
  std::string out;
  VLMC_RETURN_IF_ERROR(appendStr(value, out, budget.remaining()));
  VLMC_RETURN_IF_ERROR(budget.charge(out.size()));
  return out;
}

Result<Value> binaryOp(std::string_view op, const Value &a, const Value &b,
                       Budget &budget) {
  if (op == "%" && a.isString()) // formatting; an Undefined argument prints ""
    return percentFormat(a.asString(), b, budget);
  if (a.isUndefined())
    return undefinedError(a);
  if (b.isUndefined())
    return undefinedError(b);
  if (a.isNumber() && b.isNumber())
    return arithmetic(op, a, b);
  if (op == "+") {
    if (a.isString() && b.isString()) {
      VLMC_RETURN_IF_ERROR(budget.charge(a.size() + b.size()));
      return Value(a.asString() + b.asString());
    }
    if (a.isList() && b.isList() && a.isTuple() == b.isTuple()) {
      VLMC_RETURN_IF_ERROR(
          budget.charge((a.size() + b.size()) * sizeof(Value)));
      Value::List items = a.asList();
      items.insert(items.end(), b.asList().begin(), b.asList().end());
      return a.isTuple() ? Value::tuple(std::move(items))
                         : Value::list(std::move(items));
    }
  } else if (op == "*") {
    if ((a.isString() || a.isList()) && isIntLike(b))
      return repeat(a, b.asInt(), budget);
    if (isIntLike(a) && (b.isString() || b.isList()))
      return repeat(b, a.asInt(), budget);
  }
  return operandError(op, a, b);
}

Result<Value> unaryOp(const Value &a, bool negate) {
  if (a.isUndefined())
    return undefinedError(a);
  if (isIntLike(a)) {
    int64_t x = a.asInt();
    if (!negate)
      return Value(x);
    if (x == std::numeric_limits<int64_t>::min())
      return typeError("integer overflow in unary -");
    return Value(-x);
  }
  if (a.isFloat())
    return Value(negate ? -a.asFloat() : a.asFloat());
  return typeError(std::string("bad operand type for unary ") +
                   (negate ? "-" : "+") + ": '" + typeName(a) + "'");
}

Result<bool> compare(std::string_view op, const Value &a, const Value &b) {
  if (op == "==")
    return a == b;
  if (op == "!=")
    return a != b;
  if (a.isUndefined())
    return undefinedError(a);
  if (b.isUndefined())
    return undefinedError(b);
  return order(op, a, b);
}

Result<bool> contains(const Value &container, const Value &item) {
  switch (container.kind()) {
  case Value::Kind::kUndefined: // iterating an Undefined yields nothing
    return false;
  case Value::Kind::kString:
    if (!item.isString())
      return typeError("'in <string>' requires string as left operand, not " +
                       typeName(item));
    return container.asString().find(item.asString()) != std::string::npos;
  case Value::Kind::kList:
    for (const Value &v : container.asList())
      if (v == item)
        return true;
    return false;
  case Value::Kind::kDict:
    if (item.isList() && !item.isTuple())
      return typeError("unhashable type: 'list'");
    if (item.isDict())
      return typeError("unhashable type: 'dict'");
    return item.isString() && container.find(item.asString()) != nullptr;
  default:
    return typeError("argument of type '" + typeName(container) +
                     "' is not iterable");
  }
}

Result<Value> getAttr(const Value &object, std::string_view name) {
  switch (object.kind()) {
  case Value::Kind::kUndefined:
    return undefinedError(object);
  case Value::Kind::kString:
    if (isStrMethod(name))
      return Value::object(std::make_shared<Function>(
          Function::Kind::kStrMethod, std::string(name), object));
    return attributeMissing(object, name);
  case Value::Kind::kDict: {
    // Python finds dict methods before keys: msg.items is the method.
    if (isDictMethod(name))
      return Value::object(std::make_shared<Function>(
          Function::Kind::kDictMethod, std::string(name), object));
    static const char *const kOtherMethods[] = {
        "clear", "copy", "fromkeys", "pop", "popitem", "setdefault", "update"};
    for (const char *m : kOtherMethods)
      if (name == m)
        return Value::undefined("dict." + std::string(name) +
                                "() is not supported in chat templates");
    if (const Value *v = object.find(name))
      return *v;
    return attributeMissing(object, name);
  }
  case Value::Kind::kList: {
    if (isListMethod(name))
      return Value::object(std::make_shared<Function>(
          Function::Kind::kListMethod, std::string(name), object));
    // The sandbox is immutable: mutating methods are not callable.
    static const char *const kMutators[] = {"append", "clear",  "extend",
                                            "insert", "pop",    "remove",
                                            "reverse", "sort"};
    for (const char *m : kMutators)
      if (name == m)
        return Value::undefined("list." + std::string(name) +
                                "() is not supported in chat templates");
    return attributeMissing(object, name);
  }
  case Value::Kind::kObject: {
    Object *obj = object.asObject();
    if (obj->type() == Object::Type::kNamespace) {
      for (const auto &[key, v] : static_cast<Namespace *>(obj)->attrs)
        if (key == name)
          return v;
    } else if (obj->type() == Object::Type::kLoop) {
      return loopAttr(object, *static_cast<LoopState *>(obj), name);
    }
    return attributeMissing(object, name);
  }
  default:
    return attributeMissing(object, name);
  }
}

Result<Value> getItem(const Value &object, const Value &key, Budget &budget) {
  if (object.isUndefined())
    return undefinedError(object);
  if (object.isDict() && key.isString()) {
    if (const Value *v = object.find(key.asString()))
      return *v;
  }
  if ((object.isList() || object.isString()) && isIntLike(key)) {
    int64_t index = key.asInt();
    if (object.isList()) {
      const auto &items = object.asList();
      int64_t n = static_cast<int64_t>(items.size());
      if (index < 0)
        index += n;
      if (index >= 0 && index < n)
        return items[static_cast<size_t>(index)];
    } else {
      const std::string &s = object.asString();
      if (index < 0)
        index += static_cast<int64_t>(py::codePointCount(s));
      // Walk to the code point (no offset table: strings may be large).
      size_t pos = 0;
      for (int64_t k = 0; index >= 0 && k < index && pos < s.size(); ++k)
        pos += py::decodeAt(s, pos).length;
      if (index >= 0 && pos < s.size()) {
        uint32_t len = py::decodeAt(s, pos).length;
        VLMC_RETURN_IF_ERROR(budget.charge(len));
        return Value(s.substr(pos, len));
      }
    }
    return Value::undefined(typeName(object) + " object has no element " +
                            std::to_string(key.asInt()));
  }
  // Python raised KeyError/IndexError/TypeError: jinja2 retries a string key
  // as an attribute (so s['upper'] is the method) and otherwise gives
  // undefined.
  if (key.isString())
    return getAttr(object, key.asString());
  return Value::undefined("'" + typeName(object) + " object' has no element");
}

Result<Value> getSlice(const Value &object, const Value &start,
                       const Value &stop, const Value &step, Budget &budget) {
  // jinja2 compiles slices to a plain Python obj[a:b:c] (not through its
  // forgiving getitem), so every failure here is an error.
  if (object.isUndefined())
    return undefinedError(object);
  if (object.isDict())
    return typeError("unhashable type: 'slice'");
  if (!object.isList() && !object.isString())
    return typeError("'" + typeName(object) + "' object is not subscriptable");
  for (const Value *part : {&start, &stop, &step})
    if (!part->isNone() && !isIntLike(*part))
      return typeError("slice indices must be integers or None or have an "
                       "__index__ method");
  int64_t stepValue = step.isNone() ? 1 : step.asInt();
  if (stepValue == 0)
    return typeError("slice step cannot be zero");
  if (stepValue == std::numeric_limits<int64_t>::min())
    stepValue = -std::numeric_limits<int64_t>::max();
  if (object.isList()) {
    const auto &items = object.asList();
    SliceRange r = adjustSlice(static_cast<int64_t>(items.size()), start, stop,
                               stepValue);
    VLMC_RETURN_IF_ERROR(
        budget.charge(static_cast<size_t>(r.count) * sizeof(Value)));
    Value::List out;
    out.reserve(static_cast<size_t>(r.count));
    for (int64_t i = 0, k = r.start; i < r.count; ++i, k += r.step)
      out.push_back(items[static_cast<size_t>(k)]);
    return object.isTuple() ? Value::tuple(std::move(out))
                            : Value::list(std::move(out));
  }
  const std::string &s = object.asString();
  // The offset table is transient but can be 8x the string: charge it.
  VLMC_RETURN_IF_ERROR(budget.charge(s.size() * sizeof(size_t)));
  std::vector<size_t> offs = py::codePointOffsets(s);
  SliceRange r = adjustSlice(static_cast<int64_t>(offs.size()) - 1, start,
                             stop, stepValue);
  std::string out;
  for (int64_t i = 0, k = r.start; i < r.count; ++i, k += r.step) {
    size_t cp = static_cast<size_t>(k);
    out.append(s, offs[cp], offs[cp + 1] - offs[cp]);
  }
  VLMC_RETURN_IF_ERROR(budget.charge(out.size()));
  return Value(std::move(out));
}

Result<Value::List> iterate(const Value &value, Budget &budget) {
  switch (value.kind()) {
  case Value::Kind::kUndefined:
    return Value::List();
  case Value::Kind::kList:
    VLMC_RETURN_IF_ERROR(budget.charge(value.size() * sizeof(Value)));
    return value.asList();
  case Value::Kind::kDict: {
    VLMC_RETURN_IF_ERROR(budget.charge(value.size() * sizeof(Value)));
    Value::List keys;
    keys.reserve(value.size());
    for (const auto &entry : value.asDict())
      keys.emplace_back(entry.first);
    return keys;
  }
  case Value::Kind::kString: {
    const std::string &s = value.asString();
    // Each character becomes its own string value (about 80 bytes each).
    VLMC_RETURN_IF_ERROR(budget.charge(s.size() * 96));
    Value::List chars;
    for (std::string &c : py::splitCodePoints(s))
      chars.emplace_back(std::move(c));
    return chars;
  }
  default:
    return typeError("'" + typeName(value) + "' object is not iterable");
  }
}

Result<int64_t> length(const Value &value) {
  switch (value.kind()) {
  case Value::Kind::kUndefined:
    return int64_t(0);
  case Value::Kind::kString:
    return static_cast<int64_t>(py::codePointCount(value.asString()));
  case Value::Kind::kList:
  case Value::Kind::kDict:
    return static_cast<int64_t>(value.size());
  default:
    return typeError("object of type '" + typeName(value) + "' has no len()");
  }
}

} // namespace vlmc::chat::detail
