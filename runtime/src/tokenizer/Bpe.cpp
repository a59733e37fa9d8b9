#include "Bpe.h"

#include "JsonUtil.h"
#include "MergeQueue.h"
#include "Unicode.h"

#include <algorithm>
#include <cstdio>

namespace vlmc::tokenizer::detail {

namespace {
// splitmix64 finaliser: cheap and well mixed for (id, id) keys.
inline uint64_t mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}
constexpr uint64_t kEmptyKey = ~0ULL;
} // namespace

Result<std::unique_ptr<BpeModel>> BpeModel::fromJson(const nlohmann::json &j) {
  std::unique_ptr<BpeModel> m(new BpeModel());
  if (j.contains("dropout") && j["dropout"].is_number() &&
      j["dropout"].get<double>() != 0.0)
    return unsupported("model", "BPE with dropout");

  // Vocabulary.
  if (!j.contains("vocab") || !j["vocab"].is_object())
    return invalidArgument("BPE model: missing 'vocab' object");
  const auto &vocab = j["vocab"];
  m->vocab_.reserve(vocab.size() * 2);
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    if (!it.value().is_number_integer())
      return invalidArgument("BPE model: vocab id of '" + it.key() +
                             "' is not an integer");
    auto id = it.value().get<int64_t>();
    if (id < 0 || id > (1 << 30))
      return invalidArgument("BPE model: vocab id out of range for '" +
                             it.key() + "'");
    m->vocab_[it.key()] = static_cast<TokenId>(id);
    if (static_cast<size_t>(id) >= m->idToToken_.size())
      m->idToToken_.resize(static_cast<size_t>(id) + 1);
    m->idToToken_[static_cast<size_t>(id)] = it.key();
  }

  m->unkToken_ = getOptString(j, "unk_token");
  if (!m->unkToken_.empty()) {
    if (auto it = m->vocab_.find(m->unkToken_); it != m->vocab_.end())
      m->unkId_ = it->second;
  }
  m->prefix_ = getOptString(j, "continuing_subword_prefix");
  m->suffix_ = getOptString(j, "end_of_word_suffix");
  m->fuseUnk_ = getBool(j, "fuse_unk", false);
  m->byteFallback_ = getBool(j, "byte_fallback", false);
  m->ignoreMerges_ = getBool(j, "ignore_merges", false);

  // Merges: ["a", "b"] pairs (tokenizers >= 0.20) or legacy "a b" strings.
  if (!j.contains("merges") || !j["merges"].is_array())
    return invalidArgument("BPE model: missing 'merges' array");
  const auto &merges = j["merges"];
  size_t cap = 16;
  while (cap < merges.size() * 2)
    cap <<= 1;
  m->mergeKeys_.assign(cap, kEmptyKey);
  m->mergeVals_.assign(cap, MergeInfo{0, -1});
  m->mergeMask_ = cap - 1;
  uint32_t rank = 0;
  std::string merged;
  for (const auto &entry : merges) {
    std::string a, b;
    if (entry.is_array() && entry.size() == 2 && entry[0].is_string() &&
        entry[1].is_string()) {
      a = entry[0].get<std::string>();
      b = entry[1].get<std::string>();
    } else if (entry.is_string()) {
      const auto &line = entry.get_ref<const std::string &>();
      if (line.rfind("#version", 0) == 0)
        continue;
      size_t sp = line.find(' ');
      if (sp == std::string::npos || line.find(' ', sp + 1) != std::string::npos)
        return invalidArgument("BPE model: bad merge #" +
                               std::to_string(rank + 1) + " '" + line + "'");
      a = line.substr(0, sp);
      b = line.substr(sp + 1);
    } else {
      return invalidArgument("BPE model: merge #" + std::to_string(rank + 1) +
                             " is neither \"a b\" nor [\"a\", \"b\"]");
    }
    auto ia = m->vocab_.find(a), ib = m->vocab_.find(b);
    if (ia == m->vocab_.end() || ib == m->vocab_.end())
      return invalidArgument("BPE model: merge token '" +
                             (ia == m->vocab_.end() ? a : b) +
                             "' is not in the vocabulary");
    // The merged token drops b's continuing-subword prefix, as in HF.
    size_t cut = std::min(m->prefix_.size(), b.size());
    merged.assign(a).append(b, cut, std::string::npos);
    auto inew = m->vocab_.find(merged);
    if (inew == m->vocab_.end())
      return invalidArgument("BPE model: merged token '" + merged +
                             "' is not in the vocabulary");
    // Insert or overwrite (a later duplicate wins, like HF's map collect).
    uint64_t key = pairKey(ia->second, ib->second);
    uint64_t slot = mix(key) & m->mergeMask_;
    while (m->mergeKeys_[slot] != kEmptyKey && m->mergeKeys_[slot] != key)
      slot = (slot + 1) & m->mergeMask_;
    m->mergeKeys_[slot] = key;
    m->mergeVals_[slot] = MergeInfo{rank, inew->second};
    ++rank;
  }
  m->numMerges_ = rank;

  // Per-byte ids for the byte-level alphabet and for <0xNN> fallback tokens.
  m->byteFastPath_ = m->prefix_.empty() && m->suffix_.empty();
  char hex[8];
  for (int b = 0; b < 256; ++b) {
    auto it = m->vocab_.find(byteToUtf8()[b]);
    m->byteIds_[b] = it == m->vocab_.end() ? -1 : it->second;
    if (m->byteIds_[b] < 0)
      m->byteFastPath_ = false;
    std::snprintf(hex, sizeof(hex), "<0x%02X>", b);
    auto fb = m->vocab_.find(hex);
    m->fallbackIds_[b] = fb == m->vocab_.end() ? -1 : fb->second;
  }
  return m;
}

