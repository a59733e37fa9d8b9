// Jinja filters and tests. Each follows jinja2's implementation (argument
// names and defaults included) over Python semantics.
#include "Builtins.h"

#include "Evaluator.h"
#include "Json.h"
#include "Ops.h"
#include "PyText.h"
#include "Try.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace vlmc::chat::detail {
namespace {

using FilterFn = Result<Value> (*)(Renderer &, const Value &, const Args &);
using TestFn = Result<bool> (*)(Renderer &, const Value &, const Args &);

Result<std::string> str(Renderer &r, const Value &v) {
  return toStr(v, r.budget());
}

Result<Value> strValue(Renderer &r, const Value &v) {
  VLMC_CHAT_TRY(std::string s, str(r, v));
  return Value(std::move(s));
}

// A string a filter built, charged to the render's allocation budget.
Result<Value> charged(Renderer &r, std::string s) {
  VLMC_RETURN_IF_ERROR(r.budget().charge(s.size()));
  return Value(std::move(s));
}

bool isIntLike(const Value &v) { return v.isInt() || v.isBool(); }

// Python's int(text, base) for the |int filter: whitespace, sign, an
// optional 0x/0o/0b prefix matching the base, single underscores.
bool parsePyInt(std::string_view text, int64_t base, int64_t &out) {
  std::string_view s = py::strip(text, true, true);
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.size() >= 2 && s[0] == '0') {
    char p = static_cast<char>(s[1] | 0x20);
    int64_t prefixBase = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 0;
    if (prefixBase && (base == prefixBase || base == 0)) {
      base = prefixBase;
      s.remove_prefix(2);
      if (!s.empty() && s[0] == '_')
        s.remove_prefix(1);
    }
  }
  if (base == 0)
    base = 10;
  if (base < 2 || base > 36 || s.empty())
    return false;
  uint64_t acc = 0;
  bool lastUnderscore = true; // no leading underscore
  for (char c : s) {
    if (c == '_') {
      if (lastUnderscore)
        return false;
      lastUnderscore = true;
      continue;
    }
    int d = (c >= '0' && c <= '9')   ? c - '0'
            : (c >= 'a' && c <= 'z') ? c - 'a' + 10
            : (c >= 'A' && c <= 'Z') ? c - 'A' + 10
                                     : 99;
    if (d >= base)
      return false;
    if (acc > (static_cast<uint64_t>(INT64_MAX) - static_cast<uint64_t>(d)) /
                  static_cast<uint64_t>(base))
      return false;
    acc = acc * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
    lastUnderscore = false;
  }
  if (lastUnderscore)
    return false;
  out = negative ? -static_cast<int64_t>(acc) : static_cast<int64_t>(acc);
  return true;
}

// Python's float(text): decimal or inf/nan spellings, underscores between
// digits, surrounding whitespace.
bool parsePyFloat(std::string_view text, double &out) {
  std::string_view s = py::strip(text, true, true);
  std::string clean;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '_') {
      bool digitsAround = i > 0 && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i - 1])) &&
                          std::isdigit(static_cast<unsigned char>(s[i + 1]));
      if (!digitsAround)
        return false;
      continue;
    }
    if (c == 'x' || c == 'X' || c == 'p' || c == 'P') // no hex floats
      return false;
    clean += c;
  }
  if (clean.empty())
    return false;
  char *end = nullptr;
  out = std::strtod(clean.c_str(), &end);
  return end == clean.c_str() + clean.size();
}

// make_attrgetter: "a.b.0" looks up a, then b, then index 0 (getitem first).
Result<Value> lookupAttribute(Renderer &r, const Value &item,
                              const Value &attribute) {
  if (isIntLike(attribute))
    return getItem(item, attribute, r.budget());
  VLMC_CHAT_TRY(std::string path, str(r, attribute));
  Value current = item;
  for (std::string &part : py::split(path, ".", false, -1, false)) {
    bool digits = !part.empty();
    for (char c : part)
      digits = digits && c >= '0' && c <= '9';
    int64_t index = 0;
    Value key = digits && parsePyInt(part, 10, index) ? Value(index)
                                                      : Value(std::move(part));
    VLMC_CHAT_TRY(current, getItem(current, key, r.budget()));
  }
  return current;
}

