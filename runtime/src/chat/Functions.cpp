// Callables: the globals transformers' environment provides (range,
// namespace, dict, raise_exception, strftime_now), the str and dict methods
// templates call, and loop.cycle / loop.changed.
#include "Builtins.h"

#include "Evaluator.h"
#include "Ops.h"
#include "PyText.h"
#include "Try.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <limits>

namespace vlmc::chat::detail {

Result<std::vector<Value>> bindArgs(std::string_view function,
                                    const Args &args,
                                    std::initializer_list<Param> params) {
  std::string fn(function);
  if (args.positional.size() > params.size())
    return typeError(fn + "() takes at most " + std::to_string(params.size()) +
                     " argument(s) (" + std::to_string(args.positional.size()) +
                     " given)");
  std::vector<Value> out(params.size());
  std::vector<bool> given(params.size(), false);
  for (size_t i = 0; i < args.positional.size(); ++i) {
    out[i] = args.positional[i];
    given[i] = true;
  }
  for (const auto &[key, value] : args.keyword) {
    size_t i = 0;
    for (const Param &p : params) {
      if (key == p.name)
        break;
      ++i;
    }
    if (i == params.size())
      return typeError(fn + "() got an unexpected keyword argument '" + key +
                       "'");
    if (given[i])
      return typeError(fn + "() got multiple values for argument '" + key +
                       "'");
    out[i] = value;
    given[i] = true;
  }
  size_t i = 0;
  for (const Param &p : params) {
    if (!given[i]) {
      if (p.required)
        return typeError(fn + "() missing required argument '" +
                         std::string(p.name) + "'");
      out[i] = p.defaultValue;
    }
    ++i;
  }
  return out;
}

namespace {

const char *const kGlobals[] = {"range", "namespace", "raise_exception",
                                "dict", "strftime_now"};
const char *const kStrMethods[] = {
    "capitalize", "count",   "endswith", "find",    "index",   "isalnum",
    "isalpha",    "isdigit", "islower",  "isspace", "isupper", "join",
    "lower",      "lstrip",  "replace",  "rfind",   "rindex",  "rsplit",
    "rstrip",     "split",   "splitlines", "startswith", "strip", "title",
    "upper"};
const char *const kDictMethods[] = {"get", "items", "keys", "values"};
const char *const kListMethods[] = {"copy", "count", "index"};

template <size_t N>
bool contains(const char *const (&names)[N], std::string_view name) {
  return std::find(std::begin(names), std::end(names), name) != std::end(names);
}

bool isIntLike(const Value &v) { return v.isInt() || v.isBool(); }

Status needString(const std::string &fn, const Value &v, const char *what) {
  if (v.isString())
    return Status::ok();
  return typeError(fn + "(): " + what + " must be str, not " + typeName(v));
}

// --- globals ------------------------------------------------------------------

Result<Value> callRange(Renderer &r, const Args &args) {
  if (!args.keyword.empty())
    return typeError("range() takes no keyword arguments");
  const auto &p = args.positional;
  if (p.empty() || p.size() > 3)
    return typeError("range expected 1 to 3 arguments");
  for (const Value &v : p)
    if (!isIntLike(v))
      return typeError("'" + typeName(v) +
                       "' object cannot be interpreted as an integer");
  int64_t start = p.size() == 1 ? 0 : p[0].asInt();
  int64_t stop = p.size() == 1 ? p[0].asInt() : p[1].asInt();
  int64_t step = p.size() == 3 ? p[2].asInt() : 1;
  if (step == 0)
    return typeError("range() arg 3 must not be zero");
  // Count in floating point to avoid overflow; anything large fails the
  // budget charge below anyway.
  double span = (static_cast<double>(stop) - static_cast<double>(start)) /
                static_cast<double>(step);
  double count = span > 0 ? std::ceil(span) : 0;
  if (count * sizeof(Value) > static_cast<double>(r.budget().remaining()))
    return resourceExhausted("range() is larger than the chat template "
                             "allocation limit (RenderLimits)");
  size_t n = static_cast<size_t>(count);
  VLMC_RETURN_IF_ERROR(r.budget().charge(n * sizeof(Value)));
  Value::List items;
  items.reserve(n);
  for (size_t i = 0; i < n; ++i)
    items.emplace_back(start + static_cast<int64_t>(i) * step);
  return Value::list(std::move(items));
}

// dict(mapping_or_pairs?, **kwargs) - also the contents of namespace(...).
Result<Value::Dict> dictFromArgs(Renderer &r, const char *fn,
                                 const Args &args) {
  if (args.positional.size() > 1)
    return typeError(std::string(fn) + "() expected at most 1 positional "
                                       "argument");
  Value result = Value::dict();
  if (!args.positional.empty()) {
    const Value &source = args.positional[0];
    if (source.isDict()) {
      result = source;
    } else {
      VLMC_CHAT_TRY(Value::List pairs, iterate(source, r.budget()));
      for (const Value &pair : pairs) {
        if (!pair.isList() || pair.size() != 2 || !pair.asList()[0].isString())
          return typeError(std::string(fn) +
                           "(): expected a mapping or (str, value) pairs");
        result.set(pair.asList()[0].asString(), pair.asList()[1]);
      }
    }
  }
  for (const auto &[key, value] : args.keyword)
    result.set(key, value);
  return result.asDict();
}

Result<Value> callGlobal(Renderer &r, const std::string &name,
                         const Args &args) {
  if (name == "range")
    return callRange(r, args);
  if (name == "dict") {
    VLMC_CHAT_TRY(Value::Dict entries, dictFromArgs(r, "dict", args));
    return Value::dict(std::move(entries));
  }
  if (name == "namespace") {
    VLMC_CHAT_TRY(Value::Dict entries, dictFromArgs(r, "namespace", args));
    auto ns = std::make_shared<Namespace>();
    for (auto &[key, value] : entries)
      VLMC_RETURN_IF_ERROR(Renderer::checkStorable(value));
    ns->attrs = std::move(entries);
    return Value::object(std::move(ns));
  }
  if (name == "raise_exception") {
    VLMC_CHAT_TRY(auto a, bindArgs(name, args, {{"message"}}));
    VLMC_CHAT_TRY(std::string message, toStr(a[0], r.budget()));
    return invalidArgument(message);
  }
  // strftime_now(format): local time, as datetime.now().strftime(format).
  VLMC_CHAT_TRY(auto a, bindArgs(name, args, {{"format"}}));
  VLMC_RETURN_IF_ERROR(needString(name, a[0], "format"));
  std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  const std::string &format = a[0].asString();
  if (format.empty())
    return Value("");
  std::string out(256 + 4 * format.size(), '\0');
  size_t n = std::strftime(out.data(), out.size(), format.c_str(), &local);
  out.resize(n);
  return Value(std::move(out));
}

// --- str methods --------------------------------------------------------------

// Python's optional [start, end) code point range of find/count/startswith,
// as byte offsets into s. False when start lies past the end.
bool byteRange(const std::string &s, const Value &startV, const Value &endV,
               size_t &begin, size_t &end) {
  std::vector<size_t> offs = py::codePointOffsets(s);
  int64_t n = static_cast<int64_t>(offs.size()) - 1;
  auto adjust = [&](const Value &v, int64_t dflt) {
    if (!isIntLike(v))
      return dflt;
    int64_t x = v.asInt();
    if (x < 0)
      x = std::max<int64_t>(0, x + n);
    return std::min(x, n);
  };
  int64_t b = adjust(startV, 0), e = adjust(endV, n);
  if (isIntLike(startV) && startV.asInt() > n)
    return false;
  begin = offs[static_cast<size_t>(b)];
  end = std::max(begin, offs[static_cast<size_t>(e)]);
  return true;
}

int64_t cpIndex(const std::string &s, size_t bytePos) {
  return static_cast<int64_t>(
      py::codePointCount(std::string_view(s).substr(0, bytePos)));
}

Result<Value> affix(const std::string &fn, const std::string &s,
                    const Args &args, bool suffix) {
  VLMC_CHAT_TRY(auto a, bindArgs(fn, args,
                                 {{"prefix"}, {"start", Value()}, {"end", Value()}}));
  size_t begin, end;
  if (!byteRange(s, a[1], a[2], begin, end))
    return Value(false);
  std::string_view view = std::string_view(s).substr(begin, end - begin);
  std::vector<Value> candidates;
  if (a[0].isString())
    candidates.push_back(a[0]);
  else if (a[0].isTuple())
    candidates = a[0].asList();
  else
    return typeError(fn + " first arg must be str or a tuple of str, not " +
                     typeName(a[0]));
  for (const Value &c : candidates) {
    VLMC_RETURN_IF_ERROR(needString(fn, c, "tuple item"));
    const std::string &t = c.asString();
    if (t.size() <= view.size() &&
        (suffix ? view.substr(view.size() - t.size()) : view.substr(0, t.size())) == t)
      return Value(true);
  }
  return Value(false);
}

Result<Value> stripMethod(Renderer &r, const std::string &fn,
                          const std::string &s, const Args &args, bool left,
                          bool right) {
  VLMC_CHAT_TRY(auto a, bindArgs(fn, args, {{"chars", Value()}}));
  VLMC_RETURN_IF_ERROR(r.budget().charge(s.size()));
  if (a[0].isNone())
    return Value(py::strip(s, left, right));
  VLMC_RETURN_IF_ERROR(needString(fn, a[0], "chars"));
  VLMC_RETURN_IF_ERROR(r.budget().charge(s.size() * sizeof(size_t)));
  return Value(py::stripChars(s, a[0].asString(), left, right));
}

Result<Value> splitMethod(Renderer &r, const std::string &fn,
                          const std::string &s, const Args &args,
                          bool fromRight) {
  VLMC_CHAT_TRY(auto a, bindArgs(fn, args,
                                 {{"sep", Value()}, {"maxsplit", Value(int64_t(-1))}}));
  if (!isIntLike(a[1]))
    return typeError(fn + "(): maxsplit must be an integer");
  bool whitespace = a[0].isNone();
  if (!whitespace) {
    VLMC_RETURN_IF_ERROR(needString(fn, a[0], "sep"));
    if (a[0].asString().empty())
      return typeError("empty separator");
  }
  VLMC_RETURN_IF_ERROR(r.budget().charge(s.size() * 10 + 64));
  std::vector<std::string> parts =
      py::split(s, a[0].asString(), whitespace, a[1].asInt(), fromRight);
  VLMC_RETURN_IF_ERROR(r.budget().charge(parts.size() * sizeof(Value) * 3));
  Value::List out;
  out.reserve(parts.size());
  for (std::string &p : parts)
    out.emplace_back(std::move(p));
  return Value::list(std::move(out));
}

Result<Value> replaceMethod(Renderer &r, const std::string &s,
                            const Args &args) {
  VLMC_CHAT_TRY(auto a, bindArgs("replace", args,
                                 {{"old"}, {"new"}, {"count", Value(int64_t(-1))}}));
  VLMC_RETURN_IF_ERROR(needString("replace", a[0], "old"));
  VLMC_RETURN_IF_ERROR(needString("replace", a[1], "new"));
  if (!isIntLike(a[2]))
    return typeError("replace(): count must be an integer");
  const std::string &from = a[0].asString(), &to = a[1].asString();
  uint64_t limit = a[2].asInt() < 0 ? UINT64_MAX : static_cast<uint64_t>(a[2].asInt());
  // Where the next replacement goes at or after `pos`: an empty `from`
  // matches before every code point and at the end, as in Python.
  auto nextMatch = [&](size_t pos) -> size_t {
    if (!from.empty())
      return s.find(from, pos);
    return pos <= s.size() ? pos : std::string::npos;
  };
  auto advance = [&](size_t match) {
    if (!from.empty())
      return match + from.size();
    return match < s.size() ? match + py::decodeAt(s, match).length
                            : s.size() + 1;
  };
  // First pass counts, so a huge expansion fails before allocating.
  uint64_t count = 0;
  for (size_t p = nextMatch(0); p != std::string::npos && count < limit;
       p = nextMatch(advance(p)))
    ++count;
  if (!to.empty() && count > r.budget().remaining() / to.size())
    return resourceExhausted("replace() result exceeds the chat template "
                             "allocation limit (RenderLimits)");
  uint64_t size = s.size() - count * from.size() + count * to.size();
  VLMC_RETURN_IF_ERROR(r.budget().charge(size));
  std::string out;
  out.reserve(size);
  size_t last = 0;
  uint64_t done = 0;
  for (size_t p = nextMatch(0); p != std::string::npos && done < limit;
       p = nextMatch(advance(p)), ++done) {
    out.append(s, last, p - last);
    out += to;
    last = p + from.size();
  }
  out.append(s, last, std::string::npos);
  return Value(std::move(out));
}

Result<Value> findMethod(const std::string &fn, const std::string &s,
                         const Args &args, bool fromRight, bool raise) {
  VLMC_CHAT_TRY(auto a, bindArgs(fn, args,
                                 {{"sub"}, {"start", Value()}, {"end", Value()}}));
  VLMC_RETURN_IF_ERROR(needString(fn, a[0], "sub"));
  size_t begin, end;
  size_t pos = std::string::npos;
  if (byteRange(s, a[1], a[2], begin, end)) {
    std::string_view view = std::string_view(s).substr(begin, end - begin);
    size_t p = fromRight ? view.rfind(a[0].asString()) : view.find(a[0].asString());
    if (p != std::string_view::npos)
      pos = begin + p;
  }
  if (pos == std::string::npos) {
    if (raise)
      return typeError("substring not found");
    return Value(int64_t(-1));
  }
  return Value(cpIndex(s, pos));
}

Result<Value> countMethod(const std::string &s, const Args &args) {
  VLMC_CHAT_TRY(auto a, bindArgs("count", args,
                                 {{"sub"}, {"start", Value()}, {"end", Value()}}));
  VLMC_RETURN_IF_ERROR(needString("count", a[0], "sub"));
  size_t begin, end;
  if (!byteRange(s, a[1], a[2], begin, end))
    return Value(int64_t(0));
  std::string_view view = std::string_view(s).substr(begin, end - begin);
  const std::string &sub = a[0].asString();
  if (sub.empty())
    return Value(static_cast<int64_t>(py::codePointCount(view) + 1));
  int64_t n = 0;
  for (size_t p = view.find(sub); p != std::string_view::npos;
       p = view.find(sub, p + sub.size()))
    ++n;
  return Value(n);
}

Result<Value> joinMethod(Renderer &r, const std::string &sep, const Args &args) {
  VLMC_CHAT_TRY(auto a, bindArgs("join", args, {{"iterable"}}));
  VLMC_CHAT_TRY(Value::List items, iterate(a[0], r.budget()));
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!items[i].isString())
      return typeError("sequence item " + std::to_string(i) +
                       ": expected str instance, " + typeName(items[i]) +
                       " found");
    if (i)
      out += sep;
    out += items[i].asString();
    if (out.size() > r.budget().remaining())
      return resourceExhausted("join() result exceeds the chat template "
                               "allocation limit (RenderLimits)");
  }
  VLMC_RETURN_IF_ERROR(r.budget().charge(out.size()));
  return Value(std::move(out));
}

