// Row dequantization and activation fake-quantization.
//
// The packed stream is read bytewise: element j of a row occupies bits
// [j*b, (j+1)*b) of a little-endian bitstream (quant::packCodes), so on a
// little-endian host 16 consecutive b-bit codes starting at a multiple of 16
// are exactly 2b whole bytes, and every group (16, 32, 64 or 128 elements)
// starts on a byte. Codes are decoded 16 at a time with vector extensions
// (byte shuffles, int->float conversion), and every weight is then formed
// by the same fp32 operation quant::dequantize uses -- q*scale + bias
// (affine) or scale * value(q) (fp modes) -- so the results are bit-identical.
#include "Dequant.h"

#include "Simd.h"

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

typedef uint8_t U8x16 __attribute__((vector_size(16)));
typedef uint16_t U16x8 __attribute__((vector_size(16)));
typedef int32_t I32x4 __attribute__((vector_size(16)));
typedef uint64_t U64x2 __attribute__((vector_size(16)));

//===----------------------------------------------------------------------===//
// 16 codes of a row as bytes, from the byte where they start
//===----------------------------------------------------------------------===//

inline U8x16 loadLow8(const uint8_t *p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return reinterpret_cast<U8x16>(U64x2{w, 0});
}

template <int Bits> inline U8x16 codes16(const uint8_t *p) {
  if constexpr (Bits == 8) {
    U8x16 v;
    std::memcpy(&v, p, 16);
    return v;
  } else if constexpr (Bits == 4) {
    // Byte i holds codes 2i (low nibble) and 2i+1.
    const U8x16 v = loadLow8(p);
    const U8x16 lo = v & 15, hi = v >> 4;
    return __builtin_shuffle(
        lo, hi, U8x16{0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23});
  } else if constexpr (Bits == 2) {
    // Byte i holds codes 4i..4i+3, low bits first.
    uint32_t w;
    std::memcpy(&w, p, 4);
    const U8x16 v =
        reinterpret_cast<U8x16>(I32x4{static_cast<int32_t>(w), 0, 0, 0});
    const U8x16 c0 = v & 3, c1 = (v >> 2) & 3, c2 = (v >> 4) & 3,
                c3 = (v >> 6) & 3;
    // (c0[i], c1[i]) and (c2[i], c3[i]) byte pairs, then the pairs interleaved.
    const U8x16 a = __builtin_shuffle(
        c0, c1, U8x16{0, 16, 1, 17, 2, 18, 3, 19, 0, 0, 0, 0, 0, 0, 0, 0});
    const U8x16 b = __builtin_shuffle(
        c2, c3, U8x16{0, 16, 1, 17, 2, 18, 3, 19, 0, 0, 0, 0, 0, 0, 0, 0});
    return __builtin_shuffle(
        a, b, U8x16{0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23});
  } else {
    // 3/5/6 bits: two runs of 8 codes, each exactly Bits bytes.
    constexpr uint64_t mask = (1u << Bits) - 1u;
    U8x16 out;
    for (int half = 0; half < 2; ++half) {
      uint64_t v = 0;
      std::memcpy(&v, p + half * Bits, Bits);
      for (int j = 0; j < 8; ++j)
        out[half * 8 + j] = static_cast<uint8_t>((v >> (j * Bits)) & mask);
    }
    return out;
  }
}

// Zero-extends 16 byte codes into four vectors of 4 int32.
inline void widen(U8x16 c, I32x4 out[4]) {
  const U8x16 z = {};
  out[0] = reinterpret_cast<I32x4>(__builtin_shuffle(
      c, z, U8x16{0, 16, 16, 16, 1, 16, 16, 16, 2, 16, 16, 16, 3, 16, 16, 16}));
  out[1] = reinterpret_cast<I32x4>(__builtin_shuffle(
      c, z, U8x16{4, 16, 16, 16, 5, 16, 16, 16, 6, 16, 16, 16, 7, 16, 16, 16}));
  out[2] = reinterpret_cast<I32x4>(__builtin_shuffle(
      c, z,
      U8x16{8, 16, 16, 16, 9, 16, 16, 16, 10, 16, 16, 16, 11, 16, 16, 16}));
  out[3] = reinterpret_cast<I32x4>(__builtin_shuffle(
      c, z,
      U8x16{12, 16, 16, 16, 13, 16, 16, 16, 14, 16, 16, 16, 15, 16, 16, 16}));
}