// --- filters ------------------------------------------------------------------

Result<Value> fAbs(Renderer &, const Value &v, const Args &args) {
  VLMC_CHAT_TRY(auto a, bindArgs("abs", args, {}));
  (void)a;
  if (v.isUndefined())
    return undefinedError(v);
  if (isIntLike(v)) {
    if (v.asInt() == std::numeric_limits<int64_t>::min())
      return typeError("integer overflow in abs()");
    return Value(std::abs(v.asInt()));
  }
  if (v.isFloat())
    return Value(std::fabs(v.asFloat()));
  return typeError("bad operand type for abs(): '" + typeName(v) + "'");
}

Result<Value> fAttr(Renderer &, const Value &v, const Args &args) {
  VLMC_CHAT_TRY(auto a, bindArgs("attr", args, {{"name"}}));
  if (!a[0].isString())
    return Value::undefined("attribute name must be a string");
  // Attribute lookup only: {'a': 1}|attr('a') is undefined.
  if (v.isDict() && !isDictMethod(a[0].asString()))
    return Value::undefined("'dict object' has no attribute '" +
                            a[0].asString() + "'");
  return getAttr(v, a[0].asString());
}

Result<Value> fCapitalize(Renderer &r, const Value &v, const Args &args) {
  VLMC_CHAT_TRY(auto a, bindArgs("capitalize", args, {}));
  VLMC_CHAT_TRY(std::string s, str(r, v));
  return charged(r, py::capitalize(s));
}

Result<Value> fLength(Renderer &, const Value &v, const Args &args) {
  VLMC_CHAT_TRY(auto a, bindArgs("length", args, {}));
  VLMC_CHAT_TRY(int64_t n, length(v));
  return Value(n);
}

Result<Value> fDefault(Renderer &, const Value &v, const Args &args) {
  VLMC_CHAT_TRY(auto a, bindArgs("default", args,
                                 {{"default_value", Value("")},
                                  {"boolean", Value(false)}}));
  if (v.isUndefined() || (truthy(a[1]) && !truthy(v)))
    return a[0];
  return v;
}

Result<Value> fEscape(Renderer &r, const Value &v, const Args &args) {
  VLMC_CHAT_TRY(auto a, bindArgs("escape", args, {}));
  VLMC_CHAT_TRY(std::string s, str(r, v));
  std::string out;
  for (char c : s) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&#34;";
      break;
    case '\'':
      out += "&#39;";
      break;
    default:
      out += c;
    }
  }
  VLMC_RETURN_IF_ERROR(r.budget().charge(out.size()));
  return Value(std::move(out));
}

Result<Value> firstOrLast(const Value &v, bool last, Budget &budget) {
  switch (v.kind()) {
  case Value::Kind::kList:
    if (v.size())
      return last ? v.asList().back() : v.asList().front();
    break;
  case Value::Kind::kDict:
    if (v.size())
      return Value(last ? v.asDict().back().first : v.asDict().front().first);
    break;
  case Value::Kind::kString:
    if (v.size()) {
      std::vector<std::string> chars = py::splitCodePoints(v.asString());
      VLMC_RETURN_IF_ERROR(budget.charge(8));
      return Value(last ? chars.back() : chars.front());
    }
    break;
  case Value::Kind::kUndefined:
    break;
  default:
    return typeError("'" + typeName(v) + "' object is not iterable");
  }
  return Value::undefined(last ? "No last item, sequence was empty."
                               : "No first item, sequence was empty.");
}

Result<Value> fFirst(Renderer &r, const Value &v, const Args &args) {
  VLMC_CHAT_TRY(auto a, bindArgs("first", args, {}));
  return firstOrLast(v, false, r.budget());
}

