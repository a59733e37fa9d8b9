// The pieces of a loaded tokenizer; built by Loader.cpp, driven by
// Tokenizer.cpp.
#pragma once

#include "AddedVocabulary.h"
#include "Bpe.h"
#include "Decoder.h"
#include "Normalizer.h"
#include "PostProcessor.h"
#include "PreTokenizer.h"

#include "vlmc/tokenizer/Tokenizer.h"

#include <memory>
#include <string>
#include <vector>

namespace vlmc::tokenizer {

struct Tokenizer::Impl {
  std::unique_ptr<detail::BpeModel> model;
  std::unique_ptr<detail::Normalizer> normalizer;       // may be null
  std::unique_ptr<detail::PreTokenizer> preTokenizer;   // may be null
  std::unique_ptr<detail::Decoder> decoder;             // may be null
  std::unique_ptr<detail::PostProcessor> postProcessor; // never null
  detail::AddedVocabulary added;
  SpecialTokens special;
  // Words reach the model as raw bytes of the byte-level alphabet.
  bool byteLevel = false;

  Status encodeInto(std::string_view text, std::vector<TokenId> &out) const;
  void addSpecial(std::vector<TokenId> &ids) const;
  Result<std::string> decode(const std::vector<TokenId> &ids,
                             bool skipSpecialTokens) const;
};

namespace detail {
Result<std::unique_ptr<Tokenizer::Impl>>
loadTokenizer(std::string_view tokenizerJson, std::string_view configJson);
} // namespace detail

} // namespace vlmc::tokenizer