const BpeModel::MergeInfo *BpeModel::findMerge(TokenId a, TokenId b) const {
  uint64_t key = pairKey(a, b);
  uint64_t slot = mix(key) & mergeMask_;
  while (true) {
    uint64_t k = mergeKeys_[slot];
    if (k == key)
      return &mergeVals_[slot];
    if (k == kEmptyKey)
      return nullptr;
    slot = (slot + 1) & mergeMask_;
  }
}

std::optional<TokenId> BpeModel::tokenToId(std::string_view token) const {
  auto it = vocab_.find(std::string(token));
  if (it == vocab_.end())
    return std::nullopt;
  return it->second;
}

const std::string *BpeModel::idToToken(TokenId id) const {
  if (id < 0 || static_cast<size_t>(id) >= idToToken_.size())
    return nullptr;
  const std::string &s = idToToken_[static_cast<size_t>(id)];
  // Holes in the id space are empty strings; a real token is never empty.
  return s.empty() ? nullptr : &s;
}

// HF BPE::merge_word, minus the merging: one symbol per character, with
// continuing-subword prefix / end-of-word suffix, byte fallback and unk
// (fused or not). Note HF's quirk, kept on purpose: a pending unk is flushed
// only by the next in-vocabulary character, so byte-fallback tokens that
// follow an unknown character come out before its unk.
Status BpeModel::initialSymbols(std::string_view word,
                                std::vector<Symbol> &syms) const {
  TokenId pendingUnk = -1; // -1: none
  auto add = [&](TokenId id) { syms.push_back(Symbol{id, 0, 0, true}); };
  std::string piece;
  size_t i = 0;
  while (i < word.size()) {
    size_t start = i;
    i += utf8SeqLen(static_cast<unsigned char>(word[i]));
    if (i > word.size())
      i = word.size();
    std::string_view ch = word.substr(start, i - start);
    piece.clear();
    if (start != 0)
      piece.append(prefix_);
    piece.append(ch);
    if (i == word.size())
      piece.append(suffix_);
    auto it = vocab_.find(piece);
    if (it != vocab_.end()) {
      if (pendingUnk >= 0) {
        add(pendingUnk);
        pendingUnk = -1;
      }
      add(it->second);
      continue;
    }
    if (byteFallback_) {
      bool all = true;
      for (unsigned char b : piece)
        all = all && fallbackIds_[b] >= 0;
      if (all) {
        for (unsigned char b : piece)
          add(fallbackIds_[b]);
        continue;
      }
    }
    if (!unkToken_.empty()) {
      if (!unkId_)
        return invalidArgument("BPE model: unk token '" + unkToken_ +
                               "' is not in the vocabulary");
      if (pendingUnk >= 0 && !fuseUnk_)
        add(pendingUnk);
      pendingUnk = *unkId_;
    }
    // Without an unk token the character is dropped, as in HF.
  }
  if (pendingUnk >= 0)
    add(pendingUnk);
  return Status::ok();
}