Result<Value> fLast(Renderer &r, const Value &v, const Args &args) {
  VLMC_CHAT_TRY(auto a, bindArgs("last", args, {}));
  return firstOrLast(v, true, r.budget());
}

Result<Value> fFloat(Renderer &, const Value &v, const Args &args) {
  VLMC_CHAT_TRY(auto a, bindArgs("float", args, {{"default", Value(0.0)}}));
  if (v.isUndefined()) // float(Undefined) raises in jinja2
    return undefinedError(v);
  if (v.isNumber())
    return Value(v.asFloat());
  double f;
  if (v.isString() && parsePyFloat(v.asString(), f))
    return Value(f);
  return a[0];
}

Result<Value> fInt(Renderer &, const Value &v, const Args &args) {
  VLMC_CHAT_TRY(auto a, bindArgs("int", args,
                                 {{"default", Value(int64_t(0))},
                                  {"base", Value(int64_t(10))}}));
  if (v.isUndefined()) // int(Undefined) raises in jinja2
    return undefinedError(v);
  if (isIntLike(v))
    return Value(v.asInt());
  double f = 0;
  bool haveFloat = false;
  if (v.isString()) {
    int64_t i;
    if (parsePyInt(v.asString(), a[1].asInt(), i))
      return Value(i);
    haveFloat = parsePyFloat(v.asString(), f); // "42.23"|int is 42
  } else if (v.isFloat()) {
    f = v.asFloat();
    haveFloat = true;
  }
  if (!haveFloat || std::isnan(f))
    return a[0];
  if (std::isinf(f) || f >= 9223372036854775808.0 || f < -9223372036854775808.0)
    return typeError("cannot convert float " + py::formatFloat(f) +
                     " to a 64-bit integer");
  return Value(static_cast<int64_t>(f));
}

Result<Value> fItems(Renderer &r, const Value &v, const Args &args) {
  VLMC_CHAT_TRY(auto a, bindArgs("items", args, {}));
  if (v.isUndefined())
    return Value::list();
  if (!v.isDict())
    return typeError("Can only get item pairs from a mapping.");
  VLMC_RETURN_IF_ERROR(r.budget().charge(v.size() * 3 * sizeof(Value)));
  Value::List out;
  for (const auto &[key, value] : v.asDict())
    out.push_back(Value::tuple({Value(key), value}));
  return Value::list(std::move(out));
}

Result<Value> fJoin(Renderer &r, const Value &v, const Args &args) {
  VLMC_CHAT_TRY(auto a, bindArgs("join", args,
                                 {{"d", Value("")}, {"attribute", Value()}}));
  VLMC_CHAT_TRY(Value::List items, iterate(v, r.budget()));
  VLMC_CHAT_TRY(std::string sep, str(r, a[0]));
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    Value item = items[i];
    if (!a[1].isNone()) {
      VLMC_CHAT_TRY(item, lookupAttribute(r, item, a[1]));
    }
    if (i)
      out += sep;
    VLMC_RETURN_IF_ERROR(appendStr(item, out, r.budget().remaining()));
  }
  VLMC_RETURN_IF_ERROR(r.budget().charge(out.size()));
  return Value(std::move(out));
}

Result<Value> fList(Renderer &r, const Value &v, const Args &args) {
  VLMC_CHAT_TRY(auto a, bindArgs("list", args, {}));
  VLMC_CHAT_TRY(Value::List items, iterate(v, r.budget()));
  return Value::list(std::move(items));
}

Result<Value> fLower(Renderer &r, const Value &v, const Args &args) {
  VLMC_CHAT_TRY(auto a, bindArgs("lower", args, {}));
  VLMC_CHAT_TRY(std::string s, str(r, v));
  return charged(r, py::lower(s));
}

