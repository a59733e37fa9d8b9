#include "vlmc/io/Safetensors.h"

namespace vlmc::io {

namespace {
struct DTypeInfo {
  DType dtype;
  const char *name;
  size_t size;
};
constexpr DTypeInfo kDTypes[] = {
    {DType::kBool, "BOOL", 1},      {DType::kU8, "U8", 1},
    {DType::kI8, "I8", 1},          {DType::kU16, "U16", 2},
    {DType::kI16, "I16", 2},        {DType::kU32, "U32", 4},
    {DType::kI32, "I32", 4},        {DType::kU64, "U64", 8},
    {DType::kI64, "I64", 8},        {DType::kF16, "F16", 2},
    {DType::kBF16, "BF16", 2},      {DType::kF32, "F32", 4},
    {DType::kF64, "F64", 8},        {DType::kF8E4M3, "F8_E4M3", 1},
    {DType::kF8E5M2, "F8_E5M2", 1}, {DType::kF8E8M0, "F8_E8M0", 1},
};
} // namespace

const char *dtypeName(DType dtype) {
  for (const auto &info : kDTypes)
    if (info.dtype == dtype)
      return info.name;
  return "?";
}

std::optional<DType> parseDType(std::string_view name) {
  for (const auto &info : kDTypes)
    if (name == info.name)
      return info.dtype;
  return std::nullopt;
}

size_t dtypeSize(DType dtype) {
  for (const auto &info : kDTypes)
    if (info.dtype == dtype)
      return info.size;
  return 0;
}

bool isFloat(DType dtype) {
  return dtype == DType::kF16 || dtype == DType::kBF16 ||
         dtype == DType::kF32 || dtype == DType::kF64;
}

std::optional<int64_t> checkedNumel(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || __builtin_mul_overflow(n, d, &n))
      return std::nullopt;
  }
  return n;
}

int64_t TensorView::numel() const { return checkedNumel(shape).value_or(0); }

} // namespace vlmc::io