// HF Word::merge_all: pop pending merges by (rank, position); an entry is
// stale when its left symbol was absorbed, has no right neighbour any more,
// or the pair there no longer merges into the same token.
template <class Queue>
void BpeModel::mergeWith(std::vector<Symbol> &syms, Queue &queue) const {
  const int32_t n = static_cast<int32_t>(syms.size());
  for (int32_t k = 0; k < n; ++k) {
    syms[k].prev = k - 1;
    syms[k].next = k + 1 < n ? k + 1 : -1;
  }
  for (int32_t k = 0; k + 1 < n; ++k)
    if (const MergeInfo *mi = findMerge(syms[k].id, syms[k + 1].id))
      queue.push(MergeEntry{mi->rank, k, mi->newId});

  MergeEntry top;
  while (queue.pop(top)) {
    Symbol &left = syms[top.pos];
    if (!left.alive || left.next < 0)
      continue;
    Symbol &right = syms[left.next];
    const MergeInfo *mi = findMerge(left.id, right.id);
    if (!mi || mi->newId != top.newId)
      continue;
    left.id = top.newId;
    right.alive = false;
    left.next = right.next;
    if (right.next >= 0)
      syms[right.next].prev = top.pos;
    if (left.prev >= 0)
      if (const MergeInfo *p = findMerge(syms[left.prev].id, left.id))
        queue.push(MergeEntry{p->rank, left.prev, p->newId});
    if (left.next >= 0)
      if (const MergeInfo *p = findMerge(left.id, syms[left.next].id))
        queue.push(MergeEntry{p->rank, top.pos, p->newId});
  }
}

void BpeModel::mergeAll(std::vector<Symbol> &syms, bool forceBuckets) const {
  if (forceBuckets || syms.size() >= kBucketQueueMinSymbols) {
    thread_local BucketQueue::Storage storage;
    BucketQueue queue(storage, numMerges_);
    mergeWith(syms, queue);
  } else {
    thread_local std::vector<MergeEntry> storage;
    HeapQueue queue(storage);
    mergeWith(syms, queue);
  }
}

Status BpeModel::tokenizeUncached(std::string_view word, bool byteLevel,
                                  std::vector<TokenId> &out,
                                  bool forceBuckets) const {
  thread_local std::vector<Symbol> syms;
  syms.clear();
  if (byteLevel && byteFastPath_) {
    for (unsigned char b : word)
      syms.push_back(Symbol{byteIds_[b], 0, 0, true});
  } else if (byteLevel) {
    // Unusual vocabulary (some byte characters missing, or a subword
    // prefix): spell the word in the byte alphabet and take the general path.
    std::string mapped;
    for (unsigned char b : word)
      mapped += byteToUtf8()[b];
    VLMC_RETURN_IF_ERROR(initialSymbols(mapped, syms));
  } else {
    VLMC_RETURN_IF_ERROR(initialSymbols(word, syms));
  }
  if (syms.size() > 1)
    mergeAll(syms, forceBuckets);
  for (const Symbol &s : syms)
    if (s.alive)
      out.push_back(s.id);
  return Status::ok();
}

Status BpeModel::tokenize(std::string_view word, bool byteLevel,
                          std::vector<TokenId> &out) const {
  if (word.empty())
    return Status::ok();
  if (ignoreMerges_) {
    std::string key;
    if (byteLevel)
      for (unsigned char b : word)
        key += byteToUtf8()[b];
    else
      key.assign(word);
    if (auto it = vocab_.find(key); it != vocab_.end()) {
      out.push_back(it->second);
      return Status::ok();
    }
  }
  if (word.size() >= kMaxCachedWord)
    return tokenizeUncached(word, byteLevel, out);

  std::string key(word);
  {
    std::lock_guard<std::mutex> lock(cacheMutex_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return Status::ok();
    }
  }
  size_t before = out.size();
  VLMC_RETURN_IF_ERROR(tokenizeUncached(word, byteLevel, out));
  std::vector<TokenId> ids(out.begin() + static_cast<ptrdiff_t>(before),
                           out.end());
  std::lock_guard<std::mutex> lock(cacheMutex_);
  if (cache_.size() >= kMaxCacheEntries)
    cache_.clear();
  cache_.emplace(std::move(key), std::move(ids));
  return Status::ok();
}

} // namespace vlmc::tokenizer::detail