Result<Value> fUpper(Renderer &r, const Value &v, const Args &args) {
  VLMC_CHAT_TRY(auto a, bindArgs("upper", args, {}));
  VLMC_CHAT_TRY(std::string s, str(r, v));
  return charged(r, py::upper(s));
}

// map(attribute='x', default=...) or map('filter', args...). Like jinja2,
// a falsy input gives nothing without looking at it or the arguments.
Result<Value> fMap(Renderer &r, const Value &v, const Args &args) {
  if (!truthy(v))
    return Value::list();
  VLMC_CHAT_TRY(Value::List items, iterate(v, r.budget()));
  Value::List out;
  if (args.positional.empty()) {
    Value attribute = Value::undefined(), dflt;
    for (const auto &[key, value] : args.keyword) {
      if (key == "attribute")
        attribute = value;
      else if (key == "default")
        dflt = value;
      else
        return typeError("map(): unexpected keyword argument '" + key + "'");
    }
    if (attribute.isUndefined())
      return typeError("map(): expected a filter name or attribute=");
    for (const Value &item : items) {
      VLMC_CHAT_TRY(Value mapped, lookupAttribute(r, item, attribute));
      if (mapped.isUndefined() && !dflt.isNone())
        mapped = dflt;
      out.push_back(std::move(mapped));
    }
    return Value::list(std::move(out));
  }
  if (!args.positional[0].isString())
    return typeError("map(): the filter name must be a string");
  const std::string &name = args.positional[0].asString();
  if (!isKnownFilter(name))
    return typeError("unsupported filter '" + name + "'");
  Args rest{{args.positional.begin() + 1, args.positional.end()}, args.keyword};
  for (const Value &item : items) {
    VLMC_CHAT_TRY(Value mapped, applyFilter(r, name, item, rest));
    out.push_back(std::move(mapped));
  }
  return Value::list(std::move(out));
}

// select/reject/selectattr/rejectattr share jinja2's _select_or_reject.
Result<Value> selectOrReject(Renderer &r, const Value &v, const Args &args,
                             bool keepMatches, bool byAttribute) {
  if (!truthy(v)) // jinja2 checks `if seq:` before anything else
    return Value::list();
  VLMC_CHAT_TRY(Value::List items, iterate(v, r.budget()));
  size_t next = 0;
  Value attribute;
  if (byAttribute) {
    if (args.positional.empty())
      return typeError("selectattr/rejectattr need an attribute");
    attribute = args.positional[next++];
  }
  std::string testName;
  if (next < args.positional.size()) {
    if (!args.positional[next].isString())
      return typeError("the test name must be a string");
    testName = args.positional[next++].asString();
    if (!isKnownTest(testName))
      return typeError("unsupported test '" + testName + "'");
  }
  Args rest{{args.positional.begin() + static_cast<std::ptrdiff_t>(next),
             args.positional.end()},
            args.keyword};
  Value::List out;
  for (const Value &item : items) {
    Value subject = item;
    if (byAttribute) {
      VLMC_CHAT_TRY(subject, lookupAttribute(r, item, attribute));
    }
    bool match;
    if (testName.empty()) {
      match = truthy(subject);
    } else {
      VLMC_CHAT_TRY(match, applyTest(r, testName, subject, rest));
    }
    if (match == keepMatches)
      out.push_back(item);
  }
  return Value::list(std::move(out));
}

Result<Value> fSelect(Renderer &r, const Value &v, const Args &args) {
  return selectOrReject(r, v, args, true, false);
}
Result<Value> fReject(Renderer &r, const Value &v, const Args &args) {
  return selectOrReject(r, v, args, false, false);
}
Result<Value> fSelectAttr(Renderer &r, const Value &v, const Args &args) {
  return selectOrReject(r, v, args, true, true);
}
Result<Value> fRejectAttr(Renderer &r, const Value &v, const Args &args) {
  return selectOrReject(r, v, args, false, true);
}

