// Sampling on the device: one block of 1024 threads draws a token from the
// last logits row by cpu::sampleToken's rule (runtime/include/vlmc/cpu/
// Sampling.h), bit for bit. Thread t owns the contiguous indices
// [t*C, (t+1)*C), so "the first ties in index order" and "the first index
// whose running weight exceeds u" become per-thread walks after a block scan.
//
// The cuts are radix selections over the float bits of p (p >= 0, so the bits
// order like the values): four 8-bit passes find the largest key t whose
// members with key >= t reach the target -- a count for top-k, an exact
// integer weight for top-p -- and a scan hands each thread its quota of the
// ties at t. Every sum is an integer, so the block's order of additions
// cannot change a decision. The probabilities are computed once into the
// workspace (4 bytes per token). As soon as the tokens a cut can keep (those
// at or above the digits found so far) fit a shared list of 2048, they are
// compacted there in index order, and the remaining passes walk the list
// instead of the vocabulary; ties and draws keep their index order, so the
// result does not depend on when (or whether) that happens. Penalized ids live in a shared bitmap of the
// vocabulary, applied as each logit is read (the logits are not modified).
#include "Internal.h"

#include "vlmc/cpu/Sampling.h"

namespace vlmc::codegen {

namespace {
// Candidates a cut may move into shared memory (index and key each).
constexpr int64_t kSampleList = 2048;
} // namespace

int64_t maxSampleVocabulary() {
  // The bitmap and the kernel's fixed shared arrays within the default 48 KiB.
  constexpr int64_t fixedBytes =
      256 * 8 + 256 * 4 + kSampleList * 8 + 32 * 8 + 32 * 4 + 32 * 4 + 3 * 8;
  return (detail::kMaxSharedBytes - fixedBytes) / 4 * 32;
}

namespace detail {
namespace {

const char *kSampleText = R"cuda(
{
  constexpr int N = cfg::N, T = 1024, C = (N + T - 1) / T, WORDS = (N + 31) / 32;
  constexpr int NONE = 0x7FFFFFFF;
  constexpr int LIST = cfg::LIST, L = LIST / T; // candidate list, entries per thread
  __shared__ u32 penalizedBits[WORDS];
  __shared__ u64 hist[256];
  __shared__ u32 histCount[256];
  __shared__ int listIndex[LIST];
  __shared__ u32 listKey[LIST];
  __shared__ u64 warpU64[32];
  __shared__ float warpF[32];
  __shared__ int warpI[32];
  __shared__ u64 decided[3];
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const act_t *x = (const act_t *)a.p[1] + (a.d[0] - 1) * (i64)N;
  int *out = (int *)a.p[0];
  const int *ids = (const int *)a.p[2];
  const int nIds = (int)a.d[2];
  const i64 topK = a.d[1];
  const u64 draw = (u64)a.d[3];
  const float temperature = a.f[0], topP = a.f[1], minP = a.f[2], penalty = a.f[3];
  const int begin = min(tid * C, N), end = min(begin + C, N);

  for (int w = tid; w < WORDS; w += T) penalizedBits[w] = 0u;
  __syncthreads();
  if (penalty != 1.0f)
    for (int j = tid; j < nIds; j += T) {
      const int id = ids[j];
      if (id >= 0 && id < N) atomicOr(&penalizedBits[id >> 5], 1u << (id & 31));
    }
  __syncthreads();
  auto logit = [&](int i) -> float {
    float v = act_to_f32(x[i]);
    if ((penalizedBits[i >> 5] >> (i & 31)) & 1u)
      v = v > 0.0f ? __fdiv_rn(v, penalty) : __fmul_rn(v, penalty);
    return v;
  };

  if (temperature == 0.0f) { // the first largest logit, as ArgMax
    float best = __int_as_float(0xFF800000);
    int index = NONE;
    for (int i = begin; i < end; ++i) {
      const float v = logit(i);
      if (v > best || (index == NONE && v == best)) { best = v; index = i; }
    }
    auto better = [](float v, int i, float bv, int bi) { return v > bv || (v == bv && i < bi); };
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
      const float v = __shfl_xor_sync(0xFFFFFFFFu, best, o);
      const int i = __shfl_xor_sync(0xFFFFFFFFu, index, o);
      if (better(v, i, best, index)) { best = v; index = i; }
    }
    if (lane == 0) { warpF[warp] = best; warpI[warp] = index; }
    __syncthreads();
    if (tid == 0) {
      best = warpF[0];
      index = warpI[0];
      for (int w = 1; w < 32; ++w)
        if (better(warpF[w], warpI[w], best, index)) { best = warpF[w]; index = warpI[w]; }
      out[0] = index == NONE ? 0 : index;
    }
    return;
  }

