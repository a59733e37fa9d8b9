// Host tensors passed to and returned from a program run: a dtype, a shape
// and a pointer the caller (inputs) or the executor (outputs) owns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace vlmc::exec {

// The element types a program's values may have (the artifact's DType).
enum class ElementType : uint8_t { kF32 = 0, kF16, kBF16, kI32, kI64, kU8, kU32 };

size_t elementSize(ElementType type);
const char *elementTypeName(ElementType type);

struct TensorRef {
  ElementType dtype = ElementType::kF32;
  std::vector<int64_t> shape;
  void *data = nullptr;

  int64_t numel() const;
  size_t bytes() const { return size_t(numel()) * elementSize(dtype); }
  template <typename T> T *as() const { return static_cast<T *>(data); }
};

std::string shapeString(const std::vector<int64_t> &shape);

} // namespace vlmc::exec
