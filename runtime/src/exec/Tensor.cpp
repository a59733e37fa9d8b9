#include "vlmc/exec/Tensor.h"

namespace vlmc::exec {

size_t elementSize(ElementType type) {
  switch (type) {
  case ElementType::kF32:
  case ElementType::kI32:
  case ElementType::kU32: return 4;
  case ElementType::kF16:
  case ElementType::kBF16: return 2;
  case ElementType::kI64: return 8;
  case ElementType::kU8: return 1;
  }
  return 0;
}

const char *elementTypeName(ElementType type) {
  switch (type) {
  case ElementType::kF32: return "f32";
  case ElementType::kF16: return "f16";
  case ElementType::kBF16: return "bf16";
  case ElementType::kI32: return "i32";
  case ElementType::kI64: return "i64";
  case ElementType::kU8: return "u8";
  case ElementType::kU32: return "u32";
  }
  return "?";
}

int64_t TensorRef::numel() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + (shape[i] < 0 ? std::string("?") : std::to_string(shape[i]));
  return s + "]";
}

} // namespace vlmc::exec