Result<Value> splitlinesMethod(Renderer &r, const std::string &s,
                               const Args &args) {
  VLMC_CHAT_TRY(auto a, bindArgs("splitlines", args, {{"keepends", Value(false)}}));
  bool keep = truthy(a[0]);
  VLMC_RETURN_IF_ERROR(r.budget().charge(s.size() * 2 + 64));
  Value::List out;
  size_t start = 0;
  for (size_t i = 0; i < s.size();) {
    py::CodePoint cp = py::decodeAt(s, i);
    uint32_t v = cp.value;
    bool valid = !(cp.length == 1 && v >= 0x80);
    bool lineBreak = valid && ((v >= 0x0A && v <= 0x0D) || v == 0x1C ||
                               v == 0x1D || v == 0x1E || v == 0x85 ||
                               v == 0x2028 || v == 0x2029);
    if (!lineBreak) {
      i += cp.length;
      continue;
    }
    size_t next = i + cp.length;
    if (v == '\r' && next < s.size() && s[next] == '\n')
      ++next;
    out.emplace_back(s.substr(start, (keep ? next : i) - start));
    start = i = next;
  }
  if (start < s.size())
    out.emplace_back(s.substr(start));
  return Value::list(std::move(out));
}

template <typename Pred>
Result<Value> classify(const std::string &fn, const std::string &s,
                       const Args &args, Pred pred) {
  VLMC_CHAT_TRY(auto a, bindArgs(fn, args, {}));
  if (s.empty())
    return Value(false);
  for (size_t i = 0; i < s.size();) {
    py::CodePoint cp = py::decodeAt(s, i);
    if ((cp.length == 1 && cp.value >= 0x80) || !pred(cp.value))
      return Value(false);
    i += cp.length;
  }
  return Value(true);
}

