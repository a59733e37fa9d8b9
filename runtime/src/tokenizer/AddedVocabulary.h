// tokenizer.json "added_tokens": literal tokens matched before
// normalization and pre-tokenization, like HF's AddedVocabulary.
//
// Tokens with normalized=false are found in the raw text; those with
// normalized=true are found in each normalized piece, in their normalized
// form (e.g. "<unk>" becomes "▁<unk>" under a Prepend("▁") normalizer), and
// that normalized form is also what decoding feeds to the decoder.
// Matching is leftmost-longest; single_word / lstrip / rstrip are applied to
// a match after it is found, as HF does.
#pragma once

#include "Normalizer.h"

#include "vlmc/tokenizer/Tokenizer.h"

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace vlmc::tokenizer::detail {

class AddedVocabulary {
public:
  struct Segment {
    size_t start, end;
    TokenId id; // -1: plain text
  };

  Status build(std::vector<AddedToken> tokens, const Normalizer *normalizer);

  // Cuts `text` into plain and added-token segments, using the raw
  // (normalized=false) or the normalized token set. Segments cover `text`.
  void split(std::string_view text, bool normalizedSet,
             std::vector<Segment> &out) const;

  const std::vector<AddedToken> &tokens() const { return tokens_; }
  const AddedToken *find(TokenId id) const;
  std::optional<TokenId> find(std::string_view content) const;
  // The string decoding uses for this token (normalized form when it has
  // one), or nullptr if `id` is not an added token.
  const std::string *decodeForm(TokenId id) const;

private:
  struct Matcher {
    struct Candidate {
      std::string text;
      size_t token; // index into tokens_
    };
    // Candidates by first byte, longest first.
    std::vector<Candidate> byFirstByte[256];
    bool any = false;
  };
  void buildMatcher(Matcher &m, bool normalized);
  void splitWith(std::string_view text, const Matcher &m,
                 std::vector<Segment> &out) const;

  std::vector<AddedToken> tokens_;
  std::vector<std::string> decodeForms_; // parallel to tokens_
  std::unordered_map<TokenId, size_t> byId_;
  std::unordered_map<std::string, size_t> byContent_;
  Matcher raw_, normalized_;
};

} // namespace vlmc::tokenizer::detail
