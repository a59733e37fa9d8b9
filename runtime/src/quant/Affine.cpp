// Affine group quantization following MLX's GPU kernels (CUDA
// affine_quantize; Metal agrees): see mlx-quant.md §1.3.
#include "Internal.h"

#include <algorithm>
#include <cfloat>
#include <cmath>

namespace vlmc::quant::detail {

void affineQuantizeGroup(const float *w, int g, int bits, uint8_t *codes,
                         float *scaleOut, float *biasOut) {
  const float nBins = static_cast<float>((1 << bits) - 1);
  // The GPU kernels start the running max at 0 (so hi >= 0) and the running
  // min at +FLT_MAX; fminf/fmaxf skip NaN elements.
  float lo = FLT_MAX;
  float hi = 0.0f;
  for (int i = 0; i < g; ++i) {
    lo = std::fmin(lo, w[i]);
    hi = std::fmax(hi, w[i]);
  }
  float scale = std::fmax((hi - lo) / nBins, 1e-7f);
  // Anchor the larger-magnitude end at code 0 and snap the scale so that
  // real 0.0 lands exactly on an integer code (-q0).
  const bool side = std::fabs(lo) > std::fabs(hi);
  scale = side ? scale : -scale;
  const float edge = side ? lo : hi;
  const float q0 = std::round(edge / scale);
  const bool atZero = q0 == 0.0f;
  scale = atZero ? scale : edge / q0;
  const float bias = atZero ? 0.0f : edge;
  *scaleOut = scale;
  *biasOut = bias;
  for (int i = 0; i < g; ++i) {
    // std::round: half away from zero like CUDA/Metal round(). fmin maps NaN
    // to nBins as CUDA's min() does; the lower clamp mirrors the saturating
    // float->u8 conversion and keeps the cast defined.
    float q = std::fmin(std::round((w[i] - bias) / scale), nBins);
    q = q > 0.0f ? q : 0.0f;
    codes[i] = static_cast<uint8_t>(q);
  }
}

} // namespace vlmc::quant::detail