Result<Value> fReplace(Renderer &r, const Value &v, const Args &args) {
  VLMC_CHAT_TRY(auto a, bindArgs("replace", args,
                                 {{"old"}, {"new"}, {"count", Value()}}));
  VLMC_CHAT_TRY(std::string s, str(r, v));
  VLMC_CHAT_TRY(std::string oldText, str(r, a[0]));
  VLMC_CHAT_TRY(std::string newText, str(r, a[1]));
  Args methodArgs{{Value(oldText), Value(newText)}, {}};
  if (!a[2].isNone())
    methodArgs.positional.push_back(a[2]);
  Function replace(Function::Kind::kStrMethod, "replace", Value(std::move(s)));
  return callFunction(r, replace, methodArgs);
}

Result<Value> fReverse(Renderer &r, const Value &v, const Args &args) {
  VLMC_CHAT_TRY(auto a, bindArgs("reverse", args, {}));
  if (v.isString()) {
    std::vector<std::string> chars = py::splitCodePoints(v.asString());
    std::string out;
    for (auto it = chars.rbegin(); it != chars.rend(); ++it)
      out += *it;
    VLMC_RETURN_IF_ERROR(r.budget().charge(out.size()));
    return Value(std::move(out));
  }
  VLMC_CHAT_TRY(Value::List items, iterate(v, r.budget()));
  return Value::list(Value::List(items.rbegin(), items.rend()));
}

Result<Value> fRound(Renderer &, const Value &v, const Args &args) {
  VLMC_CHAT_TRY(auto a, bindArgs("round", args,
                                 {{"precision", Value(int64_t(0))},
                                  {"method", Value("common")}}));
  if (v.isUndefined())
    return undefinedError(v);
  if (!v.isNumber() || !isIntLike(a[0]))
    return typeError("round() needs a number and an integer precision");
  const std::string &method = a[1].asString();
  if (method != "common" && method != "ceil" && method != "floor")
    return typeError("method must be common, ceil or floor");
  int64_t precision = a[0].asInt();
  if (precision < -308 || precision > 308)
    return typeError("round(): precision out of range");
  if (method == "common") {
    if (isIntLike(v) && precision >= 0) // round(int, n) stays an int
      return Value(v.asInt());
    double x = v.asFloat();
    if (!std::isfinite(x))
      return Value(x);
    if (precision >= 0) {
      // printf rounds the exact binary value half-to-even, as Python's
      // round() does, e.g. round(2.675, 2) == 2.67.
      char buf[512];
      std::snprintf(buf, sizeof buf, "%.*f", static_cast<int>(precision), x);
      return Value(std::strtod(buf, nullptr));
    }
    double scale = std::pow(10.0, static_cast<double>(-precision));
    return Value(std::nearbyint(x / scale) * scale);
  }
  double scale = std::pow(10.0, static_cast<double>(precision));
  double x = v.asFloat() * scale;
  return Value((method == "ceil" ? std::ceil(x) : std::floor(x)) / scale);
}

Result<Value> fString(Renderer &r, const Value &v, const Args &args) {
  VLMC_CHAT_TRY(auto a, bindArgs("string", args, {}));
  return strValue(r, v);
}

Result<Value> fTitle(Renderer &r, const Value &v, const Args &args) {
  VLMC_CHAT_TRY(auto a, bindArgs("title", args, {}));
  VLMC_CHAT_TRY(std::string s, str(r, v));
  return charged(r, py::jinjaTitle(s));
}