  auto sum = [&](u64 v) -> u64 {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xFFFFFFFFu, v, o);
    __syncthreads();
    if (lane == 0) warpU64[warp] = v;
    __syncthreads();
    u64 total = 0;
    for (int w = 0; w < 32; ++w) total += warpU64[w];
    return total;
  };
  // The sum of v over the threads before this one (and `total`, all of them).
  auto scan = [&](u64 v, u64 &total) -> u64 {
    u64 inclusive = v;
#pragma unroll
    for (int o = 1; o < 32; o <<= 1) {
      const u64 y = __shfl_up_sync(0xFFFFFFFFu, inclusive, o);
      if (lane >= o) inclusive += y;
    }
    __syncthreads();
    if (lane == 31) warpU64[warp] = inclusive;
    __syncthreads();
    u64 before = 0;
    total = 0;
    for (int w = 0; w < 32; ++w) {
      const u64 t = warpU64[w];
      if (w < warp) before += t;
      total += t;
    }
    return before + inclusive - v;
  };

  float m = __int_as_float(0xFF800000);
  for (int i = begin; i < end; ++i) {
    const float v = logit(i);
    if (v > m) m = v;
  }
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) m = fmaxf(m, __shfl_xor_sync(0xFFFFFFFFu, m, o));
  if (lane == 0) warpF[warp] = m;
  __syncthreads();
  for (int w = 0; w < 32; ++w) m = fmaxf(m, warpF[w]);

  const float inverseTemperature = __fdiv_rn(1.0f, temperature);
  auto prob = [&](int i) {
    return sampling_exp(__fmul_rn(__fsub_rn(logit(i), m), inverseTemperature));
  };
  auto weight = [](float p) -> u64 { return (u64)__fmul_rn(p, 1099511627776.0f); };

  // Each thread's p, as float bits, kept in the workspace (after its
  // counters) at [j * T + tid] so that a warp's accesses coalesce: the
  // passes below read them instead of recomputing the exp.
  // The weight of the whole vocabulary (top-p's base) comes along.
  u32 *keys = (u32 *)((char *)a.p[7] + 4096);
  u64 all = 0;
  for (int j = 0; j < C; ++j) {
    const int i = begin + j;
    if (i < end) {
      const float p = prob(i);
      keys[j * T + tid] = __float_as_uint(p);
      all += weight(p);
    }
  }
  all = sum(all);

