// Matrix-level quantize/dequantize: argument checks, row loops, threading.
#include "Internal.h"

#include <cmath>
#include <new>
#include <string>
#include <vector>

namespace vlmc::quant {
namespace {

using detail::checkGlobalScale;
using detail::checkMatrixSize;

void storeFloat(void *base, DType type, int64_t index, float v) {
  switch (type) {
  case DType::kF32: static_cast<float *>(base)[index] = v; break;
  case DType::kF16: static_cast<uint16_t *>(base)[index] = floatToF16(v); break;
  case DType::kBF16: static_cast<uint16_t *>(base)[index] = floatToBf16(v); break;
  default: break; // callers only pass float dtypes
  }
}

float loadFloat(const void *base, DType type, int64_t index) {
  switch (type) {
  case DType::kF32: return static_cast<const float *>(base)[index];
  case DType::kF16: return f16ToFloat(static_cast<const uint16_t *>(base)[index]);
  case DType::kBF16: return bf16ToFloat(static_cast<const uint16_t *>(base)[index]);
  default: return 0.0f;
  }
}

Status resourceExhausted(const std::string &what) {
  return Status(StatusCode::kResourceExhausted, "out of memory " + what);
}

// Per-chunk scratch, allocated on the calling thread so workers never
// allocate (and so never throw).
struct Scratch {
  std::vector<float> row;
  std::vector<uint8_t> codes;
};

Status makeScratch(int chunks, int64_t cols, std::vector<Scratch> *out) {
  try {
    out->resize(static_cast<size_t>(chunks));
    for (Scratch &s : *out) {
      s.row.resize(static_cast<size_t>(cols));
      s.codes.resize(static_cast<size_t>(cols));
    }
  } catch (const std::bad_alloc &) {
    return resourceExhausted("allocating row scratch buffers");
  }
  return Status::ok();
}

Status checkThreads(int numThreads, const char *tag) {
  if (numThreads < 0)
    return invalidArgument(std::string("[") + tag +
                           "] numThreads must be >= 0 but got " +
                           std::to_string(numThreads) + ".");
  return Status::ok();
}

Status checkQuantizeArgs(DType wType, int64_t rows, int64_t cols,
                         const QuantSpec &spec,
                         std::optional<float> globalScale, float *enc) {
  VLMC_RETURN_IF_ERROR(validateSpec(spec, "quantize"));
  if (!isFloatDType(wType))
    return invalidArgument(
        std::string("[quantize] Only real floating types can be quantized but "
                    "w has type ") +
        dtypeName(wType) + ".");
  VLMC_RETURN_IF_ERROR(checkMatrixSize(rows, cols, "quantize"));
  VLMC_RETURN_IF_ERROR(validateShape(spec, cols, "quantize", rows));
  return checkGlobalScale(spec, globalScale, "quantize", enc);
}

} // namespace

float computeGlobalScale(const void *w, DType wType, int64_t count) {
  if (!w || count <= 0 || !isFloatDType(wType))
    return 0.0f;
  float amax = 0.0f;
  for (int64_t i = 0; i < count; ++i)
    amax = std::fmax(amax, std::fabs(loadFloat(w, wType, i))); // NaN skipped
  return amax;
}

Status quantize(const void *w, DType wType, int64_t rows, int64_t cols,
                const QuantSpec &spec, uint32_t *packedOut, void *scalesOut,
                void *biasesOut, std::optional<float> globalScale,
                int numThreads) {
  float enc = 1.0f;
  VLMC_RETURN_IF_ERROR(
      checkQuantizeArgs(wType, rows, cols, spec, globalScale, &enc));
  VLMC_RETURN_IF_ERROR(checkThreads(numThreads, "quantize"));
  const bool affine = spec.mode == Mode::kAffine;
  if (!affine && biasesOut)
    return invalidArgument(std::string("[quantize] Biases must be null for "
                                       "quantization mode '") +
                           modeName(spec.mode) + "'.");
  if (rows == 0 || cols == 0)
    return Status::ok();
  if (!w || !packedOut || !scalesOut || (affine && !biasesOut))
    return invalidArgument("[quantize] null input or output buffer");

  const int64_t words = packedWordsPerRow(spec, cols);
  const int64_t groups = groupsPerRow(spec, cols);
  const int g = spec.groupSize;
  const DType sType = scaleDType(spec, wType);
  const int chunks = detail::planChunks(rows, cols, numThreads);
  std::vector<Scratch> scratch;
  VLMC_RETURN_IF_ERROR(makeScratch(chunks, cols, &scratch));

  detail::runChunks(rows, chunks, [&](int chunk, int64_t begin, int64_t end) {
    float *row = scratch[static_cast<size_t>(chunk)].row.data();
    uint8_t *codes = scratch[static_cast<size_t>(chunk)].codes.data();
    for (int64_t r = begin; r < end; ++r) {
      // Cannot fail: dtype and pointers were checked above.
      (void)detail::loadRow(w, wType, r * cols, cols, row);
      for (int64_t gi = 0; gi < groups; ++gi) {
        const int64_t si = r * groups + gi;
        if (affine) {
          float s, b;
          detail::affineQuantizeGroup(row + gi * g, g, spec.bits,
                                      codes + gi * g, &s, &b);
          storeFloat(scalesOut, sType, si, s);
          storeFloat(biasesOut, sType, si, b);
        } else {
          static_cast<uint8_t *>(scalesOut)[si] = detail::fpQuantizeGroup(
              row + gi * g, g, spec.mode, enc, codes + gi * g);
        }
      }
      (void)packCodes(codes, cols, spec.bits, packedOut + r * words);
    }
  });
  return Status::ok();
}

Result<QuantizedMatrix> quantize(const void *w, DType wType, int64_t rows,
                                 int64_t cols, const QuantSpec &spec,
                                 std::optional<float> globalScale,
                                 int numThreads) {
  if (spec.globalScale && !globalScale && isFloatDType(wType) &&
      checkMatrixSize(rows, cols, "quantize").isOk()) {
    float g = computeGlobalScale(w, wType, rows * cols);
    // Any positive value gives an all-zero tensor the same (all-zero) bytes.
    globalScale = g == 0.0f ? 1.0f : g;
  }
  float enc = 1.0f;
  VLMC_RETURN_IF_ERROR(
      checkQuantizeArgs(wType, rows, cols, spec, globalScale, &enc));
  QuantizedMatrix q;
  q.spec = spec;
  q.rows = rows;
  q.cols = cols;
  q.scaleType = scaleDType(spec, wType);
  q.globalScale = globalScale;
  try {
    q.packed.resize(static_cast<size_t>(rows * packedWordsPerRow(spec, cols)));
    const size_t scaleBytes = static_cast<size_t>(rows * groupsPerRow(spec, cols)) *
                              dtypeSize(q.scaleType);
    q.scales.resize(scaleBytes);
    if (spec.mode == Mode::kAffine)
      q.biases.resize(scaleBytes);
  } catch (const std::bad_alloc &) {
    return resourceExhausted("allocating the quantized matrix");
  }
  VLMC_RETURN_IF_ERROR(quantize(w, wType, rows, cols, spec, q.packed.data(),
                                q.scales.data(),
                                q.biases.empty() ? nullptr : q.biases.data(),
                                globalScale, numThreads));
  return q;
}

Status dequantize(const uint32_t *packed, const void *scales,
                  const void *biases, DType scaleType, int64_t rows,
                  int64_t cols, const QuantSpec &spec,
                  std::optional<float> globalScale, DType outType, void *out,
                  int numThreads) {
  VLMC_RETURN_IF_ERROR(validateSpec(spec, "dequantize"));
  VLMC_RETURN_IF_ERROR(checkMatrixSize(rows, cols, "dequantize"));
  VLMC_RETURN_IF_ERROR(validateShape(spec, cols, "dequantize", rows));
  VLMC_RETURN_IF_ERROR(checkThreads(numThreads, "dequantize"));
  const bool affine = spec.mode == Mode::kAffine;
  if (affine) {
    if (!biases && rows > 0 && cols > 0)
      return invalidArgument(
          "[dequantize] Biases must be provided for affine quantization.");
    if (!isFloatDType(scaleType))
      return invalidArgument(
          std::string("[dequantize] Scale type must be a floating type for "
                      "affine quantization but received type ") +
          dtypeName(scaleType) + ".");
  } else {
    if (scaleType != DType::kU8)
      return invalidArgument(
          std::string("[dequantize] Scale type must be uint8 but received "
                      "type ") +
          dtypeName(scaleType) + ".");
    if (biases)
      return invalidArgument(
          std::string("[dequantize] Biases must be null for quantization "
                      "mode '") +
          modeName(spec.mode) + "'.");
  }
  float enc = 1.0f;
  VLMC_RETURN_IF_ERROR(checkGlobalScale(spec, globalScale, "dequantize", &enc));
  if (!isFloatDType(outType))
    return invalidArgument(
        std::string("[dequantize] The output type must be float32, float16 or "
                    "bfloat16 but got ") +
        dtypeName(outType) + ".");
  if (rows == 0 || cols == 0)
    return Status::ok();
  if (!packed || !scales || !out)
    return invalidArgument("[dequantize] null input or output buffer");

  const int64_t words = packedWordsPerRow(spec, cols);
  const int64_t groups = groupsPerRow(spec, cols);
  const int g = spec.groupSize;
  const size_t outSize = dtypeSize(outType);
  const int chunks = detail::planChunks(rows, cols, numThreads);
  std::vector<Scratch> scratch;
  VLMC_RETURN_IF_ERROR(makeScratch(chunks, cols, &scratch));

  detail::runChunks(rows, chunks, [&](int chunk, int64_t begin, int64_t end) {
    float *row = scratch[static_cast<size_t>(chunk)].row.data();
    uint8_t *codes = scratch[static_cast<size_t>(chunk)].codes.data();
    for (int64_t r = begin; r < end; ++r) {
      (void)unpackCodes(packed + r * words, cols, spec.bits, codes);
      for (int64_t gi = 0; gi < groups; ++gi) {
        const int64_t si = r * groups + gi;
        float *dst = row + gi * g;
        const uint8_t *src = codes + gi * g;
        if (affine) {
          const float s = loadFloat(scales, scaleType, si);
          const float b = loadFloat(biases, scaleType, si);
          for (int i = 0; i < g; ++i)
            dst[i] = static_cast<float>(src[i]) * s + b;
        } else {
          const float s = detail::fpDecodeScale(
              spec.mode, static_cast<const uint8_t *>(scales)[si], globalScale);
          for (int i = 0; i < g; ++i)
            dst[i] = s * detail::fpDecodeElement(spec.mode, src[i]);
        }
      }
      (void)convertFromFloat(row, cols, outType,
                             static_cast<uint8_t *>(out) +
                                 static_cast<size_t>(r * cols) * outSize);
    }
  });
  return Status::ok();
}

Status dequantize(const QuantizedWeightView &w, float *out, int numThreads) {
  return dequantize(w.packed, w.scales, w.biases, w.scaleType, w.rows, w.cols,
                    w.spec, w.globalScale, DType::kF32, out, numThreads);
}

} // namespace vlmc::quant