//===----------------------------------------------------------------------===//
// Element values
//===----------------------------------------------------------------------===//

// E2M1 values have zero low 16 bits: a 16-entry table of their bytes 2 and 3
// (0, .5, 1, 1.5, 2, 3, 4, 6, then the negatives; code 8 is -0).
constexpr U8x16 kE2M1Byte2 = {0x00, 0x00, 0x80, 0xC0, 0x00, 0x40, 0x80, 0xC0,
                              0x00, 0x00, 0x80, 0xC0, 0x00, 0x40, 0x80, 0xC0};
constexpr U8x16 kE2M1Byte3 = {0x00, 0x3F, 0x3F, 0x3F, 0x40, 0x40, 0x40, 0x40,
                              0x80, 0xBF, 0xBF, 0xBF, 0xC0, 0xC0, 0xC0, 0xC0};

inline void e2m1Values(U8x16 codes, V4 out[4]) {
  const U8x16 b2 = __builtin_shuffle(kE2M1Byte2, codes); // table lookups
  const U8x16 b3 = __builtin_shuffle(kE2M1Byte3, codes);
  const U16x8 lo = reinterpret_cast<U16x8>(__builtin_shuffle(
      b2, b3, U8x16{0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23}));
  const U16x8 hi = reinterpret_cast<U16x8>(__builtin_shuffle(
      b2, b3,
      U8x16{8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31}));
  const U16x8 z = {};
  // Each 16-bit value becomes the high half of a float.
  out[0] = reinterpret_cast<V4>(
      __builtin_shuffle(z, lo, U16x8{0, 8, 0, 9, 0, 10, 0, 11}));
  out[1] = reinterpret_cast<V4>(
      __builtin_shuffle(z, lo, U16x8{0, 12, 0, 13, 0, 14, 0, 15}));
  out[2] = reinterpret_cast<V4>(
      __builtin_shuffle(z, hi, U16x8{0, 8, 0, 9, 0, 10, 0, 11}));
  out[3] = reinterpret_cast<V4>(
      __builtin_shuffle(z, hi, U16x8{0, 12, 0, 13, 0, 14, 0, 15}));
}

// E4M3 "fn" from its bits. Every E4M3 value is an fp32 whose low 16 bits are
// zero, so the high halves are built in 16-bit lanes, 8 codes per vector:
// normal codes (exponent e >= 1) are sign | (e + 120) << 7 | m << 4;
// subnormals m * 2^-9 come from an 8-entry table; 0x7F/0xFF are NaN.
inline U16x8 e4m3High(U16x8 c) {
  const U16x8 mag = c & 0x7F;
  const U16x8 normal = (mag << 4) + 0x3C00;
  const U16x8 subTable = {0x0000, 0x3B00, 0x3B80, 0x3BC0,
                          0x3C00, 0x3C20, 0x3C40, 0x3C60};
  const U16x8 sub = __builtin_shuffle(subTable, mag & 7);
  const U16x8 isSub = reinterpret_cast<U16x8>(mag < 8);
  U16x8 bits = (isSub & sub) | (~isSub & normal);
  bits |= reinterpret_cast<U16x8>(mag == 0x7F) & 0x7FC0;
  return bits | ((c & 0x80) << 8);
}

inline void e4m3Values(U8x16 codes, V4 out[4]) {
  const U8x16 z8 = {};
  const U16x8 lo = e4m3High(reinterpret_cast<U16x8>(__builtin_shuffle(
      codes, z8,
      U8x16{0, 16, 1, 16, 2, 16, 3, 16, 4, 16, 5, 16, 6, 16, 7, 16})));
  const U16x8 hi = e4m3High(reinterpret_cast<U16x8>(__builtin_shuffle(
      codes, z8,
      U8x16{8, 16, 9, 16, 10, 16, 11, 16, 12, 16, 13, 16, 14, 16, 15, 16})));
  const U16x8 z = {};
  out[0] = reinterpret_cast<V4>(
      __builtin_shuffle(z, lo, U16x8{0, 8, 0, 9, 0, 10, 0, 11}));
  out[1] = reinterpret_cast<V4>(
      __builtin_shuffle(z, lo, U16x8{0, 12, 0, 13, 0, 14, 0, 15}));
  out[2] = reinterpret_cast<V4>(
      __builtin_shuffle(z, hi, U16x8{0, 8, 0, 9, 0, 10, 0, 11}));
  out[3] = reinterpret_cast<V4>(
      __builtin_shuffle(z, hi, U16x8{0, 12, 0, 13, 0, 14, 0, 15}));
}