  // Stage 0: every token; 1: top-k's and min-p's survivors; 2: also top-p's.
  u32 kt = 0u, pt = 0u;       // the cuts' keys (0: no cut)
  int quotaK = NONE, quotaP = NONE; // ties at the cut this thread keeps
  // Once a cut's candidates fit the shared list (LIST entries, in index
  // order; thread t owns entries [t*L, (t+1)*L)), the passes walk the list
  // instead of the vocabulary. listStage: the stage its entries already
  // passed (-1: no list).
  bool compact = false;
  int listStage = -1, listSize = 0;
  // Visits this thread's tokens in index order, every lane of a warp in step
  // (C or L times; `member` false past the end and for non-members), so that
  // a visitor may use warp intrinsics.
  auto walk = [&](int stage, auto &&visit) {
    int tiesK = 0, tiesP = 0;
    const int items = compact ? L : C;
    for (int j = 0; j < items; ++j) {
      int i;
      u32 key;
      bool valid;
      if (compact) {
        const int e = tid * L + j;
        valid = e < listSize;
        i = valid ? listIndex[e] : 0;
        key = valid ? listKey[e] : 0u;
      } else {
        i = begin + j;
        valid = i < end;
        key = valid ? keys[j * T + tid] : 0u;
      }
      const float p = __uint_as_float(key);
      bool member = valid;
      if (member && stage >= 1 && listStage < 1 &&
          (key < kt || (key == kt && tiesK++ >= quotaK) || !(p >= minP)))
        member = false;
      if (member && stage >= 2 && (key < pt || (key == pt && tiesP++ >= quotaP)))
        member = false;
      visit(i, member, p, key);
    }
  };
  // hist[bin] += amount, one shared atomic per group of lanes with the same
  // bin (bin < 0: nothing): most probabilities share a few bins, and
  // per-lane atomics on one address serialize. Amounts are at most 2^40, so
  // the two partial sums (low 24 bits, the rest) cannot overflow 32 bits.
  auto histAdd = [&](int bin, u64 amount) {
    const u32 group = __match_any_sync(0xFFFFFFFFu, bin);
    const u32 low = __reduce_add_sync(group, (u32)(amount & 0xFFFFFFu));
    const u32 high = __reduce_add_sync(group, (u32)(amount >> 24));
    if (bin >= 0 && lane == __ffs(group) - 1) {
      atomicAdd(&hist[bin], ((u64)high << 24) + low);
      atomicAdd(&histCount[bin], (u32)__popc(group));
    }
  };
  // Moves the members (of `stage`) with key >= threshold into the list.
  auto compactFrom = [&](int stage, u32 threshold) {
    u64 mine = 0, total;
    walk(stage, [&](int, bool member, float, u32 key) { if (member && key >= threshold) ++mine; });
    u64 at = scan(mine, total);
    walk(stage, [&](int i, bool member, float, u32 key) {
      if (member && key >= threshold) {
        listIndex[at] = i;
        listKey[at] = key;
        ++at;
      }
    });
    __syncthreads();
    compact = true;
    listStage = stage;
    listSize = (int)total;
  };
  // The largest key t whose members (of `stage`) with key >= t reach
  // `target` (at most their total), counting tokens or adding weights;
  // `left` is what the members at t must still bring.
  // While walking the vocabulary, the members with key >= the prefix found
  // so far are counted after each digit; once they fit the list, they move
  // there (they hold every token this cut keeps).
  auto select = [&](int stage, bool counting, u64 target, u64 &left) -> u32 {
    u32 prefix = 0u, mask = 0u;
    u64 countAbove = 0; // members whose key is above the prefix's range
    for (int shift = 24; shift >= 0; shift -= 8) {
      if (tid < 256) {
        hist[tid] = 0;
        histCount[tid] = 0u;
      }
      __syncthreads();
      walk(stage, [&](int, bool member, float p, u32 key) {
        const bool in = member && (key & mask) == prefix;
        histAdd(in ? (int)((key >> shift) & 255u) : -1, in ? (counting ? 1ull : weight(p)) : 0ull);
      });
      __syncthreads();
      if (tid == 0) {
        u64 above = 0, aboveCount = 0;
        int b = 255;
        for (; b > 0; --b) {
          if (above + hist[b] >= target) break;
          above += hist[b];
          aboveCount += histCount[b];
        }
        decided[0] = (u64)b;
        decided[1] = target - above;
        decided[2] = aboveCount;
      }
      __syncthreads();
      const int b = (int)decided[0];
      prefix |= (u32)b << shift;
      mask |= 255u << shift;
      target = decided[1];
      const u64 candidates = countAbove + decided[2] + histCount[b];
      countAbove += decided[2];
      __syncthreads();
      if (!compact && candidates <= (u64)LIST) compactFrom(stage, prefix);
    }
    left = target;
    return prefix;
  };
  // How many of the members (of `stage`) at `key` this thread keeps when the
  // first `need` of them in index order are kept.
  auto quota = [&](int stage, u32 key, u64 need) -> int {
    u64 mine = 0, total;
    walk(stage, [&](int, bool member, float, u32 k) { if (member && k == key) ++mine; });
    const u64 before = scan(mine, total);
    u64 q = need > before ? need - before : 0;
    return (int)(q < mine ? q : mine);
  };

