// Row dequantization and activation fake-quantization. The packed stream is
// read bytewise: element j of a row occupies bits [j*b, (j+1)*b) of a
// little-endian bitstream (quant::packCodes), so on a little-endian host 8
// consecutive b-bit codes starting at a multiple of 8 are exactly b whole
// bytes, and every group (16, 32, 64 or 128 elements) starts on a byte.
#include "Dequant.h"

#include <array>
#include <cmath>
#include <cstring>
#include <string>

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the packed-weight readers assume a little-endian host");

namespace vlmc::cpu::detail {
namespace {

using quant::DType;
using quant::Mode;

// E4M3 decode table: quant::decodeE4M3 is an out-of-line call per element.
const std::array<float, 256> &e4m3Table() {
  static const std::array<float, 256> table = [] {
    std::array<float, 256> t{};
    for (int i = 0; i < 256; ++i)
      t[static_cast<size_t>(i)] = quant::decodeE4M3(static_cast<uint8_t>(i));
    return t;
  }();
  return table;
}

float loadScale(const void *base, DType type, int64_t i) {
  switch (type) {
  case DType::kF16: return quant::f16ToFloat(static_cast<const uint16_t *>(base)[i]);
  case DType::kBF16: return quant::bf16ToFloat(static_cast<const uint16_t *>(base)[i]);
  default: return static_cast<const float *>(base)[i];
  }
}

Status viewError(const char *tag, const std::string &message) {
  return invalidArgument(std::string("[") + tag + "] " + message);
}

} // namespace

Status validateView(const quant::QuantizedWeightView &w, const char *tag) {
  if (w.rows < 0 || w.cols < 0)
    return viewError(tag, "negative quantized matrix shape (" +
                              std::to_string(w.rows) + ", " +
                              std::to_string(w.cols) + ")");
  VLMC_RETURN_IF_ERROR(quant::validateSpec(w.spec, tag));
  VLMC_RETURN_IF_ERROR(quant::validateShape(w.spec, w.cols, tag, w.rows));
  const char *mode = quant::modeName(w.spec.mode);
  if (w.spec.mode == Mode::kAffine) {
    if (!quant::isFloatDType(w.scaleType))
      return viewError(tag, std::string("Scale type must be a floating type for "
                                        "affine quantization but received type ") +
                                quant::dtypeName(w.scaleType) + ".");
    if (!w.biases && w.rows > 0 && w.cols > 0)
      return viewError(tag, "Biases must be provided for affine quantization.");
  } else {
    if (w.scaleType != DType::kU8)
      return viewError(tag, std::string("Scale type must be uint8 but received type ") +
                                quant::dtypeName(w.scaleType) + ".");
    if (w.biases)
      return viewError(tag, std::string("Biases must be null for quantization mode '") +
                                mode + "'.");
  }
  if (w.globalScale && !w.spec.globalScale)
    return viewError(tag, "A global scale value was given but spec.globalScale is false.");
  if (w.spec.globalScale && !w.globalScale)
    return viewError(tag, "spec.globalScale is set but no global scale value was given.");
  if (w.globalScale) {
    const float g = *w.globalScale;
    if (!std::isfinite(g) || !(g > 0.0f) || !std::isfinite((448.0f * 6.0f) / g))
      return viewError(tag, "Global scale must be a positive finite float32 but got " +
                                std::to_string(g) + ".");
  }
  if (w.rows > 0 && w.cols > 0 && (!w.packed || !w.scales))
    return viewError(tag, "null packed weights or scales");
  return Status::ok();
}

RowDequantizer::RowDequantizer(const quant::QuantizedWeightView &w) : w_(w) {
  const int g = w.spec.groupSize;
  rowBytes_ = quant::packedWordsPerRow(w.spec, w.cols) * 4;
  groupBytes_ = static_cast<int64_t>(g) * w.spec.bits / 8;
  groups_ = quant::groupsPerRow(w.spec, w.cols);
  // Same fp32 expression as quant's decode: s *= g / (448 * 6).
  if (w.globalScale)
    globalFactor_ = *w.globalScale / (448.0f * 6.0f);
  if (w.spec.mode == Mode::kAffine) {
    switch (w.spec.bits) {
    case 2: group_ = &affineGroup<2>; break;
    case 3: group_ = &affineGroup<3>; break;
    case 4: group_ = &affineGroup<4>; break;
    case 5: group_ = &affineGroup<5>; break;
    case 6: group_ = &affineGroup<6>; break;
    default: group_ = &affineGroup<8>; break;
    }
  } else {
    group_ = w.spec.mode == Mode::kMxfp8 ? &fp8Group : &fp4Group;
    (void)e4m3Table(); // initialize outside the hot loop
  }
}

float RowDequantizer::affineScale(int64_t i) const {
  return loadScale(w_.scales, w_.scaleType, i);
}
float RowDequantizer::affineBias(int64_t i) const {
  return loadScale(w_.biases, w_.scaleType, i);
}
float RowDequantizer::fpScale(int64_t i) const {
  const uint8_t byte = static_cast<const uint8_t *>(w_.scales)[i];
  if (w_.spec.mode != Mode::kNvfp4)
    return quant::decodeE8M0(byte);
  float s = e4m3Table()[byte];
  if (w_.globalScale)
    s *= globalFactor_;
  return s;
}

template <int Bits>
void RowDequantizer::affineGroup(const RowDequantizer &self, const uint8_t *codes,
                                 int64_t si, float *out) {
  const float s = self.affineScale(si), b = self.affineBias(si);
  const int g = self.w_.spec.groupSize;
  if constexpr (Bits == 8) {
    for (int i = 0; i < g; ++i)
      out[i] = static_cast<float>(codes[i]) * s + b;
  } else if constexpr (Bits == 4 || Bits == 2) {
    // A table of the 2^Bits values (the same q*s + b per entry) turns each
    // element into a lookup; a byte holds 8/Bits codes, low bits first.
    float t[1 << Bits];
    for (int q = 0; q < (1 << Bits); ++q)
      t[q] = static_cast<float>(q) * s + b;
    constexpr int perByte = 8 / Bits;
    constexpr unsigned mask = (1u << Bits) - 1u;
    for (int i = 0; i < g / perByte; ++i) {
      const unsigned byte = codes[i];
      for (int j = 0; j < perByte; ++j)
        out[i * perByte + j] = t[(byte >> (j * Bits)) & mask];
    }
  } else {
    // 3/5/6 bits: 8 codes are Bits whole bytes.
    constexpr uint64_t mask = (1u << Bits) - 1u;
    for (int i = 0; i < g; i += 8) {
      uint64_t v = 0;
      std::memcpy(&v, codes + i / 8 * Bits, Bits);
      for (int j = 0; j < 8; ++j)
        out[i + j] = static_cast<float>((v >> (j * Bits)) & mask) * s + b;
    }
  }
}

void RowDequantizer::fp4Group(const RowDequantizer &self, const uint8_t *codes,
                              int64_t si, float *out) {
  const float s = self.fpScale(si);
  float t[16];
  for (int q = 0; q < 16; ++q)
    t[q] = s * quant::decodeE2M1(static_cast<uint8_t>(q));
  const int g = self.w_.spec.groupSize;
  for (int i = 0; i < g / 2; ++i) {
    out[2 * i] = t[codes[i] & 15u];
    out[2 * i + 1] = t[codes[i] >> 4];
  }
}

void RowDequantizer::fp8Group(const RowDequantizer &self, const uint8_t *codes,
                              int64_t si, float *out) {
  const float s = self.fpScale(si);
  const float *lut = e4m3Table().data();
  const int g = self.w_.spec.groupSize;
  for (int i = 0; i < g; ++i)
    out[i] = s * lut[codes[i]];
}

void RowDequantizer::row(int64_t r, float *out) const {
  const uint8_t *base = reinterpret_cast<const uint8_t *>(w_.packed) + r * rowBytes_;
  const int g = w_.spec.groupSize;
  for (int64_t gi = 0; gi < groups_; ++gi)
    group_(*this, base + gi * groupBytes_, r * groups_ + gi, out + gi * g);
}

void fakeQuantizeRow(const float *x, int64_t K, const quant::QuantSpec &spec,
                     float enc, float decodeFactor, float *out) {
  // quant's fpQuantizeGroup followed by its decode, step by step in the same
  // fp32 operations (see runtime/src/quant/FpModes.cpp).
  const bool nv = spec.mode == Mode::kNvfp4;
  const float emax = quant::elementMax(spec.mode);
  const float *lut = e4m3Table().data();
  const int g = spec.groupSize;
  for (int64_t g0 = 0; g0 < K; g0 += g) {
    const float *xg = x + g0;
    float amax = 0.0f;
    for (int i = 0; i < g; ++i)
      amax = std::fmax(amax, std::fabs(xg[i])); // NaN skipped
    float t = amax / emax;
    t *= enc;
    const uint8_t byte = nv ? quant::encodeE4M3(t) : quant::encodeE8M0Ceil(t);
    const float scale = nv ? lut[byte] : quant::decodeE8M0(byte);
    const float mult = scale == 0.0f ? 0.0f : enc / scale;
    // Decoding multiplies by g/2688 only with a global scale; decodeFactor is
    // exactly 1 otherwise, and s * 1 == s bit for bit.
    const float ds = scale * decodeFactor;
    if (nv) {
      for (int i = 0; i < g; ++i)
        out[g0 + i] = ds * quant::decodeE2M1(quant::encodeE2M1(xg[i] * mult));
    } else {
      for (int i = 0; i < g; ++i)
        out[g0 + i] = ds * lut[quant::encodeE4M3(xg[i] * mult)];
    }
  }
}

} // namespace vlmc::cpu::detail
