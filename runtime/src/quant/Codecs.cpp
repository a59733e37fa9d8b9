// Scalar codecs: bf16/f16, E2M1, E4M3, E8M0. All encoders work on the bit
// pattern or on exact power-of-two scalings so results never depend on the
// FPU rounding mode or on library log2/pow accuracy.
#include "Internal.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace vlmc::quant {
namespace {

uint32_t floatBits(float v) {
  uint32_t u;
  std::memcpy(&u, &v, sizeof u);
  return u;
}

float bitsFloat(uint32_t u) {
  float v;
  std::memcpy(&v, &u, sizeof v);
  return v;
}

} // namespace

namespace detail {
float roundHalfEven(float v) {
  float f = std::floor(v);
  float d = v - f;
  if (d > 0.5f || (d == 0.5f && std::fmod(f, 2.0f) != 0.0f))
    f += 1.0f;
  return f;
}
} // namespace detail

//===----------------------------------------------------------------------===//
// bf16 / f16
//===----------------------------------------------------------------------===//

uint16_t floatToBf16(float v) {
  uint32_t x = floatBits(v);
  if ((x & 0x7FFFFFFFu) > 0x7F800000u)
    return static_cast<uint16_t>((x >> 16) | 0x0040u); // keep it a (quiet) NaN
  // Adding 0x7FFF plus the kept LSB rounds to nearest, ties to even; a carry
  // out of the mantissa correctly bumps the exponent (up to Inf).
  x += 0x7FFFu + ((x >> 16) & 1u);
  return static_cast<uint16_t>(x >> 16);
}

float bf16ToFloat(uint16_t bits) {
  return bitsFloat(static_cast<uint32_t>(bits) << 16);
}

uint16_t floatToF16(float v) {
  const uint32_t x = floatBits(v);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t ax = x & 0x7FFFFFFFu;
  if (ax > 0x7F800000u) // NaN: quiet, keep the top payload bits
    return static_cast<uint16_t>(sign | 0x7E00u | ((ax >> 13) & 0x3FFu));
  // 65520 is the midpoint between 65504 (odd mantissa) and 2^16: ties go up.
  if (ax >= 0x477FF000u)
    return static_cast<uint16_t>(sign | 0x7C00u);
  if (ax < 0x38800000u) { // below 2^-14: half subnormal (or zero)
    // |v| * 2^24 < 2^10 is exact, so one integer rounding gives the result;
    // 1024 lands on the smallest normal's encoding.
    float scaled = std::fabs(v) * 16777216.0f;
    return static_cast<uint16_t>(sign |
                                 static_cast<uint16_t>(detail::roundHalfEven(scaled)));
  }
  const uint32_t exp = (ax >> 23) - 127u + 15u;
  const uint32_t mant = ax & 0x7FFFFFu;
  uint32_t h = (exp << 10) | (mant >> 13);
  const uint32_t rem = mant & 0x1FFFu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u)))
    ++h; // may carry into the exponent, which is the correct rounding
  return static_cast<uint16_t>(sign | h);
}

float f16ToFloat(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  const uint32_t exp = (bits >> 10) & 0x1Fu;
  const uint32_t mant = bits & 0x3FFu;
  if (exp == 0) {
    float mag = static_cast<float>(mant) * (1.0f / 16777216.0f); // m * 2^-24
    return sign ? -mag : mag;
  }
  if (exp == 31)
    return bitsFloat(sign | 0x7F800000u | (mant << 13));
  return bitsFloat(sign | ((exp - 15u + 127u) << 23) | (mant << 13));
}

//===----------------------------------------------------------------------===//
// E2M1
//===----------------------------------------------------------------------===//

namespace {
constexpr float kE2M1Values[16] = {0.0f,  0.5f,  1.0f,  1.5f,  2.0f,  3.0f,
                                   4.0f,  6.0f,  -0.0f, -0.5f, -1.0f, -1.5f,
                                   -2.0f, -3.0f, -4.0f, -6.0f};
} // namespace

uint8_t encodeE2M1(float v) {
  if (std::isnan(v))
    return 0x7;
  const uint8_t sign = std::signbit(v) ? 0x8 : 0x0;
  const float a = std::fabs(v);
  // Count the midpoints below |v|. At a tie the even code wins, which decides
  // whether each comparison is strict. Branch-free: on real weights these
  // comparisons are unpredictable.
  const int code = (a > 0.25f) + (a >= 0.75f) + (a > 1.25f) + (a >= 1.75f) +
                   (a > 2.5f) + (a >= 3.5f) + (a > 5.0f);
  return static_cast<uint8_t>(sign | code);
}

