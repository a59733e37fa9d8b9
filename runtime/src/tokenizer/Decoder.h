// tokenizer.json "decoder": ByteLevel, ByteFallback, Fuse, Strip, Replace and
// Sequence. Like HF, every decoder maps a list of token strings to a new
// list (decode_chain), and the final text is the concatenation.
#pragma once

#include "vlmc/support/Status.h"

#include <nlohmann/json_fwd.hpp>

#include <memory>
#include <string>
#include <vector>

namespace vlmc::tokenizer::detail {

class Decoder {
public:
  virtual ~Decoder() = default;
  virtual Status decodeChain(std::vector<std::string> &tokens) const = 0;
};

// A null JSON value yields a null decoder (tokens are joined with spaces).
Result<std::unique_ptr<Decoder>> parseDecoder(const nlohmann::json &j);

} // namespace vlmc::tokenizer::detail
