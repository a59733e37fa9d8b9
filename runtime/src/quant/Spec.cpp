// Modes, dtypes, spec validation and sizes. Error texts reproduce MLX's
// (mlx/ops.cpp) so users see the same words whichever tool rejected them.
#include "Internal.h"

#include <climits>
#include <cmath>
#include <string>

namespace vlmc::quant {
namespace {

std::string tagged(const char *tag, const std::string &msg) {
  return std::string("[") + (tag ? tag : "quantize") + "] " + msg;
}

} // namespace

const char *modeName(Mode mode) {
  switch (mode) {
  case Mode::kAffine: return "affine";
  case Mode::kMxfp4: return "mxfp4";
  case Mode::kMxfp8: return "mxfp8";
  case Mode::kNvfp4: return "nvfp4";
  }
  return "unknown";
}

Result<Mode> parseMode(std::string_view name, const char *tag) {
  for (Mode m : {Mode::kAffine, Mode::kMxfp4, Mode::kMxfp8, Mode::kNvfp4})
    if (name == modeName(m))
      return m;
  return invalidArgument(
      tagged(tag, "Invalid quantization mode '" + std::string(name) + "'."));
}

size_t dtypeSize(DType type) {
  switch (type) {
  case DType::kF32: return 4;
  case DType::kF16: return 2;
  case DType::kBF16: return 2;
  case DType::kU8: return 1;
  case DType::kU32: return 4;
  }
  return 0;
}

const char *dtypeName(DType type) {
  switch (type) {
  case DType::kF32: return "float32";
  case DType::kF16: return "float16";
  case DType::kBF16: return "bfloat16";
  case DType::kU8: return "uint8";
  case DType::kU32: return "uint32";
  }
  return "unknown";
}

Result<DType> parseDType(std::string_view name) {
  for (DType t : {DType::kF32, DType::kF16, DType::kBF16, DType::kU8, DType::kU32})
    if (name == dtypeName(t))
      return t;
  return invalidArgument("unknown dtype '" + std::string(name) + "'");
}

bool isFloatDType(DType type) {
  return type == DType::kF32 || type == DType::kF16 || type == DType::kBF16;
}

QuantSpec defaultSpec(Mode mode) {
  switch (mode) {
  case Mode::kAffine: return {Mode::kAffine, 4, 64, false};
  case Mode::kMxfp4: return {Mode::kMxfp4, 4, 32, false};
  case Mode::kMxfp8: return {Mode::kMxfp8, 8, 32, false};
  case Mode::kNvfp4: return {Mode::kNvfp4, 4, 16, false};
  }
  return {};
}

Status validateSpec(const QuantSpec &spec, const char *tag) {
  if (spec.mode == Mode::kAffine) {
    const int g = spec.groupSize;
    if (g != 32 && g != 64 && g != 128)
      return invalidArgument(tagged(
          tag, "The requested group size " + std::to_string(g) +
                   " is not supported. The supported group sizes are 32, 64, "
                   "and 128."));
    const int b = spec.bits;
    if (b != 2 && b != 3 && b != 4 && b != 5 && b != 6 && b != 8)
      return invalidArgument(tagged(
          tag, "The requested number of bits " + std::to_string(b) +
                   " is not supported. The supported bits are 2, 3, 4, 5, 6 "
                   "and 8."));
  } else if (spec.mode == Mode::kMxfp4 || spec.mode == Mode::kMxfp8 ||
             spec.mode == Mode::kNvfp4) {
    const QuantSpec d = defaultSpec(spec.mode);
    const std::string name = modeName(spec.mode);
    if (spec.groupSize != d.groupSize)
      return invalidArgument(tagged(
          tag, name + " quantization requires group size " +
                   std::to_string(d.groupSize) + " but got " +
                   std::to_string(spec.groupSize) + "."));
    if (spec.bits != d.bits)
      return invalidArgument(tagged(
          tag, name + " quantization requires bits to be " +
                   std::to_string(d.bits) + " but got " +
                   std::to_string(spec.bits) + "."));
  } else {
    return invalidArgument(tagged(
        tag, "Invalid quantization mode '" +
                 std::to_string(static_cast<int>(spec.mode)) + "'."));
  }
  if (spec.globalScale && spec.mode != Mode::kNvfp4)
    return invalidArgument(tagged(
        tag, "Global scale is only supported for 'nvfp4' quantization mode."));
  return Status::ok();
}

Status validateShape(const QuantSpec &spec, int64_t cols, const char *tag,
                     int64_t rows) {
  VLMC_RETURN_IF_ERROR(validateSpec(spec, tag));
  if (cols < 0 || cols % spec.groupSize != 0) {
    std::string shape = rows >= 0 ? "(" + std::to_string(rows) + ", " +
                                        std::to_string(cols) + ")"
                                  : "(..., " + std::to_string(cols) + ")";
    // The double space before "matrix" is MLX's.
    return invalidArgument(tagged(
        tag, "The last dimension of the matrix needs to be divisible by the "
             "quantization group size " +
                 std::to_string(spec.groupSize) +
                 ". However the provided  matrix has shape " + shape));
  }
  return Status::ok();
}

int64_t packedWordsPerRow(const QuantSpec &spec, int64_t cols) {
  return cols * spec.bits / 32;
}

int64_t groupsPerRow(const QuantSpec &spec, int64_t cols) {
  return spec.groupSize > 0 ? cols / spec.groupSize : 0;
}

DType scaleDType(const QuantSpec &spec, DType weightDType) {
  return spec.mode == Mode::kAffine ? weightDType : DType::kU8;
}

float elementMax(Mode mode) {
  switch (mode) {
  case Mode::kMxfp8: return 448.0f;
  case Mode::kMxfp4:
  case Mode::kNvfp4: return 6.0f;
  case Mode::kAffine: return 0.0f;
  }
  return 0.0f;
}

namespace detail {

Status checkGlobalScale(const QuantSpec &spec, std::optional<float> globalScale,
                        const char *tag, float *enc) {
  *enc = 1.0f;
  if (globalScale && spec.mode != Mode::kNvfp4)
    return invalidArgument(tagged(
        tag, "Global scale is only supported for 'nvfp4' quantization mode."));
  if (spec.globalScale && !globalScale)
    return invalidArgument(tagged(
        tag, "spec.globalScale is set but no global scale value was given."));
  if (!spec.globalScale && globalScale)
    return invalidArgument(tagged(
        tag, "A global scale value was given but spec.globalScale is false."));
  if (!globalScale)
    return Status::ok();
  const float g = *globalScale;
  // MLX does not check this; with g <= 0 or non-finite its kernels produce
  // NaN/Inf scales, so we refuse instead.
  const float e = (448.0f * 6.0f) / g;
  if (!std::isfinite(g) || !(g > 0.0f) || !std::isfinite(e))
    return invalidArgument(tagged(
        tag, "Global scale must be a positive finite float32 but got " +
                 std::to_string(g) + "."));
  *enc = e;
  return Status::ok();
}

Status checkMatrixSize(int64_t rows, int64_t cols, const char *tag) {
  if (rows < 0 || cols < 0)
    return invalidArgument(tagged(tag, "negative matrix shape (" +
                                           std::to_string(rows) + ", " +
                                           std::to_string(cols) + ")"));
  if (cols > 0 && rows > INT64_MAX / 8 / cols)
    return invalidArgument(tagged(tag, "matrix shape (" + std::to_string(rows) +
                                           ", " + std::to_string(cols) +
                                           ") is too large"));
  return Status::ok();
}

} // namespace detail
} // namespace vlmc::quant
