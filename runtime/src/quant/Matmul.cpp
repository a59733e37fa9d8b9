// Reference matmuls: plain loops, fp32 accumulation in ascending k, bias added
// after the sum. Slow on purpose; optimized kernels are tested against these.
#include "Internal.h"

#include <new>
#include <string>
#include <vector>

namespace vlmc::quant {
namespace {

Status checkMatmulArgs(const float *x, int64_t M, int64_t K,
                       const QuantizedWeightView &w, const float *y,
                       const char *tag) {
  VLMC_RETURN_IF_ERROR(detail::checkMatrixSize(M, K, tag));
  VLMC_RETURN_IF_ERROR(detail::checkMatrixSize(w.rows, w.cols, tag));
  if (w.cols != K)
    return invalidArgument(
        std::string("[") + tag + "] Last dimension of first input with shape (" +
        std::to_string(M) + ", " + std::to_string(K) +
        ") does not match the expanded quantized matrix (" +
        std::to_string(w.rows) + ", " + std::to_string(w.cols) + ").");
  if (M > 0 && w.rows > 0 && (!y || (K > 0 && !x)))
    return invalidArgument(std::string("[") + tag + "] null input or output");
  return Status::ok();
}

// y[m, n] = sum_k x[m, k] * wd[n, k] (+ bias[n]).
void denseMatmulNT(const float *x, int64_t M, int64_t K, const float *wd,
                   int64_t N, const float *bias, float *y) {
  for (int64_t m = 0; m < M; ++m) {
    const float *xr = x + m * K;
    for (int64_t n = 0; n < N; ++n) {
      const float *wr = wd + n * K;
      float acc = 0.0f;
      for (int64_t k = 0; k < K; ++k)
        acc += xr[k] * wr[k];
      y[m * N + n] = bias ? acc + bias[n] : acc;
    }
  }
}

template <typename T> Status allocate(std::vector<T> *v, int64_t n) {
  try {
    v->resize(static_cast<size_t>(n));
  } catch (const std::bad_alloc &) {
    return Status(StatusCode::kResourceExhausted,
                  "out of memory in a reference matmul");
  }
  return Status::ok();
}

} // namespace

Status fakeQuantizeRows(const float *x, int64_t M, int64_t K,
                        const QuantSpec &spec, float *out,
                        std::optional<float> globalScale) {
  Result<QuantizedMatrix> q =
      quantize(x, DType::kF32, M, K, spec, globalScale, /*numThreads=*/0);
  if (!q)
    return q.status();
  if (M > 0 && K > 0 && !out)
    return invalidArgument("[quantize] null output buffer");
  return dequantize(q->view(), out);
}

Status qmatmulRef(const float *x, int64_t M, int64_t K,
                  const QuantizedWeightView &w, const float *biasOrNull,
                  float *y) {
  VLMC_RETURN_IF_ERROR(checkMatmulArgs(x, M, K, w, y, "quantized_matmul"));
  std::vector<float> wd;
  VLMC_RETURN_IF_ERROR(allocate(&wd, w.rows * w.cols));
  VLMC_RETURN_IF_ERROR(dequantize(w, wd.data()));
  denseMatmulNT(x, M, K, wd.data(), w.rows, biasOrNull, y);
  return Status::ok();
}

Status qqmatmulRef(const float *x, int64_t M, int64_t K,
                   const QuantizedWeightView &w,
                   std::optional<float> globalScaleX, const float *biasOrNull,
                   float *y) {
  if (w.spec.mode == Mode::kNvfp4) {
    if (globalScaleX.has_value() != w.globalScale.has_value())
      return invalidArgument(
          "[qqmm] For nvfp4 mode, either both global_scale_x and "
          "global_scale_w must be provided, or neither.");
  } else if (globalScaleX || w.globalScale) {
    return invalidArgument(
        "[qqmm] Global scale is only supported for 'nvfp4' quantization mode.");
  }
  VLMC_RETURN_IF_ERROR(checkMatmulArgs(x, M, K, w, y, "qqmm"));
  QuantSpec xSpec = w.spec;
  xSpec.globalScale = globalScaleX.has_value();
  std::vector<float> xq, wd;
  VLMC_RETURN_IF_ERROR(allocate(&xq, M * K));
  VLMC_RETURN_IF_ERROR(allocate(&wd, w.rows * w.cols));
  VLMC_RETURN_IF_ERROR(fakeQuantizeRows(x, M, K, xSpec, xq.data(), globalScaleX)
                           .withContext("[qqmm] quantizing x"));
  VLMC_RETURN_IF_ERROR(dequantize(w, wd.data()));
  denseMatmulNT(xq.data(), M, K, wd.data(), w.rows, biasOrNull, y);
  return Status::ok();
}

} // namespace vlmc::quant
