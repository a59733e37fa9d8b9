// DType sizes and shape helpers shared by the reader, the builder and tools.
#include "vlmc/artifact/Artifact.h"

namespace vlmc::artifact {

size_t dtypeSize(fb::DType dtype) {
  switch (dtype) {
  case fb::DType::U8:
    return 1;
  case fb::DType::F16:
  case fb::DType::BF16:
    return 2;
  case fb::DType::F32:
  case fb::DType::I32:
  case fb::DType::U32:
    return 4;
  case fb::DType::I64:
    return 8;
  }
  return 0; // a value from a corrupt or newer file
}

bool isKnownDType(fb::DType dtype) { return dtypeSize(dtype) != 0; }

std::optional<uint64_t> tensorByteSize(fb::DType dtype, const int64_t *dims,
                                       size_t rank) {
  uint64_t bytes = dtypeSize(dtype);
  if (bytes == 0)
    return std::nullopt;
  for (size_t i = 0; i < rank; ++i)
    if (dims[i] < 0 || __builtin_mul_overflow(bytes, uint64_t(dims[i]), &bytes))
      return std::nullopt;
  return bytes;
}

std::optional<uint64_t> tensorByteSize(fb::DType dtype,
                                       const std::vector<int64_t> &shape) {
  return tensorByteSize(dtype, shape.data(), shape.size());
}

std::string shapeString(const int64_t *dims, size_t rank) {
  // Real shapes have a handful of dims; a corrupt one may have millions.
  constexpr size_t kMaxShown = 16;
  std::string out = "[";
  for (size_t i = 0; i < rank && i < kMaxShown; ++i)
    out += (i ? ", " : "") + std::to_string(dims[i]);
  if (rank > kMaxShown)
    out += ", ... (" + std::to_string(rank) + " dims)";
  return out + "]";
}

std::string shapeString(const flatbuffers::Vector<int64_t> *shape) {
  return shape ? shapeString(shape->data(), shape->size()) : "[]";
}

} // namespace vlmc::artifact