Result<Value> casedMethod(const std::string &fn, const std::string &s,
                          const Args &args, bool upper) {
  VLMC_CHAT_TRY(auto a, bindArgs(fn, args, {}));
  bool anyCased = false;
  for (size_t i = 0; i < s.size();) {
    py::CodePoint cp = py::decodeAt(s, i);
    i += cp.length;
    if (cp.length == 1 && cp.value >= 0x80)
      continue;
    if (upper ? py::isLowerCp(cp.value) : py::isUpperCp(cp.value))
      return Value(false);
    anyCased = anyCased || py::isCased(cp.value);
  }
  return Value(anyCased);
}

Result<Value> callStrMethod(Renderer &r, const std::string &name,
                            const std::string &s, const Args &args) {
  auto noArgs = [&](std::string (*f)(std::string_view)) -> Result<Value> {
    VLMC_CHAT_TRY(auto a, bindArgs(name, args, {}));
    VLMC_RETURN_IF_ERROR(r.budget().charge(s.size()));
    return Value(f(s));
  };
  if (name == "startswith" || name == "endswith")
    return affix(name, s, args, name == "endswith");
  if (name == "strip" || name == "lstrip" || name == "rstrip")
    return stripMethod(r, name, s, args, name != "rstrip", name != "lstrip");
  if (name == "split" || name == "rsplit")
    return splitMethod(r, name, s, args, name == "rsplit");
  if (name == "replace")
    return replaceMethod(r, s, args);
  if (name == "upper")
    return noArgs(py::upper);
  if (name == "lower")
    return noArgs(py::lower);
  if (name == "title")
    return noArgs(py::title);
  if (name == "capitalize")
    return noArgs(py::capitalize);
  if (name == "find" || name == "rfind" || name == "index" || name == "rindex")
    return findMethod(name, s, args, name[0] == 'r',
                      name == "index" || name == "rindex");
  if (name == "count")
    return countMethod(s, args);
  if (name == "join")
    return joinMethod(r, s, args);
  if (name == "splitlines")
    return splitlinesMethod(r, s, args);
  if (name == "isdigit")
    return classify(name, s, args, py::isDigit);
  if (name == "isalpha")
    return classify(name, s, args, py::isAlpha);
  if (name == "isalnum")
    return classify(name, s, args,
                    [](uint32_t c) { return py::isAlpha(c) || py::isDigit(c); });
  if (name == "isspace")
    return classify(name, s, args, py::isSpace);
  if (name == "isupper" || name == "islower")
    return casedMethod(name, s, args, name == "isupper");
  return typeError("unsupported str method '" + name + "'");
}

