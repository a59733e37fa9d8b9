#include "TensorOps.h"

#include <cstring>

namespace vlmc::convert {

std::optional<io::DType> floatDTypeFromName(const std::string &name) {
  if (name == "float16")
    return io::DType::kF16;
  if (name == "bfloat16")
    return io::DType::kBF16;
  if (name == "float32")
    return io::DType::kF32;
  return std::nullopt;
}

std::optional<quant::DType> toQuantDType(io::DType d) {
  switch (d) {
  case io::DType::kF32: return quant::DType::kF32;
  case io::DType::kF16: return quant::DType::kF16;
  case io::DType::kBF16: return quant::DType::kBF16;
  case io::DType::kU32: return quant::DType::kU32;
  // MLX reads F8_E4M3 / F8_E8M0 scale headers as uint8.
  case io::DType::kU8:
  case io::DType::kF8E4M3:
  case io::DType::kF8E8M0: return quant::DType::kU8;
  default: return std::nullopt;
  }
}

io::DType toIoDType(quant::DType d) {
  switch (d) {
  case quant::DType::kF32: return io::DType::kF32;
  case quant::DType::kF16: return io::DType::kF16;
  case quant::DType::kBF16: return io::DType::kBF16;
  case quant::DType::kU8: return io::DType::kU8;
  case quant::DType::kU32: return io::DType::kU32;
  }
  return io::DType::kU8;
}

std::vector<int64_t> permuteShape(const std::vector<int64_t> &shape,
                                  const std::vector<int> &perm) {
  if (perm.empty())
    return shape;
  std::vector<int64_t> out;
  for (int p : perm)
    out.push_back(shape[size_t(p)]);
  return out;
}

namespace {

// Source elements to fp32 (F64 narrows with round-to-nearest).
Status toFloat(const io::TensorView &src, std::vector<float> &out) {
  const int64_t n = src.numel();
  out.resize(size_t(n));
  if (src.dtype == io::DType::kF64) {
    for (int64_t i = 0; i < n; ++i) {
      double d;
      std::memcpy(&d, src.data + 8 * i, 8);
      out[size_t(i)] = float(d);
    }
    return Status::ok();
  }
  auto qt = toQuantDType(src.dtype);
  if (!qt || !quant::isFloatDType(*qt))
    return invalidArgument("tensor '" + src.name + "': cannot cast " +
                           io::dtypeName(src.dtype) + " to float");
  // The mapped bytes may be unaligned (MLX headers are unpadded): copy first.
  std::vector<uint8_t> aligned(src.data, src.data + src.nbytes);
  return quant::convertToFloat(aligned.data(), *qt, n, out.data());
}

} // namespace

Result<std::vector<uint8_t>> castAndPermute(const io::TensorView &src,
                                            io::DType dstType,
                                            const std::vector<int> &perm) {
  const int64_t n = src.numel();
  std::vector<uint8_t> out(size_t(n) * io::dtypeSize(dstType));
  // Fast path: same dtype, no permutation - a byte copy keeps NaN payloads.
  if (src.dtype == dstType && perm.empty()) {
    std::memcpy(out.data(), src.data, src.nbytes);
    return out;
  }
  std::vector<float> f;
  VLMC_RETURN_IF_ERROR(toFloat(src, f));
  if (!perm.empty()) {
    // out[i_perm] = in[i]: walk output indices, gather from the input.
    const size_t rank = src.shape.size();
    std::vector<int64_t> inStride(rank, 1);
    for (size_t d = rank; d-- > 1;)
      inStride[d - 1] = inStride[d] * src.shape[d];
    std::vector<int64_t> outShape = permuteShape(src.shape, perm);
    std::vector<int64_t> idx(rank, 0);
    std::vector<float> g(f.size());
    for (int64_t o = 0; o < n; ++o) {
      int64_t in = 0;
      for (size_t d = 0; d < rank; ++d)
        in += idx[d] * inStride[size_t(perm[d])];
      g[size_t(o)] = f[size_t(in)];
      for (size_t d = rank; d-- > 0;) {
        if (++idx[d] < outShape[d])
          break;
        idx[d] = 0;
      }
    }
    f.swap(g);
  }
  if (dstType == io::DType::kF64) {
    for (int64_t i = 0; i < n; ++i) {
      double d = f[size_t(i)];
      std::memcpy(out.data() + 8 * i, &d, 8);
    }
    return out;
  }
  auto qt = toQuantDType(dstType);
  if (!qt || !quant::isFloatDType(*qt))
    return invalidArgument("tensor '" + src.name + "': cannot cast to " +
                           io::dtypeName(dstType));
  VLMC_RETURN_IF_ERROR(quant::convertFromFloat(f.data(), n, *qt, out.data()));
  return out;
}

} // namespace vlmc::convert
