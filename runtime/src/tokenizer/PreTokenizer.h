// tokenizer.json "pre_tokenizer": Split, Digits, ByteLevel and Sequence.
//
// Pre-tokenizers here only cut text into words (string_views). ByteLevel's
// byte -> printable-char remapping is not materialised: it marks the result
// as byte-level and the BPE model maps each byte through the GPT-2 table
// itself, which is equivalent because the map is one char per byte and
// avoids building a second copy of the text.
#pragma once

#include "Normalizer.h"

#include "vlmc/support/Status.h"

#include <nlohmann/json_fwd.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace vlmc::tokenizer::detail {

struct Splits {
  std::vector<std::string_view> parts;
  // Storage for parts that a pre-tokenizer rewrote (ByteLevel's prefix
  // space); parts may point into these.
  std::vector<std::unique_ptr<std::string>> owned;
};

class PreTokenizer {
public:
  virtual ~PreTokenizer() = default;
  virtual Status apply(Splits &splits) const = 0;
  // Whether words come out as raw bytes for the byte-level alphabet.
  virtual bool byteLevel() const { return false; }
};

// A null JSON value yields a null pre-tokenizer (the whole piece is a word).
Result<std::unique_ptr<PreTokenizer>>
parsePreTokenizer(const nlohmann::json &j);

} // namespace vlmc::tokenizer::detail
