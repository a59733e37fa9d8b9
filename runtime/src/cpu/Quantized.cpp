// Quantized products and the quantized embedding: the shared matmul driver
// over rows dequantized on the fly into per-thread scratch.
#include "Dequant.h"
#include "MatmulDriver.h"

#include "vlmc/cpu/Kernels.h"
#include "vlmc/cpu/Matmul.h"

#include <cmath>
#include <string>

namespace vlmc::cpu {
namespace {

using quant::Mode;

struct DequantizedRows {
  const detail::RowDequantizer *deq;
  int64_t K;
  int64_t rowScratch(int count) const { return count * K; }
  const float *rows(int64_t n0, int count, float *scratch, int64_t *ld) const {
    for (int j = 0; j < count; ++j)
      deq->row(n0 + j, scratch + j * K);
    *ld = K;
    return scratch;
  }
};

Status checkProduct(const float *x, int64_t M, int64_t K,
                    const quant::QuantizedWeightView &w, const float *y,
                    const char *tag) {
  if (M < 0 || K < 0)
    return invalidArgument(std::string("[") + tag + "] negative input shape (" +
                           std::to_string(M) + ", " + std::to_string(K) + ")");
  VLMC_RETURN_IF_ERROR(detail::validateView(w, tag));
  if (w.cols != K)
    return invalidArgument(std::string("[") + tag +
                           "] Last dimension of first input with shape (" +
                           std::to_string(M) + ", " + std::to_string(K) +
                           ") does not match the expanded quantized matrix (" +
                           std::to_string(w.rows) + ", " +
                           std::to_string(w.cols) + ").");
  if (M > 0 && w.rows > 0 && (!y || (K > 0 && !x)))
    return invalidArgument(std::string("[") + tag + "] null input or output");
  return Status::ok();
}

Status product(ThreadPool &pool, const float *x, int64_t M, int64_t K,
               const quant::QuantizedWeightView &w, const float *bias,
               float *y) {
  const detail::RowDequantizer deq(w);
  const DequantizedRows src{&deq, K};
  if (!detail::runMatmul(pool, x, M, K, src, w.rows, bias, y))
    return Status(
        StatusCode::kResourceExhausted,
        "out of memory for the quantized matmul's dequantization scratch "
        "(K = " +
            std::to_string(K) + ")");
  return Status::ok();
}

bool activationQuantizable(Mode mode) {
  return mode == Mode::kMxfp8 || mode == Mode::kNvfp4;
}

Status unsupportedActivationMode(Mode mode) {
  return Status(
      StatusCode::kUnimplemented,
      std::string("activation quantization is not supported for mode ") +
          quant::modeName(mode) + " (supported: mxfp8, nvfp4)");
}

} // namespace

Status qmatmul(ThreadPool &pool, const float *x, int64_t M, int64_t K,
               const quant::QuantizedWeightView &w, const float *biasOrNull,
               float *y) {
  VLMC_RETURN_IF_ERROR(checkProduct(x, M, K, w, y, "quantized_matmul"));
  return product(pool, x, M, K, w, biasOrNull, y);
}

Status fakeQuantizeRows(ThreadPool &pool, const float *x, int64_t M, int64_t K,
                        const quant::QuantSpec &spec,
                        std::optional<float> globalScale, float *out) {
  if (!activationQuantizable(spec.mode))
    return unsupportedActivationMode(spec.mode);
  if (M < 0 || K < 0)
    return invalidArgument("[quantize] negative matrix shape (" +
                           std::to_string(M) + ", " + std::to_string(K) + ")");
  VLMC_RETURN_IF_ERROR(quant::validateSpec(spec, "quantize"));
  VLMC_RETURN_IF_ERROR(quant::validateShape(spec, K, "quantize", M));
  if (globalScale.has_value() != spec.globalScale)
    return invalidArgument(
        spec.globalScale ? "[quantize] spec.globalScale is set but no global "
                           "scale value was given."
                         : "[quantize] A global scale value was given but "
                           "spec.globalScale is false.");
  float enc = 1.0f, decodeFactor = 1.0f;
  if (globalScale) {
    const float g = *globalScale;
    enc = (448.0f * 6.0f) / g; // quant's encode factor expression
    if (!std::isfinite(g) || !(g > 0.0f) || !std::isfinite(enc))
      return invalidArgument(
          "[quantize] Global scale must be a positive finite "
          "float32 but got " +
          std::to_string(g) + ".");
    decodeFactor = g / (448.0f * 6.0f);
  }
  if (M == 0 || K == 0)
    return Status::ok();
  if (!x || !out)
    return invalidArgument("[quantize] null input or output buffer");
  pool.parallelFor(M, 1, [&](int64_t m0, int64_t m1) {
    for (int64_t m = m0; m < m1; ++m)
      detail::fakeQuantizeRow(x + m * K, K, spec, enc, decodeFactor,
                              out + m * K);
  });
  return Status::ok();
}

Status qqmatmul(ThreadPool &pool, const float *x, int64_t M, int64_t K,
                const quant::QuantizedWeightView &w, const float *biasOrNull,
                float *y) {
  if (!activationQuantizable(w.spec.mode))
    return unsupportedActivationMode(w.spec.mode);
  VLMC_RETURN_IF_ERROR(checkProduct(x, M, K, w, y, "qqmm"));
  if (M == 0 || w.rows == 0)
    return Status::ok();
  std::optional<float> gx;
  if (w.globalScale) {
    // The activations' own per-call global scale (docs/dialect.md), as
    // quant::quantize picks it: absmax, 1 for an all-zero tensor.
    const float a = quant::computeGlobalScale(x, quant::DType::kF32, M * K);
    gx = a == 0.0f ? 1.0f : a;
  }
  Result<float *> xq = pool.workspace(static_cast<size_t>(M * K));
  if (!xq)
    return xq.status().withContext("[qqmm] quantizing x");
  quant::QuantSpec xSpec = w.spec;
  xSpec.globalScale = gx.has_value();
  // (withContext only on failure: its std::string argument would allocate.)
  Status quantized = fakeQuantizeRows(pool, x, M, K, xSpec, gx, *xq);
  if (!quantized.isOk())
    return quantized.withContext("[qqmm] quantizing x");
  return product(pool, *xq, M, K, w, biasOrNull, y);
}

Status qembedding(const int32_t *ids, int64_t n,
                  const quant::QuantizedWeightView &table, float *out) {
  VLMC_RETURN_IF_ERROR(detail::validateView(table, "qembedding"));
  if (n < 0)
    return invalidArgument("[qembedding] negative number of ids " +
                           std::to_string(n));
  if (n > 0 && (!ids || (table.cols > 0 && !out)))
    return invalidArgument("[qembedding] null ids or output");
  for (int64_t i = 0; i < n; ++i)
    if (ids[i] < 0 || ids[i] >= table.rows)
      return outOfRange("[qembedding] token id " + std::to_string(ids[i]) +
                        " at position " + std::to_string(i) +
                        " is out of range for a vocabulary of " +
                        std::to_string(table.rows));
  if (table.cols == 0)
    return Status::ok();
  const detail::RowDequantizer deq(table);
  for (int64_t i = 0; i < n; ++i)
    deq.row(ids[i], out + i * table.cols);
  return Status::ok();
}

} // namespace vlmc::cpu