// --- dict and loop methods ----------------------------------------------------

Result<Value> callDictMethod(Renderer &r, const std::string &name,
                             const Value &d, const Args &args) {
  if (name == "get") {
    VLMC_CHAT_TRY(auto a, bindArgs(name, args, {{"key"}, {"default", Value()}}));
    if (a[0].isString())
      if (const Value *v = d.find(a[0].asString()))
        return *v;
    return a[1];
  }
  VLMC_CHAT_TRY(auto a, bindArgs(name, args, {}));
  VLMC_RETURN_IF_ERROR(r.budget().charge(d.size() * 3 * sizeof(Value)));
  Value::List out;
  for (const auto &[key, value] : d.asDict()) {
    if (name == "items")
      out.push_back(Value::tuple({Value(key), value}));
    else if (name == "keys")
      out.emplace_back(key);
    else
      out.push_back(value);
  }
  return Value::list(std::move(out));
}

Result<Value> callListMethod(const std::string &name, const Value &list,
                             const Args &args) {
  const Value::List &items = list.asList();
  if (name == "copy") {
    VLMC_CHAT_TRY(auto a, bindArgs(name, args, {}));
    return list;
  }
  if (name == "count") {
    VLMC_CHAT_TRY(auto a, bindArgs(name, args, {{"value"}}));
    return Value(static_cast<int64_t>(std::count(items.begin(), items.end(), a[0])));
  }
  VLMC_CHAT_TRY(auto a, bindArgs(name, args,
                                 {{"value"}, {"start", Value()}, {"stop", Value()}}));
  int64_t n = static_cast<int64_t>(items.size());
  auto bound = [&](const Value &v, int64_t dflt) {
    if (!isIntLike(v))
      return dflt;
    int64_t x = v.asInt();
    return x < 0 ? std::max<int64_t>(0, x + n) : std::min(x, n);
  };
  for (int64_t i = bound(a[1], 0), end = bound(a[2], n); i < end; ++i)
    if (items[static_cast<size_t>(i)] == a[0])
      return Value(i);
  return typeError("value is not in list");
}