// transformers' override: json.dumps(x, ensure_ascii=False, indent=None,
// separators=None, sort_keys=False) - no HTML escaping, unlike jinja2's.
Result<Value> fToJson(Renderer &r, const Value &v, const Args &args) {
  VLMC_CHAT_TRY(auto a, bindArgs("tojson", args,
                                 {{"ensure_ascii", Value(false)},
                                  {"indent", Value()},
                                  {"separators", Value()},
                                  {"sort_keys", Value(false)}}));
  JsonOptions options;
  options.ensureAscii = truthy(a[0]);
  options.sortKeys = truthy(a[3]);
  if (!a[1].isNone()) {
    options.pretty = true;
    options.itemSeparator = ",";
    if (isIntLike(a[1])) {
      int64_t n = std::max<int64_t>(0, a[1].asInt());
      if (static_cast<uint64_t>(n) > r.budget().remaining())
        return resourceExhausted("tojson indent exceeds the chat template "
                                 "allocation limit (RenderLimits)");
      VLMC_RETURN_IF_ERROR(r.budget().charge(static_cast<size_t>(n)));
      options.indent = std::string(static_cast<size_t>(n), ' ');
    } else if (a[1].isString()) {
      options.indent = a[1].asString();
    } else {
      return typeError("tojson: indent must be an int or a string");
    }
  }
  if (!a[2].isNone()) {
    const Value::List &seps = a[2].asList();
    if (seps.size() != 2 || !seps[0].isString() || !seps[1].isString())
      return typeError("tojson: separators must be a pair of strings");
    options.itemSeparator = seps[0].asString();
    options.keySeparator = seps[1].asString();
  }
  std::string out;
  VLMC_RETURN_IF_ERROR(appendJson(v, options, out, r.budget().remaining()));
  VLMC_RETURN_IF_ERROR(r.budget().charge(out.size()));
  return Value(std::move(out));
}

Result<Value> fTrim(Renderer &r, const Value &v, const Args &args) {
  VLMC_CHAT_TRY(auto a, bindArgs("trim", args, {{"chars", Value()}}));
  VLMC_CHAT_TRY(std::string s, str(r, v));
  if (a[0].isNone())
    return charged(r, std::string(py::strip(s, true, true)));
  VLMC_CHAT_TRY(std::string chars, str(r, a[0]));
  return charged(r, std::string(py::stripChars(s, chars, true, true)));
}

Result<Value> fSafe(Renderer &r, const Value &v, const Args &args) {
  VLMC_CHAT_TRY(auto a, bindArgs("safe", args, {}));
  return strValue(r, v); // Markup(value): a str; autoescape is off anyway
}

struct FilterEntry {
  const char *name;
  FilterFn fn;
};
const FilterEntry kFilters[] = {
    {"abs", fAbs},           {"attr", fAttr},
    {"capitalize", fCapitalize}, {"count", fLength},
    {"d", fDefault},         {"default", fDefault},
    {"e", fEscape},          {"escape", fEscape},
    {"first", fFirst},       {"float", fFloat},
    {"int", fInt},           {"items", fItems},
    {"join", fJoin},         {"last", fLast},
    {"length", fLength},     {"list", fList},
    {"lower", fLower},       {"map", fMap},
    {"reject", fReject},     {"rejectattr", fRejectAttr},
    {"replace", fReplace},   {"reverse", fReverse},
    {"round", fRound},       {"safe", fSafe},
    {"select", fSelect},     {"selectattr", fSelectAttr},
    {"string", fString},     {"title", fTitle},
    {"tojson", fToJson},     {"trim", fTrim},
    {"upper", fUpper},
};

// --- tests --------------------------------------------------------------------

Result<bool> oneArgTest(const char *name, const Args &args, Value &arg) {
  VLMC_CHAT_TRY(auto a, bindArgs(name, args, {{"other"}}));
  arg = a[0];
  return true;
}

#define VLMC_CHAT_SIMPLE_TEST(fnName, testName, expr)                          \
  Result<bool> fnName(Renderer &, const Value &v, const Args &args) {          \
    VLMC_CHAT_TRY(auto a, bindArgs(testName, args, {}));                       \
    (void)a;                                                                   \
    (void)v;                                                                   \
    return (expr);                                                             \
  }

