// Text tokenizer for Hugging Face `tokenizer.json` files (byte-level BPE as in
// Qwen2/SmolLM, SentencePiece-style BPE with byte fallback as in Llama).
//
// The goal is id-for-id parity with HF `tokenizers` (0.23) for the components
// it implements; anything else in a tokenizer.json is rejected at load time
// with "unsupported <component> '<type>' in tokenizer.json" rather than being
// silently approximated.
//
// Nothing here throws or aborts on bad input: every fallible call returns a
// Status or Result<T>.
//
// Input text must be valid UTF-8 (HF takes Rust strings, which cannot hold
// anything else). encode() rejects invalid UTF-8 with kInvalidArgument naming
// the first bad byte offset; callers that want lossy behaviour can run
// sanitizeUtf8() first, which replaces each maximal invalid subsequence with
// U+FFFD exactly as Rust's String::from_utf8_lossy does.
//
// A Tokenizer is immutable after loading; encode/decode are safe to call from
// several threads at once (the word cache is internally locked).
#pragma once

#include "vlmc/support/Status.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vlmc::tokenizer {

using TokenId = int32_t;

// An entry of tokenizer.json's `added_tokens`.
struct AddedToken {
  TokenId id = -1;
  std::string content;
  bool special = false;
  bool lstrip = false;
  bool rstrip = false;
  bool singleWord = false;
  bool normalized = false;
};

// Well-known special tokens, from tokenizer_config.json when present (bos /
// eos / pad / unk), otherwise from the model's unk_token.
struct SpecialTokens {
  std::optional<TokenId> bos, eos, pad, unk;
  // tokenizer_config.json's add_bos_token / add_eos_token; used by
  // encode(addSpecialTokens=true) only when tokenizer.json has no
  // post_processor that adds special tokens itself.
  bool addBos = false;
  bool addEos = false;
};

class StreamDecoder;

class Tokenizer {
public:
  // `path` is a tokenizer.json file or a directory containing one. A
  // tokenizer_config.json next to it is read too when present.
  static Result<Tokenizer> fromPath(const std::string &path);
  // Builds from in-memory JSON text. `configJson` (tokenizer_config.json) may
  // be empty.
  static Result<Tokenizer> fromJson(std::string_view tokenizerJson,
                                    std::string_view configJson = {});

  Tokenizer(Tokenizer &&) noexcept;
  Tokenizer &operator=(Tokenizer &&) noexcept;
  ~Tokenizer();

  // Text -> ids. With addSpecialTokens the post_processor's template (or
  // tokenizer_config's add_bos_token/add_eos_token) is applied.
  Result<std::vector<TokenId>> encode(std::string_view text,
                                      bool addSpecialTokens = false) const;
  // Same, also returning each id's token string (as in the vocabulary).
  Status encodeWithPieces(std::string_view text, bool addSpecialTokens,
                          std::vector<TokenId> &ids,
                          std::vector<std::string> &pieces) const;

  // Ids -> text through the tokenizer.json decoder. Ids outside the
  // vocabulary are skipped, as HF does. With skipSpecialTokens, added tokens
  // marked special are dropped.
  Result<std::string> decode(const std::vector<TokenId> &ids,
                             bool skipSpecialTokens = false) const;

  // Incremental decoding, see StreamDecoder.
  StreamDecoder streamDecoder(bool skipSpecialTokens = false) const;

  // Vocabulary access (added tokens take precedence, as in HF).
  std::optional<std::string> idToToken(TokenId id) const;
  std::optional<TokenId> tokenToId(std::string_view token) const;
  bool isSpecialToken(TokenId id) const;
  // One past the largest id known to the model or the added vocabulary.
  size_t vocabSize() const;
  const std::vector<AddedToken> &addedTokens() const;
  const SpecialTokens &specialTokens() const;

  struct Impl;

private:
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Feed ids one at a time; each step returns the newly completed text, or
// nothing while the ids so far end in an incomplete UTF-8 sequence (e.g. the
// first <0xE6> of a three-byte character split over byte-fallback tokens) or
// produce no new text yet. The output of all steps concatenated equals
// decode() of all ids whenever decode() does not end in U+FFFD. Mirrors HF's
// DecodeStream (re-decodes a short window of ids, so context-dependent
// decoders such as Strip stay right). It refers to the tokenizer's internals:
// it must not outlive the Tokenizer (moving the Tokenizer is fine).
class StreamDecoder {
public:
  Result<std::optional<std::string>> step(TokenId id);
  // Drops all state (e.g. for a new sequence).
  void reset();

private:
  friend class Tokenizer;
  StreamDecoder(const Tokenizer::Impl *impl, bool skipSpecial)
      : impl_(impl), skipSpecial_(skipSpecial) {}
  const Tokenizer::Impl *impl_;
  bool skipSpecial_;
  std::vector<TokenId> ids_;
  std::string prefix_;
  size_t prefixIndex_ = 0;
};

// Replaces invalid UTF-8 with U+FFFD (one per maximal invalid subsequence, as
// Rust's String::from_utf8_lossy).
std::string sanitizeUtf8(std::string_view bytes);
// Offset of the first invalid byte, or nullopt when `bytes` is valid UTF-8.
std::optional<size_t> findInvalidUtf8(std::string_view bytes);

} // namespace vlmc::tokenizer