float decodeE2M1(uint8_t code) { return kE2M1Values[code & 0xF]; }

//===----------------------------------------------------------------------===//
// E4M3 (fn)
//===----------------------------------------------------------------------===//

namespace {
constexpr float pow2(int e) {
  float r = 1.0f;
  for (; e > 0; --e)
    r *= 2.0f;
  for (; e < 0; ++e)
    r *= 0.5f;
  return r;
}

struct E4M3Table {
  float v[256];
  constexpr E4M3Table() : v() {
    for (int c = 0; c < 256; ++c) {
      const int exp = (c >> 3) & 0xF, mant = c & 0x7;
      float mag = exp == 0 ? static_cast<float>(mant) * pow2(-9)
                           : static_cast<float>(8 + mant) * pow2(exp - 10);
      if (exp == 15 && mant == 7)
        mag = std::numeric_limits<float>::quiet_NaN();
      v[c] = (c & 0x80) ? -mag : mag;
    }
  }
};
// Decoding sits in every mxfp8 element and nvfp4 scale: a table beats ldexp.
constexpr E4M3Table kE4M3;
} // namespace

uint8_t encodeE4M3(float v) {
  const uint32_t x = floatBits(v);
  const uint8_t sign = static_cast<uint8_t>((x >> 24) & 0x80u);
  const uint32_t ax = x & 0x7FFFFFFFu;
  if (ax > 0x7F800000u)
    return 0x7F;
  if (ax >= 0x43E00000u) // >= 448 (Inf too): satfinite
    return static_cast<uint8_t>(sign | 0x7E);
  if (ax < 0x3C800000u) { // below 2^-6: subnormal step 2^-9; 8 -> 0x08 = 2^-6
    float m = detail::roundHalfEven(bitsFloat(ax) * 512.0f);
    return static_cast<uint8_t>(sign | static_cast<uint8_t>(m));
  }
  // Normal: keep 3 mantissa bits with RNE on the fp32 pattern; a carry out of
  // the mantissa correctly bumps the exponent.
  const uint32_t r = ax + 0x7FFFFu + ((ax >> 20) & 1u);
  uint32_t code = ((((r >> 23) - 127u + 7u)) << 3) | ((r >> 20) & 0x7u);
  if (code > 0x7Eu) // [448, 464) cannot get here; kept as a guard
    code = 0x7E;
  return static_cast<uint8_t>(sign | code);
}

float decodeE4M3(uint8_t code) { return kE4M3.v[code]; }

//===----------------------------------------------------------------------===//
// E8M0
//===----------------------------------------------------------------------===//

uint8_t encodeE8M0Ceil(float v) {
  if (std::isnan(v))
    return 0xFF;
  if (!(v > 0.0f))
    return 0;
  const uint32_t x = floatBits(v);
  const int biasedExp = static_cast<int>(x >> 23); // sign is 0 here
  const uint32_t mant = x & 0x7FFFFFu;
  if (biasedExp == 0xFF) // +Inf, satfinite
    return 0xFE;
  if (biasedExp == 0) {
    // fp32 subnormal v = mant * 2^-149 < 2^-126: ceil(log2 v) is -126 above
    // 2^-127 and -127 (byte 0, E8M0's smallest value) at or below it.
    return mant > 0x400000u ? 1 : 0;
  }
  int byte = biasedExp + (mant != 0 ? 1 : 0); // ceil(log2 v) + 127
  return static_cast<uint8_t>(byte > 0xFE ? 0xFE : byte);
}

uint8_t encodeE8M0Nearest(float v) {
  if (!std::isfinite(v))
    return 0xFF;
  if (!(v > 0.0f))
    return 0;
  float e = std::round(std::log2(v));
  if (e < -127.0f)
    e = -127.0f;
  if (e > 127.0f)
    e = 127.0f;
  return static_cast<uint8_t>(static_cast<int>(e) + 127);
}

float decodeE8M0(uint8_t byte) {
  if (byte == 0xFF)
    return std::nanf("");
  if (byte == 0)
    return bitsFloat(0x00400000u); // 2^-127, an fp32 subnormal
  return bitsFloat(static_cast<uint32_t>(byte) << 23);
}

} // namespace vlmc::quant