//===----------------------------------------------------------------------===//
// Scales
//===----------------------------------------------------------------------===//

// Decode tables, filled once from quant's reference decoders.
const std::array<float, 256> &e4m3Table() {
  static const std::array<float, 256> table = [] {
    std::array<float, 256> t{};
    for (int i = 0; i < 256; ++i)
      t[static_cast<size_t>(i)] = quant::decodeE4M3(static_cast<uint8_t>(i));
    return t;
  }();
  return table;
}
const std::array<float, 256> &e8m0Table() {
  static const std::array<float, 256> table = [] {
    std::array<float, 256> t{};
    for (int i = 0; i < 256; ++i)
      t[static_cast<size_t>(i)] = quant::decodeE8M0(static_cast<uint8_t>(i));
    return t;
  }();
  return table;
}

inline float loadScale(const void *base, DType type, int64_t i) {
  switch (type) {
  case DType::kBF16: {
    const uint32_t bits =
        static_cast<uint32_t>(static_cast<const uint16_t *>(base)[i]) << 16;
    float v;
    std::memcpy(&v, &bits, 4); // bf16 -> f32 is exact: the top 16 bits
    return v;
  }
  case DType::kF16:
    return quant::f16ToFloat(static_cast<const uint16_t *>(base)[i]);
  default:
    return static_cast<const float *>(base)[i];
  }
}

// The fp modes' per-group multiplier, as quant's fpDecodeScale computes it.
inline float fpScale(const RowDequantizer &d, uint8_t byte) {
  if (d.w_.spec.mode != Mode::kNvfp4)
    return e8m0Table()[byte];
  float s = e4m3Table()[byte];
  if (d.w_.globalScale)
    s *= d.globalFactor_;
  return s;
}

//===----------------------------------------------------------------------===//
// Row decoders
//===----------------------------------------------------------------------===//

template <int Bits>
void affineRow(const RowDequantizer &d, int64_t r, float *out) {
  const uint8_t *base =
      reinterpret_cast<const uint8_t *>(d.w_.packed) + r * d.rowBytes_;
  const int g = d.w_.spec.groupSize;
  for (int64_t gi = 0; gi < d.groups_; ++gi) {
    const int64_t si = r * d.groups_ + gi;
    const V4 s = splat4(loadScale(d.w_.scales, d.w_.scaleType, si));
    const V4 b = splat4(loadScale(d.w_.biases, d.w_.scaleType, si));
    const uint8_t *p = base + gi * g * Bits / 8;
    float *o = out + gi * g;
    for (int i = 0; i < g; i += 16) {
      I32x4 q[4];
      widen(codes16<Bits>(p + i * Bits / 8), q);
      for (int j = 0; j < 4; ++j)
        store4(o + i + 4 * j, __builtin_convertvector(q[j], V4) * s + b);
    }
  }
}

void fp4Row(const RowDequantizer &d, int64_t r, float *out) {
  const uint8_t *base =
      reinterpret_cast<const uint8_t *>(d.w_.packed) + r * d.rowBytes_;
  const uint8_t *scales =
      static_cast<const uint8_t *>(d.w_.scales) + r * d.groups_;
  const int g = d.w_.spec.groupSize;
  for (int64_t gi = 0; gi < d.groups_; ++gi) {
    const V4 s = splat4(fpScale(d, scales[gi]));
    const uint8_t *p = base + gi * g / 2;
    float *o = out + gi * g;
    for (int i = 0; i < g; i += 16) {
      V4 v[4];
      e2m1Values(codes16<4>(p + i / 2), v);
      for (int j = 0; j < 4; ++j)
        store4(o + i + 4 * j, s * v[j]);
    }
  }
}