Result<Value> callLoopMethod(const std::string &name, LoopState &loop,
                             const Args &args) {
  if (!args.keyword.empty())
    return typeError("loop." + name + "() takes no keyword arguments");
  if (name == "cycle") {
    if (args.positional.empty())
      return typeError("no items for cycling given");
    return args.positional[loop.index % args.positional.size()];
  }
  Value current = Value::list(args.positional); // loop.changed(*values)
  bool changed = !loop.haveChanged || current != loop.lastChanged;
  loop.haveChanged = true;
  loop.lastChanged = current;
  return Value(changed);
}

} // namespace

bool isGlobalFunction(std::string_view name) { return contains(kGlobals, name); }
bool isStrMethod(std::string_view name) { return contains(kStrMethods, name); }
bool isDictMethod(std::string_view name) { return contains(kDictMethods, name); }
bool isListMethod(std::string_view name) { return contains(kListMethods, name); }

Result<Value> callFunction(Renderer &renderer, Function &function,
                           const Args &args) {
  switch (function.kind) {
  case Function::Kind::kGlobal:
    return callGlobal(renderer, function.name, args);
  case Function::Kind::kStrMethod:
    return callStrMethod(renderer, function.name,
                         function.receiver.asString(), args);
  case Function::Kind::kDictMethod:
    return callDictMethod(renderer, function.name, function.receiver, args);
  case Function::Kind::kListMethod:
    return callListMethod(function.name, function.receiver, args);
  case Function::Kind::kLoopMethod:
    return callLoopMethod(function.name,
                          *static_cast<LoopState *>(function.receiver.asObject()),
                          args);
  }
  return typeError("not callable");
}

} // namespace vlmc::chat::detail
