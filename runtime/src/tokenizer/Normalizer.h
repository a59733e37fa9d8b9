// tokenizer.json "normalizer": NFC/NFD/NFKC/NFKD, Lowercase, Prepend,
// Replace and Sequence. Applied to every piece of text between added tokens.
#pragma once

#include "Regex.h"

#include "vlmc/support/Status.h"

#include <nlohmann/json_fwd.hpp>

#include <memory>
#include <string>
#include <vector>

namespace vlmc::tokenizer::detail {

class Normalizer {
public:
  virtual ~Normalizer() = default;
  virtual Status normalize(std::string &text) const = 0;
};

// A null JSON value yields a null normalizer (no normalization).
Result<std::unique_ptr<Normalizer>> parseNormalizer(const nlohmann::json &j);

// Literal string or regex, as in HF's `{"String": ...}` / `{"Regex": ...}`.
struct Pattern {
  std::string literal;
  std::shared_ptr<const Regex> regex; // set for {"Regex": ...}
  // Byte ranges of all non-overlapping matches.
  Status findAll(std::string_view s,
                 std::vector<std::pair<size_t, size_t>> &out) const;
};
Result<Pattern> parsePattern(const nlohmann::json &j, const char *what);

} // namespace vlmc::tokenizer::detail