void fp8Row(const RowDequantizer &d, int64_t r, float *out) {
  const uint8_t *base =
      reinterpret_cast<const uint8_t *>(d.w_.packed) + r * d.rowBytes_;
  const uint8_t *scales =
      static_cast<const uint8_t *>(d.w_.scales) + r * d.groups_;
  const int g = d.w_.spec.groupSize;
  for (int64_t gi = 0; gi < d.groups_; ++gi) {
    const V4 s = splat4(fpScale(d, scales[gi]));
    const uint8_t *p = base + gi * g;
    float *o = out + gi * g;
    for (int i = 0; i < g; i += 16) {
      V4 v[4];
      e4m3Values(codes16<8>(p + i), v);
      for (int j = 0; j < 4; ++j)
        store4(o + i + 4 * j, s * v[j]);
    }
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
      return viewError(tag,
                       std::string("Scale type must be a floating type for "
                                   "affine quantization but received type ") +
                           quant::dtypeName(w.scaleType) + ".");
    if (!w.biases && w.rows > 0 && w.cols > 0)
      return viewError(tag, "Biases must be provided for affine quantization.");
  } else {
    if (w.scaleType != DType::kU8)
      return viewError(
          tag, std::string("Scale type must be uint8 but received type ") +
                   quant::dtypeName(w.scaleType) + ".");
    if (w.biases)
      return viewError(
          tag, std::string("Biases must be null for quantization mode '") +
                   mode + "'.");
  }
  if (w.globalScale && !w.spec.globalScale)
    return viewError(
        tag, "A global scale value was given but spec.globalScale is false.");
  if (w.spec.globalScale && !w.globalScale)
    return viewError(
        tag, "spec.globalScale is set but no global scale value was given.");
  if (w.globalScale) {
    const float g = *w.globalScale;
    if (!std::isfinite(g) || !(g > 0.0f) || !std::isfinite((448.0f * 6.0f) / g))
      return viewError(
          tag, "Global scale must be a positive finite float32 but got " +
                   std::to_string(g) + ".");
  }
  if (w.rows > 0 && w.cols > 0 && (!w.packed || !w.scales))
    return viewError(tag, "null packed weights or scales");
  return Status::ok();
}

RowDequantizer::RowDequantizer(const quant::QuantizedWeightView &w) : w_(w) {
  rowBytes_ = quant::packedWordsPerRow(w.spec, w.cols) * 4;
  groups_ = quant::groupsPerRow(w.spec, w.cols);
  // Same fp32 expression as quant's decode: s *= g / (448 * 6).
  if (w.globalScale)
    globalFactor_ = *w.globalScale / (448.0f * 6.0f);
  // Initialize the tables outside the hot loops.
  (void)e4m3Table();
  (void)e8m0Table();
  switch (w.spec.mode) {
  case Mode::kAffine:
    switch (w.spec.bits) {
    case 2:
      rowFn_ = &affineRow<2>;
      break;
    case 3:
      rowFn_ = &affineRow<3>;
      break;
    case 4:
      rowFn_ = &affineRow<4>;
      break;
    case 5:
      rowFn_ = &affineRow<5>;
      break;
    case 6:
      rowFn_ = &affineRow<6>;
      break;
    default:
      rowFn_ = &affineRow<8>;
      break;
    }
    break;
  case Mode::kMxfp8:
    rowFn_ = &fp8Row;
    break;
  default:
    rowFn_ = &fp4Row;
    break; // mxfp4, nvfp4
  }
}

void fakeQuantizeRow(const float *x, int64_t K, const quant::QuantSpec &spec,
                     float enc, float decodeFactor, float *out) {
  // quant's fpQuantizeGroup followed by its decode, step by step in the same
  // fp32 operations (see runtime/src/quant/FpModes.cpp).
  const bool nv = spec.mode == Mode::kNvfp4;
  const float emax = quant::elementMax(spec.mode);
  const float *e4m3 = e4m3Table().data();
  const int g = spec.groupSize;
  for (int64_t g0 = 0; g0 < K; g0 += g) {
    const float *xg = x + g0;
    float amax = 0.0f;
    for (int i = 0; i < g; ++i)
      amax = std::fmax(amax, std::fabs(xg[i])); // NaN skipped
    float t = amax / emax;
    t *= enc;
    const uint8_t byte = nv ? quant::encodeE4M3(t) : quant::encodeE8M0Ceil(t);
    const float scale = nv ? e4m3[byte] : e8m0Table()[byte];
    const float mult = scale == 0.0f ? 0.0f : enc / scale;
    // Decoding multiplies by g/2688 only with a global scale; decodeFactor is
    // exactly 1 otherwise, and s * 1 == s bit for bit.
    const float ds = scale * decodeFactor;
    if (nv) {
      for (int i = 0; i < g; ++i)
        out[g0 + i] = ds * quant::decodeE2M1(quant::encodeE2M1(xg[i] * mult));
    } else {
      for (int i = 0; i < g; ++i)
        out[g0 + i] = ds * e4m3[quant::encodeE4M3(xg[i] * mult)];
    }
  }
}

} // namespace vlmc::cpu::detail
