// Scaled dot-product attention and the KV-cache write. One task per
// (query, head): scores for the query's visible key range go to the thread's
// scratch, then a max-subtracted softmax and the weighted sum of values.
// Every output is computed by one thread in a fixed order, so results do not
// depend on the thread count.
#include "Simd.h"

#include "vlmc/cpu/Kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring> // memmove
#include <string>

namespace vlmc::cpu {
namespace {

Status attentionError(const std::string &m) {
  return invalidArgument("[attention] " + m);
}

std::string str(int64_t v) { return std::to_string(v); }

Status validateSegments(const int32_t *starts, int64_t count, int64_t Sq,
                        int64_t kvLength) {
  if (!starts)
    return count == 0 ? Status::ok()
                      : attentionError("segment starts are null but " +
                                       str(count) + " were announced");
  if (count < 2)
    return attentionError(
        "segment starts need at least 2 entries ([0, ..., total]) "
        "but got " +
        str(count));
  if (Sq != kvLength)
    return attentionError("segments need Sq == kvLength but Sq = " + str(Sq) +
                          " and kvLength = " + str(kvLength));
  if (starts[0] != 0)
    return attentionError("segment starts must begin with 0 but begin with " +
                          str(starts[0]));
  for (int64_t s = 1; s < count; ++s)
    if (starts[s] < starts[s - 1])
      return attentionError("segment starts decrease at index " + str(s) +
                            " (" + str(starts[s - 1]) + " then " +
                            str(starts[s]) + ")");
  if (starts[count - 1] != Sq)
    return attentionError("segment starts end at " + str(starts[count - 1]) +
                          " but the sequence has " + str(Sq) + " tokens");
  return Status::ok();
}

// o[d] = (sum_j p[j] * v[j*stride + d]) * inv, summed over j in ascending
// order for every d. Columns go in register blocks of 32 so that each key
// row is read once per block and o is written once.
void weightedSum(const float *p, int64_t n, const float *v, int64_t stride,
                 int64_t D, float inv, float *o) {
  using detail::V4;
  int64_t d0 = 0;
  for (; d0 + 32 <= D; d0 += 32) {
    V4 acc[8];
    for (V4 &a : acc)
      a = V4{0, 0, 0, 0};
    for (int64_t j = 0; j < n; ++j) {
      const V4 pj = detail::splat4(p[j]);
      const float *vr = v + j * stride + d0;
      for (int t = 0; t < 8; ++t)
        acc[t] += pj * detail::load4(vr + 4 * t);
    }
    for (int t = 0; t < 8; ++t)
      detail::store4(o + d0 + 4 * t, acc[t] * detail::splat4(inv));
  }
  for (; d0 < D; ++d0) {
    float acc = 0.0f;
    for (int64_t j = 0; j < n; ++j)
      acc += p[j] * v[j * stride + d0];
    o[d0] = acc * inv;
  }
}

} // namespace

Status attention(ThreadPool &pool, const float *q, const float *k,
                 const float *v, int64_t Sq, int64_t Hq, int64_t Hkv, int64_t D,
                 int64_t T, int64_t kvLength, const int32_t *segmentStarts,
                 int64_t numSegmentStarts, float scale, bool causal,
                 float *out) {
  if (Sq < 0 || Hq < 0 || Hkv < 0 || D < 0 || T < 0 || kvLength < 0 ||
      numSegmentStarts < 0)
    return attentionError("negative size");
  if (Hkv == 0 || Hq % Hkv != 0)
    return attentionError("query heads " + str(Hq) +
                          " are not a multiple of key/value heads " + str(Hkv));
  if (kvLength > T)
    return attentionError("kvLength " + str(kvLength) + " exceeds the " +
                          str(T) + " rows of k/v");
  if (Sq > kvLength)
    return attentionError("Sq " + str(Sq) + " exceeds kvLength " +
                          str(kvLength) + " (queries must be among the keys)");
  VLMC_RETURN_IF_ERROR(
      validateSegments(segmentStarts, numSegmentStarts, Sq, kvLength));
  if (Sq == 0 || Hq == 0 || D == 0)
    return Status::ok();
  if (!q || !k || !v || !out)
    return attentionError("null input or output");
  if (!pool.reserveScratch(static_cast<size_t>(kvLength)).isOk())
    return Status(StatusCode::kResourceExhausted,
                  "[attention] out of memory for " + str(kvLength) + " scores");

  const int64_t group = Hq / Hkv;
  const int64_t kvStride = Hkv * D;
  // Aim for chunks of ~64k multiply-adds.
  const int64_t grain =
      std::max<int64_t>(1, 32768 / std::max<int64_t>(1, kvLength * D));
  pool.parallelForThread(
      Sq * Hq, grain, [&](int64_t t0, int64_t t1, int thread) {
        float *scores = pool.scratch(thread);
        for (int64_t task = t0; task < t1; ++task) {
          const int64_t i = task / Hq, h = task % Hq;
          const int64_t kvh = h / group;
          int64_t lo = 0, hi = kvLength;
          if (segmentStarts) {
            // The segment containing i: the last start <= i.
            const int32_t *end = segmentStarts + numSegmentStarts;
            const int32_t *it =
                std::upper_bound(segmentStarts, end, static_cast<int32_t>(i));
            lo = *(it - 1);
            hi = it == end ? kvLength : *it;
          }
          if (causal)
            hi = std::min(hi, kvLength - Sq + i + 1);

          const float *qr = q + (i * Hq + h) * D;
          float maxScore = -INFINITY;
          // Four keys at a time share the loads of q; each score's summation
          // order is the same either way (see dotShared).
          const float *kBase = k + kvh * D;
          int64_t j = lo;
          for (; j + 4 <= hi; j += 4) {
            const float *kr[4] = {
                kBase + j * kvStride, kBase + (j + 1) * kvStride,
                kBase + (j + 2) * kvStride, kBase + (j + 3) * kvStride};
            detail::dotShared<4>(qr, kr, D, scores + (j - lo));
          }
          for (; j < hi; ++j) {
            const float *kr = kBase + j * kvStride;
            detail::dotShared<1>(qr, &kr, D, scores + (j - lo));
          }
          for (int64_t t = 0; t < hi - lo; ++t) {
            scores[t] *= scale;
            maxScore = std::max(maxScore, scores[t]);
          }
          // Softmax weights in place of the scores; the normalizer in double.
          double sum = 0.0;
          for (int64_t t = 0; t < hi - lo; ++t) {
            scores[t] = std::exp(scores[t] - maxScore);
            sum += scores[t];
          }
          const float inv = static_cast<float>(1.0 / sum);
          weightedSum(scores, hi - lo, v + lo * kvStride + kvh * D, kvStride, D,
                      inv, out + (i * Hq + h) * D);
        }
      });
  return Status::ok();
}

Status kvCacheWrite(const float *update, int64_t S, float *cache, int64_t T,
                    int64_t H, int64_t D, int64_t offset) {
  if (S < 0 || T < 0 || H < 0 || D < 0)
    return invalidArgument("[kv_cache_write] negative size");
  if (offset < 0 || offset > T || S > T - offset)
    return outOfRange("KV cache overflow: writing " + str(S) +
                      " rows at offset " + str(offset) + " (max context " +
                      str(T) + ")");
  const size_t count = static_cast<size_t>(S * H * D);
  if (count == 0)
    return Status::ok();
  if (!update || !cache)
    return invalidArgument("[kv_cache_write] null update or cache");
  std::memmove(cache + offset * H * D, update, count * sizeof(float));
  return Status::ok();
}

} // namespace vlmc::cpu
