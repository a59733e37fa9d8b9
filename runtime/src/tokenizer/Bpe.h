// The BPE model of tokenizer.json: vocab, ranked merges, byte fallback,
// unk handling and a word cache. Merging follows HF's Word::merge_all
// exactly (a heap ordered by merge rank, then position, with stale entries
// skipped), so results match even in the odd cases where a plain "lowest
// rank first" loop would differ.
#pragma once

#include "vlmc/support/Status.h"
#include "vlmc/tokenizer/Tokenizer.h"

#include <nlohmann/json_fwd.hpp>

#include <array>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace vlmc::tokenizer::detail {

class BpeModel {
public:
  static Result<std::unique_ptr<BpeModel>> fromJson(const nlohmann::json &j);

  // Appends the ids of one pre-tokenized word. With `byteLevel`, `word` is
  // raw bytes and each byte stands for its GPT-2 alphabet character.
  Status tokenize(std::string_view word, bool byteLevel,
                  std::vector<TokenId> &out) const;

  // Uncached tokenize; `forceBuckets` picks the long-word merge queue even
  // for short words (tests compare both queues through this).
  Status tokenizeUncached(std::string_view word, bool byteLevel,
                          std::vector<TokenId> &out,
                          bool forceBuckets = false) const;

  std::optional<TokenId> tokenToId(std::string_view token) const;
  const std::string *idToToken(TokenId id) const;
  // One past the largest id.
  size_t size() const { return idToToken_.size(); }
  const std::string &unkToken() const { return unkToken_; }

private:
  BpeModel() = default;
  struct MergeInfo {
    uint32_t rank;
    TokenId newId;
  };
  struct Symbol {
    TokenId id;
    int32_t prev, next;
    bool alive;
  };
  static uint64_t pairKey(TokenId a, TokenId b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) |
           static_cast<uint32_t>(b);
  }
  const MergeInfo *findMerge(TokenId a, TokenId b) const;
  Status initialSymbols(std::string_view word, std::vector<Symbol> &syms) const;
  template <class Queue>
  void mergeWith(std::vector<Symbol> &syms, Queue &queue) const;
  void mergeAll(std::vector<Symbol> &syms, bool forceBuckets) const;

  std::unordered_map<std::string, TokenId> vocab_;
  std::vector<std::string> idToToken_; // "" for holes
  // Open-addressing table for merges keyed by (left, right) ids.
  std::vector<uint64_t> mergeKeys_;
  std::vector<MergeInfo> mergeVals_;
  uint64_t mergeMask_ = 0;
  uint32_t numMerges_ = 0;
  // Words with at least this many symbols use the bucket merge queue.
  static constexpr size_t kBucketQueueMinSymbols = 2048;

  std::string unkToken_;
  std::optional<TokenId> unkId_;
  std::string prefix_, suffix_; // continuing_subword_prefix, end_of_word_suffix
  bool fuseUnk_ = false;
  bool byteFallback_ = false;
  bool ignoreMerges_ = false;
  // Vocab id of each byte's GPT-2 character, or -1.
  std::array<TokenId, 256> byteIds_{};
  bool byteFastPath_ = false;
  // <0xNN> tokens for byte fallback, or -1.
  std::array<TokenId, 256> fallbackIds_{};

  // Word -> ids cache. Words longer than kMaxCachedWord bytes are not
  // cached (HF does the same); the cache is cleared when it gets full.
  static constexpr size_t kMaxCachedWord = 256;
  static constexpr size_t kMaxCacheEntries = 1 << 17;
  mutable std::mutex cacheMutex_;
  mutable std::unordered_map<std::string, std::vector<TokenId>> cache_;
};

} // namespace vlmc::tokenizer::detail
