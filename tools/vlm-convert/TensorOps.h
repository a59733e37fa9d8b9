// Small tensor helpers for vlm-convert: dtype mapping between vlmc::io and
// vlmc::quant, float casts and axis permutations on raw bytes.
#pragma once

#include "vlmc/io/Safetensors.h"
#include "vlmc/quant/Quant.h"
#include "vlmc/support/Status.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace vlmc::convert {

// io::DType of a float dtype name ("float16", "bfloat16", "float32").
std::optional<io::DType> floatDTypeFromName(const std::string &name);
// The quant library's view of a storage dtype (fp8 scales read as uint8).
std::optional<quant::DType> toQuantDType(io::DType dtype);
io::DType toIoDType(quant::DType dtype);

// `src` (a float tensor of `srcType`, any alignment) permuted by `perm`
// (empty = identity) and cast to `dstType`. Casts round to nearest even.
Result<std::vector<uint8_t>> castAndPermute(const io::TensorView &src,
                                            io::DType dstType,
                                            const std::vector<int> &perm);

// Shape after permutation.
std::vector<int64_t> permuteShape(const std::vector<int64_t> &shape,
                                  const std::vector<int> &perm);

} // namespace vlmc::convert