VLMC_CHAT_SIMPLE_TEST(tDefined, "defined", !v.isUndefined())
VLMC_CHAT_SIMPLE_TEST(tUndefined, "undefined", v.isUndefined())
VLMC_CHAT_SIMPLE_TEST(tNone, "none", v.isNone())
VLMC_CHAT_SIMPLE_TEST(tBoolean, "boolean", v.isBool())
VLMC_CHAT_SIMPLE_TEST(tFalse, "false", v.isBool() && !v.asBool())
VLMC_CHAT_SIMPLE_TEST(tTrue, "true", v.isBool() && v.asBool())
VLMC_CHAT_SIMPLE_TEST(tInteger, "integer", v.isInt())
VLMC_CHAT_SIMPLE_TEST(tFloat, "float", v.isFloat())
VLMC_CHAT_SIMPLE_TEST(tNumber, "number", v.isNumber())
VLMC_CHAT_SIMPLE_TEST(tString, "string", v.isString())
VLMC_CHAT_SIMPLE_TEST(tMapping, "mapping", v.isDict())
// Undefined is iterable (empty) and a sequence (len 0) in jinja2.
VLMC_CHAT_SIMPLE_TEST(tIterable, "iterable",
                      v.isString() || v.isList() || v.isDict() ||
                          v.isUndefined() ||
                          (v.isObject() &&
                           v.asObject()->type() == Object::Type::kLoop))
VLMC_CHAT_SIMPLE_TEST(tSequence, "sequence",
                      v.isString() || v.isList() || v.isDict() ||
                          v.isUndefined())
VLMC_CHAT_SIMPLE_TEST(tCallable, "callable",
                      v.isObject() &&
                          v.asObject()->type() != Object::Type::kNamespace)
VLMC_CHAT_SIMPLE_TEST(tEscaped, "escaped", false)

Result<bool> casedTest(Renderer &r, const Value &v, bool wantUpper) {
  VLMC_CHAT_TRY(std::string s, toStr(v, r.budget()));
  bool anyCased = false;
  for (size_t i = 0; i < s.size();) {
    py::CodePoint cp = py::decodeAt(s, i);
    i += cp.length;
    if (cp.length == 1 && cp.value >= 0x80)
      continue;
    if (wantUpper ? py::isLowerCp(cp.value) : py::isUpperCp(cp.value))
      return false;
    anyCased = anyCased || py::isCased(cp.value);
  }
  return anyCased;
}

Result<bool> tLower(Renderer &r, const Value &v, const Args &args) {
  VLMC_CHAT_TRY(auto a, bindArgs("lower", args, {}));
  return casedTest(r, v, false);
}
Result<bool> tUpper(Renderer &r, const Value &v, const Args &args) {
  VLMC_CHAT_TRY(auto a, bindArgs("upper", args, {}));
  return casedTest(r, v, true);
}

Result<bool> modTest(Renderer &r, const Value &v, const Value &divisor,
                     int64_t want) {
  VLMC_CHAT_TRY(Value m, binaryOp("%", v, divisor, r.budget()));
  return m == Value(want);
}
Result<bool> tOdd(Renderer &r, const Value &v, const Args &args) {
  VLMC_CHAT_TRY(auto a, bindArgs("odd", args, {}));
  return modTest(r, v, Value(int64_t(2)), 1);
}
Result<bool> tEven(Renderer &r, const Value &v, const Args &args) {
  VLMC_CHAT_TRY(auto a, bindArgs("even", args, {}));
  return modTest(r, v, Value(int64_t(2)), 0);
}
Result<bool> tDivisibleBy(Renderer &r, const Value &v, const Args &args) {
  VLMC_CHAT_TRY(auto a, bindArgs("divisibleby", args, {{"num"}}));
  return modTest(r, v, a[0], 0);
}

#define VLMC_CHAT_COMPARE_TEST(fnName, testName, op)                           \
  Result<bool> fnName(Renderer &, const Value &v, const Args &args) {          \
    Value other;                                                               \
    VLMC_CHAT_TRY(bool ok, oneArgTest(testName, args, other));                 \
    (void)ok;                                                                  \
    return compare(op, v, other);                                              \
  }
