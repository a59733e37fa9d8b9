// JSON in and out: Python's json.dumps (what transformers' tojson filter
// calls) and JSON text -> Value for configs and test contexts.
#pragma once

#include "vlmc/chat/Value.h"
#include "vlmc/support/Status.h"

#include <string>
#include <string_view>

namespace vlmc::chat::detail {

// json.dumps(x, ensure_ascii, indent, separators, sort_keys).
struct JsonOptions {
  bool ensureAscii = false;
  bool pretty = false;  // indent is not None: newlines and `indent` per level
  std::string indent;   // used when pretty
  std::string itemSeparator = ", ";
  std::string keySeparator = ": ";
  bool sortKeys = false;
};

// Fails for undefined values and renderer objects (not JSON serializable),
// or once out exceeds `limit` bytes.
Status appendJson(const Value &value, const JsonOptions &options,
                  std::string &out, size_t limit);

Result<Value> parseJson(std::string_view text);

} // namespace vlmc::chat::detail
