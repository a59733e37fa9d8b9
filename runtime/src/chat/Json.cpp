#include "Json.h"

#include "Ops.h"
#include "PyText.h"
#include "Try.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace vlmc::chat::detail {
namespace {

void appendEscaped(std::string_view s, bool ensureAscii, std::string &out) {
  char buf[16];
  out += '"';
  for (size_t i = 0; i < s.size();) {
    py::CodePoint cp = py::decodeAt(s, i);
    uint32_t v = cp.value;
    bool invalid = cp.length == 1 && v >= 0x80;
    switch (v) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\f':
      out += "\\f";
      break;
    default:
      if (v < 0x20 || (ensureAscii && v >= 0x7F)) {
        if (invalid)
          v = 0xFFFD;
        if (v >= 0x10000) { // UTF-16 surrogate pair, as Python writes it
          uint32_t u = v - 0x10000;
          std::snprintf(buf, sizeof buf, "\\u%04x\\u%04x", 0xD800 + (u >> 10),
                        0xDC00 + (u & 0x3FF));
        } else {
          std::snprintf(buf, sizeof buf, "\\u%04x", v);
        }
        out += buf;
      } else {
        out.append(s.substr(i, cp.length));
      }
    }
    i += cp.length;
  }
  out += '"';
}

class Writer {
public:
  Writer(const JsonOptions &options, std::string &out, size_t limit)
      : opt_(options), out_(out), limit_(limit) {}

  Status write(const Value &v, size_t level) {
    switch (v.kind()) {
    case Value::Kind::kNone:
      out_ += "null";
      break;
    case Value::Kind::kBool:
      out_ += v.asBool() ? "true" : "false";
      break;
    case Value::Kind::kInt:
      out_ += std::to_string(v.asInt());
      break;
    case Value::Kind::kFloat: {
      double f = v.asFloat();
      if (std::isnan(f))
        out_ += "NaN";
      else if (std::isinf(f))
        out_ += f < 0 ? "-Infinity" : "Infinity";
      else
        out_ += py::formatFloat(f);
      break;
    }
    case Value::Kind::kString:
      appendEscaped(v.asString(), opt_.ensureAscii, out_);
      break;
    case Value::Kind::kList: {
      const auto &items = v.asList();
      if (items.empty()) {
        out_ += "[]";
        break;
      }
      out_ += '[';
      for (size_t i = 0; i < items.size(); ++i) {
        if (i)
          out_ += opt_.itemSeparator;
        newline(level + 1);
        VLMC_RETURN_IF_ERROR(write(items[i], level + 1));
      }
      newline(level);
      out_ += ']';
      break;
    }
    case Value::Kind::kDict: {
      std::vector<const std::pair<std::string, Value> *> entries;
      for (const auto &entry : v.asDict())
        entries.push_back(&entry);
      if (entries.empty()) {
        out_ += "{}";
        break;
      }
      if (opt_.sortKeys)
        std::stable_sort(entries.begin(), entries.end(),
                         [](auto *a, auto *b) { return a->first < b->first; });
      out_ += '{';
      for (size_t i = 0; i < entries.size(); ++i) {
        if (i)
          out_ += opt_.itemSeparator;
        newline(level + 1);
        appendEscaped(entries[i]->first, opt_.ensureAscii, out_);
        out_ += opt_.keySeparator;
        VLMC_RETURN_IF_ERROR(write(entries[i]->second, level + 1));
      }
      newline(level);
      out_ += '}';
      break;
    }
    default:
      return typeError("Object of type " + typeName(v) +
                       " is not JSON serializable");
    }
    if (out_.size() > limit_)
      return resourceExhausted("tojson output exceeds " +
                               std::to_string(limit_) + " bytes (RenderLimits)");
    return Status::ok();
  }

private:
  void newline(size_t level) {
    if (!opt_.pretty)
      return;
    out_ += '\n';
    for (size_t i = 0; i < level && out_.size() <= limit_; ++i)
      out_ += opt_.indent;
  }

  const JsonOptions &opt_;
  std::string &out_;
  size_t limit_;
};

Result<Value> fromJson(const nlohmann::ordered_json &j, uint32_t depth) {
  if ((j.is_array() || j.is_object()) && depth >= Value::kMaxDepth)
    return invalidArgument("JSON nested deeper than " +
                           std::to_string(Value::kMaxDepth) + " levels");
  switch (j.type()) {
  case nlohmann::ordered_json::value_t::null:
    return Value();
  case nlohmann::ordered_json::value_t::boolean:
    return Value(j.get<bool>());
  case nlohmann::ordered_json::value_t::number_integer:
    return Value(j.get<int64_t>());
  case nlohmann::ordered_json::value_t::number_unsigned: {
    uint64_t u = j.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX))
      return Value(static_cast<double>(u));
    return Value(static_cast<int64_t>(u));
  }
  case nlohmann::ordered_json::value_t::number_float:
    return Value(j.get<double>());
  case nlohmann::ordered_json::value_t::string:
    return Value(j.get_ref<const std::string &>());
  case nlohmann::ordered_json::value_t::array: {
    Value::List items;
    items.reserve(j.size());
    for (const auto &element : j) {
      VLMC_CHAT_TRY(Value item, fromJson(element, depth + 1));
      items.push_back(std::move(item));
    }
    return Value::list(std::move(items));
  }
  case nlohmann::ordered_json::value_t::object: {
    Value::Dict entries;
    entries.reserve(j.size());
    for (auto it = j.begin(); it != j.end(); ++it) {
      VLMC_CHAT_TRY(Value item, fromJson(it.value(), depth + 1));
      entries.emplace_back(it.key(), std::move(item));
    }
    return Value::dict(std::move(entries));
  }
  default:
    return invalidArgument("unsupported JSON value");
  }
}

} // namespace

Status appendJson(const Value &value, const JsonOptions &options,
                  std::string &out, size_t limit) {
  return Writer(options, out, limit).write(value, 0);
}

Result<Value> parseJson(std::string_view text) {
  // No exceptions: a parse error gives a "discarded" value.
  nlohmann::ordered_json j =
      nlohmann::ordered_json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded())
    return invalidArgument("malformed JSON");
  return fromJson(j, 0);
}

} // namespace vlmc::chat::detail