  if (topK > 0 && topK < N) {
    u64 left;
    kt = select(0, true, (u64)topK, left);
    quotaK = quota(0, kt, left);
  }
  if (topP < 1.0f) {
    u64 survivors = 0;
    walk(1, [&](int, bool member, float p, u32) { if (member) survivors += weight(p); });
    survivors = sum(survivors);
    const u64 target = (u64)ceil((double)topP * (double)all);
    if (target > 0 && target <= survivors) {
      u64 left;
      pt = select(1, false, target, left);
      const u64 w = weight(__uint_as_float(pt));
      quotaP = quota(1, pt, (left + w - 1) / w);
    }
  }
  u64 mine = 0, kept;
  walk(2, [&](int, bool member, float p, u32) { if (member) mine += weight(p); });
  const u64 before = scan(mine, kept);
  if (kept == 0) {
    if (tid == 0) out[0] = 0;
    return;
  }
  const u64 u = __umul64hi(kept, draw << 11);
  if (before <= u && u < before + mine) { // one thread (no warp intrinsics below)
    u64 running = before;
    int pick = -1;
    walk(2, [&](int i, bool member, float p, u32) {
      if (member && pick < 0) {
        running += weight(p);
        if (running > u) pick = i;
      }
    });
    out[0] = pick;
  }
}
)cuda";

// cpu::samplingExp, step for step (explicit roundings: no contraction).
std::string samplingExpSource() {
  using namespace cpu::sampling_exp;
  std::string s = "VLM_DEV float sampling_exp(float y) {\n";
  s += "  if (!(y > " + floatLiteral(kCutoff) + ")) return 0.0f;\n";
  s += "  const float n = rintf(__fmul_rn(y, " + floatLiteral(kLog2e) + "));\n";
  s += "  float r = __fmaf_rn(-n, " + floatLiteral(kLn2Hi) + ", y);\n";
  s += "  r = __fmaf_rn(-n, " + floatLiteral(kLn2Lo) + ", r);\n";
  s += "  float q = " + floatLiteral(kPoly[0]) + ";\n";
  for (size_t i = 1; i < sizeof kPoly / sizeof kPoly[0]; ++i)
    s += "  q = __fmaf_rn(q, r, " + floatLiteral(kPoly[i]) + ");\n";
  s += "  return __fmul_rn(q, __uint_as_float((u32)((int)n + 127) << 23));\n}\n";
  return s;
}

} // namespace

Result<KernelSource> generateSample(const OpDesc &desc) {
  VLMC_RETURN_IF_ERROR(requireDtype(desc));
  VLMC_RETURN_IF_ERROR(requirePositive(desc, "width", desc.width));
  if (desc.width > maxSampleVocabulary())
    return invalidArgument("codegen: Sample over " + std::to_string(desc.width) +
                           " tokens exceeds the " + std::to_string(maxSampleVocabulary()) +
                           " whose penalty bitmap fits shared memory");
  KernelSource ks;
  ks.grid = fb::GridKind::Rows;
  ks.block = 1024;
  ks.rowsPerBlock = 1;
  ks.name = "vlm_sample_n" + std::to_string(desc.width) + "_" + dtypeTag(desc.dtype);
  std::string s = prelude(desc.dtype);
  s += "namespace cfg {\n";
  s += constant("int", "N", desc.width);
  s += constant("int", "LIST", kSampleList);
  s += "} // namespace cfg\n";
  s += samplingExpSource();
  s += entry(ks.name, ks.block);
  s += kSampleText;
  ks.source = std::move(s);
  return ks;
}

} // namespace detail
} // namespace vlmc::codegen
