// RMSNorm and LayerNorm. Row statistics are summed in double (more accurate
// than torch's fp32 pairwise sums, never less), then rounded to fp32 and
// applied in the fp32 order HF uses, so results sit within an ulp or two of
// PyTorch's.
#include "vlmc/cpu/Kernels.h"

#include <cmath>

namespace vlmc::cpu {

void rmsNorm(const float *x, int64_t rows, int64_t dim, const float *weight,
             float eps, float *y) {
  if (rows <= 0 || dim <= 0)
    return;
  for (int64_t r = 0; r < rows; ++r) {
    const float *xr = x + r * dim;
    float *yr = y + r * dim;
    double sumSq = 0.0;
    for (int64_t i = 0; i < dim; ++i)
      sumSq += static_cast<double>(xr[i]) * xr[i];
    // HF: variance = mean(x^2) (fp32); x * torch.rsqrt(variance + eps).
    const float variance = static_cast<float>(sumSq / static_cast<double>(dim));
    const float inv = 1.0f / std::sqrt(variance + eps);
    for (int64_t i = 0; i < dim; ++i)
      yr[i] = (xr[i] * inv) * weight[i];
  }
}

void layerNorm(const float *x, int64_t rows, int64_t dim, const float *weight,
               const float *bias, float eps, float *y) {
  if (rows <= 0 || dim <= 0)
    return;
  for (int64_t r = 0; r < rows; ++r) {
    const float *xr = x + r * dim;
    float *yr = y + r * dim;
    // Two passes: the variance of (x - mean) does not cancel catastrophically
    // for rows with a large mean.
    double sum = 0.0;
    for (int64_t i = 0; i < dim; ++i)
      sum += xr[i];
    const double meanD = sum / static_cast<double>(dim);
    double sumSq = 0.0;
    for (int64_t i = 0; i < dim; ++i) {
      const double d = xr[i] - meanD;
      sumSq += d * d;
    }
    const float mean = static_cast<float>(meanD);
    const float variance = static_cast<float>(sumSq / static_cast<double>(dim));
    const float rstd = 1.0f / std::sqrt(variance + eps);
    for (int64_t i = 0; i < dim; ++i)
      yr[i] = (xr[i] - mean) * rstd * weight[i] + bias[i];
  }
}

} // namespace vlmc::cpu
