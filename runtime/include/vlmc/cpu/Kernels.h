// The CPU backend's kernels for the `vlm` ops (docs/dialect.md): the portable
// reference every GPU result is checked against.
//
// Conventions: fp32 activations, row-major and contiguous; ids int32. Calls
// that can meet invalid arguments return a Status and write nothing on error;
// none throws or aborts. Output buffers must not overlap inputs unless a
// function says otherwise.
#pragma once

#include "vlmc/cpu/Matmul.h"
#include "vlmc/cpu/ThreadPool.h"
#include "vlmc/quant/Quant.h"
#include "vlmc/support/Status.h"

#include <cstdint>

namespace vlmc::cpu {

//===----------------------------------------------------------------------===//
// Embeddings (Misc.cpp, Quantized.cpp)
//===----------------------------------------------------------------------===//

// out[i, :] = table[ids[i], :]. Every id is checked before anything is
// written: an id outside [0, vocab) is an error naming it and the vocab size.
Status embedding(const int32_t *ids, int64_t n, const float *table,
                 int64_t vocab, int64_t width, float *out);

// MLX's QuantizedEmbedding: table is [vocab = rows, width = cols]; only the
// gathered rows are dequantized (bit-identical to quant::dequantize).
Status qembedding(const int32_t *ids, int64_t n,
                  const quant::QuantizedWeightView &table, float *out);

//===----------------------------------------------------------------------===//
// Normalization (Norms.cpp). Row statistics are accumulated in double, then
// applied in fp32 in HF's order. In place (y == x) is allowed.
//===----------------------------------------------------------------------===//

// HF Qwen2/Llama RMSNorm: y = (x * (1 / sqrt(mean(x^2) + eps))) * w.
void rmsNorm(const float *x, int64_t rows, int64_t dim, const float *weight,
             float eps, float *y);

// torch LayerNorm (biased variance): y = (x - mean) / sqrt(var + eps) * w + b.
void layerNorm(const float *x, int64_t rows, int64_t dim, const float *weight,
               const float *bias, float eps, float *y);

//===----------------------------------------------------------------------===//
// Rotary position embedding (Rope.cpp)
//===----------------------------------------------------------------------===//

// Rotate-half RoPE on x[S, H, D] (y may equal x). positions is [streams, S].
// For slot i in [0, D/2), with c = cos(a), s = sin(a):
//   y[i] = x[i] c - x[i + D/2] s;   y[i + D/2] = x[i + D/2] c + x[i] s.
// The angle follows HF in fp32: inv = 1 / theta^(float(2j) / float(n)),
// a = float(pos) * inv (the power correctly rounded to fp32, and cos/sin of
// the fp32 angle correctly rounded, so no libm's last bit matters), with
//   * no sections (numSections = 0, streams = 1): j = i, n = D;
//   * sections (sum = D/2, streams = numSections), slot i in section s uses
//     stream s's position and
//       - non-axial (Qwen2-VL M-RoPE [t, h, w]): j = i, n = D (global slot);
//       - axial (vision 2-D RoPE, rows/cols): j = i - start_s,
//         n = 2 * sections[s] (each section its own rotary embedding).
// Errors: odd D, sections not summing to D/2, a non-positive section,
// streams != max(numSections, 1).
Status rope(const float *x, float *y, int64_t S, int64_t H, int64_t D,
            const int32_t *positions, int64_t streams, const int64_t *sections,
            int64_t numSections, float theta, bool axial);

//===----------------------------------------------------------------------===//
// Attention (Attention.cpp)
//===----------------------------------------------------------------------===//

// out[Sq, Hq, D] = softmax(q . k^T * scale) . v per query and head, fp32
// (max-subtracted softmax; the normalizer is summed in double).
//   * GQA: query head h reads kv head h / (Hq / Hkv).
//   * k, v are [T, Hkv, D] with T >= kvLength; only the first kvLength rows
//     are keys (a preallocated cache).
//   * causal: query i sits at absolute position kvLength - Sq + i and sees
//     keys j <= that position.
//   * segmentStarts (cu_seqlens: [0, s1, ..., Sq], numSegmentStarts =
//     segments + 1, requires Sq == kvLength): block-diagonal attention, each
//     query sees only keys of its own segment (and, if causal, j <= i).
// T is the number of rows of k/v (needed to validate kvLength <= T).
// Per (query, head): scores are 8-lane dot products (see Matmul.h) times
// scale, weights w_j = exp(s_j - max), and
// out[d] = (sum_j w_j v[j, d], ascending j) * (1 / sum_j w_j).
// Parallel over (query, head); per-thread scratch of kvLength floats from the
// pool. Results do not depend on the thread count.
Status attention(ThreadPool &pool, const float *q, const float *k,
                 const float *v, int64_t Sq, int64_t Hq, int64_t Hkv, int64_t D,
                 int64_t T, int64_t kvLength,
                 const int32_t *segmentStartsOrNull, int64_t numSegmentStarts,
                 float scale, bool causal, float *out);

// Copies update[S, H, D] into rows [offset, offset + S) of cache[T, H, D].
// Rows outside [0, T) are an error "KV cache overflow: ... (max context T)".
Status kvCacheWrite(const float *update, int64_t S, float *cache, int64_t T,
                    int64_t H, int64_t D, int64_t offset);

//===----------------------------------------------------------------------===//
// Elementwise and layout ops (Misc.cpp). In place (y == x / y == a) is fine.
//===----------------------------------------------------------------------===//

// The schema's ActivationKind values.
enum ActivationKind : int {
  kSilu = 0,      // x * sigmoid(x)
  kGelu = 1,      // 0.5 x (1 + erf(x / sqrt(2)))
  kGeluTanh = 2,  // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
  kQuickGelu = 3, // x * sigmoid(1.702 x)
};
// Unknown kinds are an error (nothing written).
Status activation(int kind, const float *x, int64_t n, float *y);

// The first index of the largest value (NaN never counts as largest; n > 0,
// a row of NaNs gives 0): greedy sampling, the rule of the CUDA ArgMax kernel.
int32_t argMax(const float *x, int64_t n);

void add(const float *a, const float *b, int64_t n, float *y);
void mul(const float *a, const float *b, int64_t n, float *y);

// Idefics3 connector: x[T, G*G, C] -> y[T, (G/s)^2, C*s*s] with
//   y[t, i*(G/s) + j, dy*s*C + dx*C + c] = x[t, (i*s + dy)*G + (j*s + dx), c]
// (HF Idefics3Connector.pixel_shuffle; dy outer, dx inner). Errors: scale < 1
// or G not divisible by scale.
Status pixelShuffle(const float *x, int64_t T, int64_t G, int64_t C,
                    int64_t scale, float *y);

// out = embeddings[L, E] with the rows where ids == imageTokenId replaced by
// image[M, E] in order. out may equal embeddings. Error (nothing written):
// "the prompt has X image tokens but the images produced M embeddings".
Status spliceImageTokens(const float *image, int64_t M, const float *embeddings,
                         const int32_t *ids, int64_t L, int64_t E,
                         int64_t imageTokenId, float *out);

} // namespace vlmc::cpu
