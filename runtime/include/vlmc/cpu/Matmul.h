// Matrix products of the CPU backend: y[M, N] = x[M, K] . W[N, K]^T (+ b[N]).
//
// All activations are fp32, row-major and contiguous; W is stored as in the
// checkpoint ([out_features, in_features]). Pointers must be valid for the
// sizes given (matmul has nothing else that can go wrong, hence void).
// Accumulation is fp32 without FMA
// contraction (the library is built with -ffp-contract=off), so a result
// depends only on (M, N, K) and the data -- never on the thread count or the
// machine:
//   * M <= kDotRowsMax (decode, small batches): each output is an 8-lane
//     dot product
//     (lane l sums k = l (mod 8) in ascending order), the lanes are added
//     pairwise ((l0+l1)+(l2+l3))+((l4+l5)+(l6+l7)), then the K mod 8 tail in
//     ascending k;
//   * larger M (prefill): each output is the plain ascending-k fp32 sum,
//     i.e. bit-identical to quant::qmatmulRef's loop.
// Work split: decode parallelizes over blocks of 4 weight rows (each block is
// streamed once and reused from L1 for every x row); prefill over tiles of
// (8 weight rows transposed into a panel) x (64 x rows), 4x8 register tiles.
// Scratch (panels, dequantized rows) is the pool's per-thread scratch.
// The bias is added after the sum in both cases.
#pragma once

#include "vlmc/cpu/ThreadPool.h"
#include "vlmc/quant/Quant.h"
#include "vlmc/support/Status.h"

#include <cstdint>

namespace vlmc::cpu {

// Largest M taking the dot-product path; see above. (Measured crossover on
// a Zen VM: the panel path's transpose only pays off beyond ~16 rows.)
constexpr int64_t kDotRowsMax = 16;

// y = x . w^T + b. Negative or zero sizes do nothing.
void matmul(ThreadPool &pool, const float *x, int64_t M, int64_t K,
            const float *w, int64_t N, const float *biasOrNull, float *y);

// Weight-only quantized product: y = x . dequant(W)^T + b, W dequantized
// group by group into per-thread scratch (never a full copy of W). Every
// mode and bit width quant:: supports. Each dequantized weight is
// bit-identical to quant::dequantize's, so the result equals
// quant::qmatmulRef up to the accumulation order described above (and
// exactly, for M > kDotRowsMax). Errors: an invalid view (spec, shape, scale
// type, biases, global scale) or K != w.cols, with quant::'s messages.
Status qmatmul(ThreadPool &pool, const float *x, int64_t M, int64_t K,
               const quant::QuantizedWeightView &w, const float *biasOrNull,
               float *y);

// Activation-quantized product (MLX's qqmm): every row of x is quantized
// along K with the weight's mode and group size and dequantized back, exactly
// as quant::fakeQuantizeRows does, then multiplied as in qmatmul. Only mxfp8
// and nvfp4 ("activation quantization is not supported for mode X"
// otherwise). For nvfp4 with a global scale the activations use their own
// global scale, the absmax of the whole x[M, K] tensor computed per call
// (quant::computeGlobalScale; 1 for an all-zero x), which is what
// quant::qqmatmulRef(x, ..., computeGlobalScale(x)) computes. Consequently a
// row's result depends on the other rows of the call, as in MLX. An x with
// an infinite element has no valid global scale and is an error.
// Staging: the quantized activations live in pool.workspace().
Status qqmatmul(ThreadPool &pool, const float *x, int64_t M, int64_t K,
                const quant::QuantizedWeightView &w, const float *biasOrNull,
                float *y);

// Quantizes and dequantizes rows of x as quant::fakeQuantizeRows does
// (bit-identical), for mxfp8 and nvfp4 only; globalScale as there. Exposed
// for tests and for a future fused activation-quantization op.
Status fakeQuantizeRows(ThreadPool &pool, const float *x, int64_t M, int64_t K,
                        const quant::QuantSpec &spec,
                        std::optional<float> globalScale, float *out);

} // namespace vlmc::cpu
