// mxfp4 / mxfp8 / nvfp4 group quantization following MLX's CUDA
// fp_quantize_rowwise: see mlx-quant.md §1.4-1.6.
#include "Internal.h"

#include <cmath>

namespace vlmc::quant::detail {

uint8_t fpQuantizeGroup(const float *w, int g, Mode mode, float enc,
                        uint8_t *codes) {
  float amax = 0.0f;
  for (int i = 0; i < g; ++i)
    amax = std::fmax(amax, std::fabs(w[i])); // NaN skipped
  // Same operation order as CUDA: (amax / M) * enc, all fp32.
  float t = amax / elementMax(mode);
  t *= enc;
  uint8_t scaleByte;
  float scale;
  if (mode == Mode::kNvfp4) {
    scaleByte = encodeE4M3(t);
    scale = decodeE4M3(scaleByte);
  } else {
    scaleByte = encodeE8M0Ceil(t);
    scale = decodeE8M0(scaleByte);
  }
  // For mx scales 1/S is exact (a power of two; 2^127 at worst). An nvfp4
  // scale that underflowed to 0 gets multiplier 0 (Metal's choice; CUDA
  // would use Inf), giving +-0 codes that dequantize to 0 either way.
  const float mult = scale == 0.0f ? 0.0f : enc / scale;
  if (mode == Mode::kMxfp8) {
    for (int i = 0; i < g; ++i)
      codes[i] = encodeE4M3(w[i] * mult);
  } else {
    for (int i = 0; i < g; ++i)
      codes[i] = encodeE2M1(w[i] * mult);
  }
  return scaleByte;
}

float fpDecodeScale(Mode mode, uint8_t scaleByte,
                    std::optional<float> globalScale) {
  if (mode != Mode::kNvfp4)
    return decodeE8M0(scaleByte);
  float s = decodeE4M3(scaleByte);
  // CUDA fp_dequantize: scale * (g / (448 * 6)).
  if (globalScale)
    s *= *globalScale / (448.0f * 6.0f);
  return s;
}

} // namespace vlmc::quant::detail