VLMC_CHAT_COMPARE_TEST(tEq, "eq", "==")
VLMC_CHAT_COMPARE_TEST(tNe, "ne", "!=")
VLMC_CHAT_COMPARE_TEST(tLt, "lt", "<")
VLMC_CHAT_COMPARE_TEST(tLe, "le", "<=")
VLMC_CHAT_COMPARE_TEST(tGt, "gt", ">")
VLMC_CHAT_COMPARE_TEST(tGe, "ge", ">=")

Result<bool> tIn(Renderer &, const Value &v, const Args &args) {
  Value seq;
  VLMC_CHAT_TRY(bool ok, oneArgTest("in", args, seq));
  (void)ok;
  return contains(seq, v);
}

// `is`: identity. Scalars compare by value and kind (Python caches small
// ints and None/True/False); containers and objects by address.
Result<bool> tSameAs(Renderer &, const Value &v, const Args &args) {
  Value other;
  VLMC_CHAT_TRY(bool ok, oneArgTest("sameas", args, other));
  (void)ok;
  if (v.kind() != other.kind())
    return false;
  switch (v.kind()) {
  case Value::Kind::kList:
    return &v.asList() == &other.asList();
  case Value::Kind::kDict:
    return &v.asDict() == &other.asDict();
  case Value::Kind::kString:
    return &v.asString() == &other.asString() ||
           v.asString() == other.asString();
  default:
    return v == other;
  }
}

Result<bool> tFilter(Renderer &, const Value &v, const Args &args) {
  VLMC_CHAT_TRY(auto a, bindArgs("filter", args, {}));
  return v.isString() && isKnownFilter(v.asString());
}
Result<bool> tTest(Renderer &, const Value &v, const Args &args) {
  VLMC_CHAT_TRY(auto a, bindArgs("test", args, {}));
  return v.isString() && isKnownTest(v.asString());
}

struct TestEntry {
  const char *name;
  TestFn fn;
};
const TestEntry kTests[] = {
    {"boolean", tBoolean},   {"callable", tCallable},
    {"defined", tDefined},   {"divisibleby", tDivisibleBy},
    {"eq", tEq},             {"equalto", tEq},
    {"==", tEq},             {"escaped", tEscaped},
    {"even", tEven},         {"false", tFalse},
    {"filter", tFilter},     {"float", tFloat},
    {"ge", tGe},             {">=", tGe},
    {"gt", tGt},             {"greaterthan", tGt},
    {">", tGt},              {"in", tIn},
    {"integer", tInteger},   {"iterable", tIterable},
    {"le", tLe},             {"<=", tLe},
    {"lower", tLower},       {"lt", tLt},
    {"lessthan", tLt},       {"<", tLt},
    {"mapping", tMapping},   {"ne", tNe},
    {"!=", tNe},             {"none", tNone},
    {"number", tNumber},     {"odd", tOdd},
    {"sameas", tSameAs},     {"sequence", tSequence},
    {"string", tString},     {"test", tTest},
    {"true", tTrue},         {"undefined", tUndefined},
    {"upper", tUpper},
};

} // namespace

bool isKnownFilter(std::string_view name) {
  for (const auto &f : kFilters)
    if (name == f.name)
      return true;
  return false;
}

bool isKnownTest(std::string_view name) {
  for (const auto &t : kTests)
    if (name == t.name)
      return true;
  return false;
}

Result<Value> applyFilter(Renderer &renderer, std::string_view name,
                          const Value &input, const Args &args) {
  for (const auto &f : kFilters)
    if (name == f.name)
      return f.fn(renderer, input, args);
  return typeError("unsupported filter '" + std::string(name) + "'");
}

Result<bool> applyTest(Renderer &renderer, std::string_view name,
                       const Value &input, const Args &args) {
  for (const auto &t : kTests)
    if (name == t.name)
      return t.fn(renderer, input, args);
  return typeError("unsupported test '" + std::string(name) + "'");
}

} // namespace vlmc::chat::detail
