// tokenizer.json "post_processor", as far as ids of a single sequence go:
// TemplateProcessing (e.g. Llama's BOS), ByteLevel (offsets only, so a no-op
// here) and Sequence of those.
#pragma once

#include "vlmc/support/Status.h"
#include "vlmc/tokenizer/Tokenizer.h"

#include <nlohmann/json_fwd.hpp>

#include <memory>
#include <vector>

namespace vlmc::tokenizer::detail {

class PostProcessor {
public:
  virtual ~PostProcessor() = default;
  // Applied only when the caller asks for special tokens.
  virtual void process(std::vector<TokenId> &ids) const = 0;
  // Whether this processor adds tokens at all (if not, tokenizer_config's
  // add_bos_token/add_eos_token decide).
  virtual bool addsTokens() const = 0;
};

Result<std::unique_ptr<PostProcessor>>
parsePostProcessor(const nlohmann::json &j);

} // namespace vlmc::tokenizer::detail
