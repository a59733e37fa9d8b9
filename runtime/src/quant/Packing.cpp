// Little-endian bitstream packing of 2..8-bit codes into uint32 words, and
// bulk float <-> F32/F16/BF16 conversion.
#include "Internal.h"

#include <cstring>
#include <string>

namespace vlmc::quant {
namespace {

bool supportedPackBits(int bits) {
  return bits == 2 || bits == 3 || bits == 4 || bits == 5 || bits == 6 ||
         bits == 8;
}

Status badBits(int bits) {
  return invalidArgument("unsupported code width " + std::to_string(bits) +
                         " bits (supported: 2, 3, 4, 5, 6, 8)");
}

} // namespace

int64_t packedWordCount(int64_t count, int bits) {
  if (count <= 0 || bits <= 0)
    return 0;
  return (count * bits + 31) / 32;
}

Status packCodes(const uint8_t *codes, int64_t count, int bits,
                 uint32_t *words) {
  if (!supportedPackBits(bits))
    return badBits(bits);
  if (count < 0)
    return invalidArgument("negative code count");
  if (count > 0 && (!codes || !words))
    return invalidArgument("packCodes: null buffer");
  const uint32_t mask = (1u << bits) - 1u;
  const int64_t nWords = packedWordCount(count, bits);
  // A 64-bit accumulator absorbs codes that straddle a word boundary: at most
  // 31 pending bits plus 8 new ones.
  uint64_t acc = 0;
  int pending = 0;
  int64_t w = 0;
  for (int64_t i = 0; i < count; ++i) {
    acc |= static_cast<uint64_t>(codes[i] & mask) << pending;
    pending += bits;
    if (pending >= 32) {
      words[w++] = static_cast<uint32_t>(acc);
      acc >>= 32;
      pending -= 32;
    }
  }
  if (w < nWords)
    words[w++] = static_cast<uint32_t>(acc);
  return Status::ok();
}

Status unpackCodes(const uint32_t *words, int64_t count, int bits,
                   uint8_t *codes) {
  if (!supportedPackBits(bits))
    return badBits(bits);
  if (count < 0)
    return invalidArgument("negative code count");
  if (count > 0 && (!codes || !words))
    return invalidArgument("unpackCodes: null buffer");
  const uint64_t mask = (1u << bits) - 1u;
  uint64_t acc = 0;
  int avail = 0;
  int64_t w = 0;
  for (int64_t i = 0; i < count; ++i) {
    if (avail < bits) {
      acc |= static_cast<uint64_t>(words[w++]) << avail;
      avail += 32;
    }
    codes[i] = static_cast<uint8_t>(acc & mask);
    acc >>= bits;
    avail -= bits;
  }
  return Status::ok();
}

Status convertToFloat(const void *src, DType srcType, int64_t count,
                      float *dst) {
  if (count < 0)
    return invalidArgument("negative element count");
  if (count > 0 && (!src || !dst))
    return invalidArgument("convertToFloat: null buffer");
  switch (srcType) {
  case DType::kF32:
    if (count > 0)
      std::memcpy(dst, src, static_cast<size_t>(count) * sizeof(float));
    return Status::ok();
  case DType::kF16: {
    const auto *s = static_cast<const uint16_t *>(src);
    for (int64_t i = 0; i < count; ++i)
      dst[i] = f16ToFloat(s[i]);
    return Status::ok();
  }
  case DType::kBF16: {
    const auto *s = static_cast<const uint16_t *>(src);
    for (int64_t i = 0; i < count; ++i)
      dst[i] = bf16ToFloat(s[i]);
    return Status::ok();
  }
  default:
    return invalidArgument(std::string("cannot read ") + dtypeName(srcType) +
                           " as floating point");
  }
}

Status convertFromFloat(const float *src, int64_t count, DType dstType,
                        void *dst) {
  if (count < 0)
    return invalidArgument("negative element count");
  if (count > 0 && (!src || !dst))
    return invalidArgument("convertFromFloat: null buffer");
  switch (dstType) {
  case DType::kF32:
    if (count > 0)
      std::memcpy(dst, src, static_cast<size_t>(count) * sizeof(float));
    return Status::ok();
  case DType::kF16: {
    auto *d = static_cast<uint16_t *>(dst);
    for (int64_t i = 0; i < count; ++i)
      d[i] = floatToF16(src[i]);
    return Status::ok();
  }
  case DType::kBF16: {
    auto *d = static_cast<uint16_t *>(dst);
    for (int64_t i = 0; i < count; ++i)
      d[i] = floatToBf16(src[i]);
    return Status::ok();
  }
  default:
    return invalidArgument(std::string("cannot write floating point as ") +
                           dtypeName(dstType));
  }
}

namespace detail {
Status loadRow(const void *base, DType type, int64_t offset, int64_t count,
               float *dst) {
  const auto *bytes = static_cast<const uint8_t *>(base) +
                      offset * static_cast<int64_t>(dtypeSize(type));
  return convertToFloat(bytes, type, count, dst);
}
} // namespace detail

} // namespace vlmc::quant
