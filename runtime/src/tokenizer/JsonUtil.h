// Small checked accessors over nlohmann::json, so malformed tokenizer.json
// files produce a Status instead of a json exception.
#pragma once

#include "vlmc/support/Status.h"

#include <nlohmann/json.hpp>

#include <string>

namespace vlmc::tokenizer::detail {

inline Status unsupported(const std::string &component,
                          const std::string &type) {
  return Status(StatusCode::kUnimplemented, "unsupported " + component + " '" +
                                                type + "' in tokenizer.json");
}

// The "type" field of a component object.
inline Result<std::string> typeOf(const nlohmann::json &j,
                                  const std::string &component) {
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string())
    return invalidArgument(component + " must be an object with a 'type'");
  return j["type"].get<std::string>();
}

inline Result<std::string> getString(const nlohmann::json &j, const char *key,
                                     const std::string &what) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string())
    return invalidArgument(what + ": missing string '" + key + "'");
  return j[key].get<std::string>();
}

// Optional bool with a default; a present non-bool is treated as the default.
inline bool getBool(const nlohmann::json &j, const char *key, bool dflt) {
  if (j.is_object() && j.contains(key) && j[key].is_boolean())
    return j[key].get<bool>();
  return dflt;
}

// Optional string; null or absent gives `dflt`.
inline std::string getOptString(const nlohmann::json &j, const char *key,
                                const std::string &dflt = {}) {
  if (j.is_object() && j.contains(key) && j[key].is_string())
    return j[key].get<std::string>();
  return dflt;
}

} // namespace vlmc::tokenizer::detail
