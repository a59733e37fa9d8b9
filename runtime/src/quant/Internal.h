// Private helpers of vlmc_quant: group kernels on fp32 data and the row
// partitioning used for multithreading.
#pragma once

#include "vlmc/quant/Quant.h"

#include <cstdint>
#include <functional>

namespace vlmc::quant::detail {

// Round to nearest integer, ties to even, independent of the fenv rounding
// mode. Only for 0 <= v < 2^23 (where v - floor(v) is exact).
float roundHalfEven(float v);

// One affine group of `g` elements. Writes g codes and the fp32 scale/bias the
// codes were computed with (before rounding to the stored dtype).
void affineQuantizeGroup(const float *w, int g, int bits, uint8_t *codes,
                         float *scale, float *bias);

// One mx/nv group. `enc` is 1 without a global scale, else 2688/g.
// Returns the stored scale byte.
uint8_t fpQuantizeGroup(const float *w, int g, Mode mode, float enc,
                        uint8_t *codes);

// Multiplier turning an element value into a weight: E8M0/E4M3 scale,
// times g/2688 for two-level nvfp4.
float fpDecodeScale(Mode mode, uint8_t scaleByte,
                    std::optional<float> globalScale);
// Element value of a stored fp code (E2M1 for 4 bits, E4M3 for 8).
inline float fpDecodeElement(Mode mode, uint8_t code) {
  return mode == Mode::kMxfp8 ? decodeE4M3(code) : decodeE2M1(code);
}

// Checks the global-scale arguments of quantize-like calls; on success *enc
// is the nvfp4 encode factor (1 without a global scale).
Status checkGlobalScale(const QuantSpec &spec, std::optional<float> globalScale,
                        const char *tag, float *enc);

// rows * cols without overflow, both non-negative.
Status checkMatrixSize(int64_t rows, int64_t cols, const char *tag);

// How many contiguous row chunks to run in parallel. numThreads 0 picks the
// hardware concurrency but keeps tiny matrices on one thread; an explicit
// count is honoured up to `rows`.
int planChunks(int64_t rows, int64_t cols, int numThreads);

// Runs body(chunk, rowBegin, rowEnd) for `chunks` contiguous chunks, chunk 0
// on the calling thread. body must not throw. If a thread cannot be started
// its chunk runs on the calling thread instead.
void runChunks(int64_t rows, int chunks,
               const std::function<void(int, int64_t, int64_t)> &body);

// Loads element i of a float matrix stored as F32/F16/BF16.
Status loadRow(const void *base, DType type, int64_t offset, int64_t count,
               float *dst);

} // namespace vlmc::quant::detail
