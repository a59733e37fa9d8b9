// Priority queues of pending BPE merges, ordered by (merge rank, position)
// as HF's Word::merge_all requires.
//
// HeapQueue is a plain binary heap: best for ordinary words. BucketQueue
// serves very long words (a whole paragraph when there is no pre-tokenizer,
// as with Llama-style tokenizers): a heap of a million entries spends most of
// its time in cache misses, while bucketing by rank is linear. It pops in
// exactly the same (rank, position) order: each rank's bucket is sorted by
// position when reached, and the rare entry pushed for a rank already
// reached (impossible with merges from training, where a merge always ranks
// after the merges creating its parts, but legal in a hand-written file)
// goes through a small side heap that is consulted on every pop.
#pragma once

#include "vlmc/tokenizer/Tokenizer.h"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace vlmc::tokenizer::detail {

struct MergeEntry {
  uint32_t rank;
  int32_t pos;
  TokenId newId;
};

// "Comes later" ordering, so std heaps keep the smallest (rank, pos) on top.
inline bool mergeLater(const MergeEntry &a, const MergeEntry &b) {
  return a.rank != b.rank ? a.rank > b.rank : a.pos > b.pos;
}

class HeapQueue {
public:
  explicit HeapQueue(std::vector<MergeEntry> &storage) : heap_(storage) {
    heap_.clear();
  }
  void push(const MergeEntry &e) {
    heap_.push_back(e);
    std::push_heap(heap_.begin(), heap_.end(), mergeLater);
  }
  bool pop(MergeEntry &out) {
    if (heap_.empty())
      return false;
    std::pop_heap(heap_.begin(), heap_.end(), mergeLater);
    out = heap_.back();
    heap_.pop_back();
    return true;
  }

private:
  std::vector<MergeEntry> &heap_;
};

class BucketQueue {
public:
  struct Node {
    int32_t pos;
    TokenId newId;
    int32_t next;
  };
  // Reusable storage; `heads` must hold numRanks entries of -1 and is left
  // that way once the queue has been drained.
  struct Storage {
    std::vector<int32_t> heads;
    std::vector<Node> nodes;
    std::vector<MergeEntry> current, late;
  };

  BucketQueue(Storage &s, uint32_t numRanks) : s_(s) {
    if (s_.heads.size() < numRanks)
      s_.heads.resize(numRanks, -1);
    numRanks_ = numRanks;
    s_.nodes.clear();
    s_.current.clear();
    s_.late.clear();
  }
  void push(const MergeEntry &e) {
    if (e.rank < nextRank_) {
      s_.late.push_back(e);
      std::push_heap(s_.late.begin(), s_.late.end(), mergeLater);
      return;
    }
    s_.nodes.push_back(Node{e.pos, e.newId, s_.heads[e.rank]});
    s_.heads[e.rank] = static_cast<int32_t>(s_.nodes.size() - 1);
  }
  bool pop(MergeEntry &out) {
    if (cursor_ >= s_.current.size())
      gatherNextBucket();
    bool haveCurrent = cursor_ < s_.current.size();
    if (!s_.late.empty() &&
        (!haveCurrent || mergeLater(s_.current[cursor_], s_.late.front()))) {
      std::pop_heap(s_.late.begin(), s_.late.end(), mergeLater);
      out = s_.late.back();
      s_.late.pop_back();
      return true;
    }
    if (!haveCurrent)
      return false;
    out = s_.current[cursor_++];
    return true;
  }

private:
  void gatherNextBucket() {
    s_.current.clear();
    cursor_ = 0;
    while (nextRank_ < numRanks_ && s_.heads[nextRank_] < 0)
      ++nextRank_;
    if (nextRank_ >= numRanks_)
      return;
    uint32_t rank = nextRank_++;
    for (int32_t k = s_.heads[rank]; k >= 0; k = s_.nodes[k].next)
      s_.current.push_back(MergeEntry{rank, s_.nodes[k].pos, s_.nodes[k].newId});
    s_.heads[rank] = -1;
    std::sort(s_.current.begin(), s_.current.end(),
              [](const MergeEntry &a, const MergeEntry &b) { return a.pos < b.pos; });
  }

  Storage &s_;
  uint32_t numRanks_ = 0;
  uint32_t nextRank_ = 0; // ranks below this were gathered already
  size_t cursor_ = 0;
};

} // namespace vlmc::tokenizer::detail
