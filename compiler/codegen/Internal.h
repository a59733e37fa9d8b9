// Shared pieces of the kernel generators (one .cpp per op family).
#pragma once

#include "Codegen.h"

#include <cstdint>
#include <string>

namespace vlmc::codegen::detail {

// Threads per block of most kernels (row kernels, matmuls).
inline constexpr int kBlock = 256;
// Hopper allows more dynamic shared memory only after a function attribute;
// every kernel stays within the default so the runtime never sets one.
inline constexpr int kMaxSharedBytes = 48 * 1024;

// The device helpers every source starts with (bf16, codecs, reductions,
// vector loads), with `act_t` the activation type of `dtype`.
std::string prelude(fb::DType dtype);
// Quantized-weight decoding (namespace qc constants + QMat helpers) for a
// [rows, cols] matrix with the desc's quant spec; `cols` is K or the width.
std::string quantHelpers(const OpDesc &desc, int64_t cols);
// Activation fake-quantization (mxfp8/nvfp4, quant::fakeQuantizeRows) and,
// for nvfp4 with a global scale, the workspace absmax protocol.
std::string activationQuantHelpers(const OpDesc &desc);

// "bf16" / "f32".
const char *dtypeTag(fb::DType dtype);
// "affine4g64" (+ "f16s"/"bf16s"/"f32s" scale dtype), "mxfp4", "mxfp8",
// "nvfp4" / "nvfp4gs".
std::string quantTag(const QuantDesc &q);
// "affine", "mxfp4", "mxfp8", "nvfp4" (MLX's spelling).
const char *quantModeName(fb::QuantMode mode);
// "constexpr <type> <name> = <value>;\n"
std::string constant(const char *type, const char *name, int64_t value);
std::string constant(const char *name, bool value);
// A float literal that reads back bit-exactly (hex float).
std::string floatLiteral(float v);

// `extern "C" __global__ void __launch_bounds__(block[, minBlocks]) <name>(KernelArgs a)`.
std::string entry(const std::string &name, int block, int minBlocks = 0);

// Checks shared by the generators; the message names the op.
Status requireDtype(const OpDesc &desc);
Status requirePositive(const OpDesc &desc, const char *what, int64_t v);
Status validateQuant(const OpDesc &desc, int64_t cols);

// One generator per family; each fills every KernelSource field.
Result<KernelSource> generateMatmul(const OpDesc &desc);
Result<KernelSource> generateEmbedding(const OpDesc &desc);
Result<KernelSource> generateSplice(const OpDesc &desc);
Result<KernelSource> generateNorm(const OpDesc &desc);
Result<KernelSource> generateRope(const OpDesc &desc);
Result<KernelSource> generateAttention(const OpDesc &desc);
Result<KernelSource> generateElementwise(const OpDesc &desc);
Result<KernelSource> generateKvCacheWrite(const OpDesc &desc);
Result<KernelSource> generatePixelShuffle(const OpDesc &desc);
Result<KernelSource> generateArgMax(const OpDesc &desc);
Result<KernelSource> generateSample(const OpDesc &desc);

} // namespace vlmc::codegen::detail
