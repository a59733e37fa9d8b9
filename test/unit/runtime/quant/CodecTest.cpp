// Scalar codecs. Expected codes are worked out by hand from the format
// definitions in mlx-quant.md §1.4 (comments show the arithmetic).
#include "TestUtil.h"

#include <cmath>
#include <limits>

namespace vlmc::quant {
namespace {

using test::bitsOf;
using test::floatOf;

constexpr float kInf = std::numeric_limits<float>::infinity();
const float kNaN = std::nanf("");

//===----------------------------------------------------------------------===//
// E2M1
//===----------------------------------------------------------------------===//

TEST(CodecTest, E2M1DecodeTable) {
  const float mags[8] = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6};
  for (int c = 0; c < 8; ++c) {
    EXPECT_EQ(decodeE2M1(static_cast<uint8_t>(c)), mags[c]);
    EXPECT_EQ(decodeE2M1(static_cast<uint8_t>(c | 8)), -mags[c]);
  }
  EXPECT_TRUE(std::signbit(decodeE2M1(8))); // -0
  EXPECT_EQ(decodeE2M1(0xF7), 6.0f);        // high nibble ignored
}

TEST(CodecTest, E2M1ExactValuesRoundTrip) {
  for (int c = 0; c < 16; ++c)
    EXPECT_EQ(encodeE2M1(decodeE2M1(static_cast<uint8_t>(c))), c);
}

TEST(CodecTest, E2M1NearestNonTies) {
  EXPECT_EQ(encodeE2M1(0.26f), 1);  // just above the 0/0.5 midpoint
  EXPECT_EQ(encodeE2M1(0.74f), 1);
  EXPECT_EQ(encodeE2M1(1.3f), 3);
  EXPECT_EQ(encodeE2M1(2.6f), 5);
  EXPECT_EQ(encodeE2M1(4.9f), 6);
  EXPECT_EQ(encodeE2M1(5.01f), 7);
  EXPECT_EQ(encodeE2M1(-2.4f), 0xC);
}

TEST(CodecTest, E2M1SaturatesAndMapsNaNToPlusSix) {
  EXPECT_EQ(encodeE2M1(6.0f), 7);
  EXPECT_EQ(encodeE2M1(1e30f), 7);
  EXPECT_EQ(encodeE2M1(kInf), 7);
  EXPECT_EQ(encodeE2M1(-kInf), 0xF);
  EXPECT_EQ(encodeE2M1(kNaN), 7);
  EXPECT_EQ(encodeE2M1(-0.0f), 8);
  EXPECT_EQ(encodeE2M1(-1e-30f), 8);
}

//===----------------------------------------------------------------------===//
// E4M3
//===----------------------------------------------------------------------===//

TEST(CodecTest, E4M3HandCheckedCodes) {
  EXPECT_EQ(encodeE4M3(-96.0f), 0xEC);  // -1.5 * 2^6: exp 13, mant 4
  EXPECT_EQ(encodeE4M3(320.0f), 0x7A);  // 1.25 * 2^8: exp 15, mant 2
  EXPECT_EQ(encodeE4M3(-256.0f), 0xF8); // -1.0 * 2^8
  EXPECT_EQ(encodeE4M3(1.0f), 0x38);    // exp 7
  EXPECT_EQ(encodeE4M3(0.171875f), 0x23);
  EXPECT_EQ(encodeE4M3(1.0f / 6.0f), 0x23); // 1.333*2^-3 -> 1.375*2^-3
  EXPECT_EQ(encodeE4M3(0.015625f), 0x08);   // 2^-6, smallest normal
}

TEST(CodecTest, E4M3SubnormalsAndTies) {
  EXPECT_EQ(encodeE4M3(std::ldexp(1.0f, -9)), 0x01);  // smallest subnormal
  EXPECT_EQ(encodeE4M3(std::ldexp(7.0f, -9)), 0x07);  // largest subnormal
  EXPECT_EQ(encodeE4M3(std::ldexp(1.0f, -10)), 0x00); // tie 0 | 2^-9 -> even 0
  EXPECT_EQ(encodeE4M3(std::ldexp(3.0f, -10)), 0x02); // tie 1 | 2 -> 2
  EXPECT_EQ(encodeE4M3(std::ldexp(15.0f, -10)), 0x08); // tie 7 | 8 -> 8 (normal)
  EXPECT_EQ(encodeE4M3(1.0625f), 0x38); // tie 1.0 | 1.125 -> even mantissa 0
  EXPECT_EQ(encodeE4M3(1.1875f), 0x3A); // tie 1.125 | 1.25 -> mantissa 2
  EXPECT_EQ(encodeE4M3(-0.0f), 0x80);
  EXPECT_EQ(encodeE4M3(1e-30f), 0x00);
  EXPECT_EQ(decodeE4M3(0x01), std::ldexp(1.0f, -9));
  EXPECT_EQ(decodeE4M3(0x08), std::ldexp(1.0f, -6));
}

TEST(CodecTest, E4M3SaturatesAt448) {
  EXPECT_EQ(encodeE4M3(448.0f), 0x7E);
  EXPECT_EQ(encodeE4M3(463.9f), 0x7E); // [448, 464) rounds to 448
  EXPECT_EQ(encodeE4M3(464.0f), 0x7E); // satfinite above
  EXPECT_EQ(encodeE4M3(470.0f), 0x7E); // would round to 480 = NaN pattern
  EXPECT_EQ(encodeE4M3(-479.0f), 0xFE);
  EXPECT_EQ(encodeE4M3(1e9f), 0x7E);
  EXPECT_EQ(encodeE4M3(kInf), 0x7E);
  EXPECT_EQ(encodeE4M3(-kInf), 0xFE);
  EXPECT_EQ(encodeE4M3(-500.0f), 0xFE);
  EXPECT_EQ(decodeE4M3(0x7E), 448.0f);
  EXPECT_EQ(decodeE4M3(0xFE), -448.0f);
}

TEST(CodecTest, E4M3NaN) {
  EXPECT_EQ(encodeE4M3(kNaN), 0x7F);
  EXPECT_TRUE(std::isnan(decodeE4M3(0x7F)));
  EXPECT_TRUE(std::isnan(decodeE4M3(0xFF)));
}

TEST(CodecTest, E4M3EveryCodeRoundTrips) {
  for (int c = 0; c < 256; ++c) {
    if ((c & 0x7F) == 0x7F)
      continue;
    EXPECT_EQ(encodeE4M3(decodeE4M3(static_cast<uint8_t>(c))), c) << c;
  }
}

TEST(CodecTest, E4M3IsMonotoneAndNearest) {
  // Every positive code's value must be the nearest code to itself and the
  // midpoint with the next code must go to the even mantissa.
  for (int c = 0; c < 0x7E; ++c) {
    float lo = decodeE4M3(static_cast<uint8_t>(c));
    float hi = decodeE4M3(static_cast<uint8_t>(c + 1));
    ASSERT_LT(lo, hi);
    float mid = 0.5f * (lo + hi);
    int even = (c & 1) == 0 ? c : c + 1;
    EXPECT_EQ(encodeE4M3(mid), even) << "between codes " << c << " and " << c + 1;
    EXPECT_EQ(encodeE4M3(std::nextafter(mid, 0.0f)), c);
    EXPECT_EQ(encodeE4M3(std::nextafter(mid, 1e9f)), c + 1);
  }
}

//===----------------------------------------------------------------------===//
// E8M0
//===----------------------------------------------------------------------===//

TEST(CodecTest, E8M0CeilRoundsUp) {
  EXPECT_EQ(encodeE8M0Ceil(1.0f), 127);          // powers of two unchanged
  EXPECT_EQ(encodeE8M0Ceil(0.25f), 125);
  EXPECT_EQ(encodeE8M0Ceil(1.0f / 6.0f), 125);   // log2 = -2.585 -> -2 (vector B)
  EXPECT_EQ(encodeE8M0Ceil(1.0f / 448.0f), 119); // -8.807 -> -8 (vector A)
  EXPECT_EQ(encodeE8M0Ceil(std::nextafter(1.0f, 2.0f)), 128);
  EXPECT_EQ(encodeE8M0Ceil(std::nextafter(1.0f, 0.0f)), 127);
}

TEST(CodecTest, E8M0CeilEdges) {
  EXPECT_EQ(encodeE8M0Ceil(0.0f), 0); // all-zero group
  EXPECT_EQ(encodeE8M0Ceil(-1.0f), 0);
  EXPECT_EQ(encodeE8M0Ceil(kNaN), 0xFF);
  EXPECT_EQ(encodeE8M0Ceil(kInf), 0xFE); // satfinite
  EXPECT_EQ(encodeE8M0Ceil(3e38f), 0xFE); // ceil -> 128, clamped to 127
  EXPECT_EQ(encodeE8M0Ceil(std::ldexp(1.0f, 127)), 0xFE);
  EXPECT_EQ(encodeE8M0Ceil(std::ldexp(1.0f, -126)), 1);
  // fp32 subnormals: 2^-127 -> byte 0; just above -> 2^-126; far below -> 0.
  EXPECT_EQ(encodeE8M0Ceil(std::ldexp(1.0f, -127)), 0);
  EXPECT_EQ(encodeE8M0Ceil(floatOf(0x00400001u)), 1);
  EXPECT_EQ(encodeE8M0Ceil(floatOf(0x00000001u)), 0);
}

TEST(CodecTest, E8M0NearestIsTheAppleRule) {
  EXPECT_EQ(encodeE8M0Nearest(1.0f / 448.0f), 118);
  EXPECT_EQ(encodeE8M0Nearest(1.0f / 6.0f), 124);
  EXPECT_EQ(encodeE8M0Nearest(0.0f), 0);
  EXPECT_EQ(encodeE8M0Nearest(kInf), 0xFF);
  EXPECT_EQ(encodeE8M0Nearest(1.0f), 127);
}

TEST(CodecTest, E8M0Decode) {
  EXPECT_EQ(decodeE8M0(127), 1.0f);
  EXPECT_EQ(decodeE8M0(119), std::ldexp(1.0f, -8));
  EXPECT_EQ(decodeE8M0(0), std::ldexp(1.0f, -127)); // not zero
  EXPECT_EQ(decodeE8M0(254), std::ldexp(1.0f, 127));
  EXPECT_TRUE(std::isnan(decodeE8M0(255)));
  for (int b = 0; b < 255; ++b)
    EXPECT_EQ(encodeE8M0Ceil(decodeE8M0(static_cast<uint8_t>(b))), b);
}

//===----------------------------------------------------------------------===//
// bf16 / f16
//===----------------------------------------------------------------------===//

TEST(CodecTest, Bf16RoundToNearestEven) {
  EXPECT_EQ(floatToBf16(1.0f), 0x3F80);
  EXPECT_EQ(floatToBf16(floatOf(0x3F808000u)), 0x3F80); // tie, even stays
  EXPECT_EQ(floatToBf16(floatOf(0x3F818000u)), 0x3F82); // tie, odd rounds up
  EXPECT_EQ(floatToBf16(floatOf(0x3F808001u)), 0x3F81); // above the tie
  EXPECT_EQ(floatToBf16(-2.0f), 0xC000);
  EXPECT_EQ(floatToBf16(kInf), 0x7F80);
  EXPECT_EQ(floatToBf16(std::numeric_limits<float>::max()), 0x7F80);
  EXPECT_EQ(bf16ToFloat(0x3F80), 1.0f);
}

TEST(CodecTest, Bf16KeepsNaN) {
  // A NaN whose payload lives only in the dropped low bits must stay NaN.
  uint16_t b = floatToBf16(floatOf(0x7F800001u));
  EXPECT_TRUE(std::isnan(bf16ToFloat(b)));
  EXPECT_TRUE(std::isnan(bf16ToFloat(floatToBf16(kNaN))));
  uint16_t n = floatToBf16(floatOf(0xFF800001u));
  EXPECT_TRUE(std::isnan(bf16ToFloat(n)));
  EXPECT_TRUE(n & 0x8000);
}

TEST(CodecTest, F16Rounding) {
  EXPECT_EQ(floatToF16(1.0f), 0x3C00);
  EXPECT_EQ(floatToF16(65504.0f), 0x7BFF);
  EXPECT_EQ(floatToF16(65519.0f), 0x7BFF);
  EXPECT_EQ(floatToF16(65520.0f), 0x7C00); // tie with an odd mantissa -> Inf
  EXPECT_EQ(floatToF16(-kInf), 0xFC00);
  EXPECT_EQ(floatToF16(1.0f + std::ldexp(1.0f, -11)), 0x3C00); // tie -> even
  EXPECT_EQ(floatToF16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);
  EXPECT_EQ(floatToF16(std::ldexp(1.0f, -14)), 0x0400);   // smallest normal
  EXPECT_EQ(floatToF16(std::ldexp(1.0f, -24)), 0x0001);   // smallest subnormal
  EXPECT_EQ(floatToF16(std::ldexp(1.0f, -25)), 0x0000);   // tie -> 0
  EXPECT_EQ(floatToF16(std::ldexp(3.0f, -25)), 0x0002);   // tie 1|2 -> 2
  EXPECT_EQ(floatToF16(-std::ldexp(1.0f, -26)), 0x8000);
  EXPECT_EQ(floatToF16(std::ldexp(1023.5f, -24)), 0x0400); // rounds into normal
  EXPECT_TRUE(std::isnan(f16ToFloat(floatToF16(kNaN))));
}

TEST(CodecTest, F16EveryValueRoundTrips) {
  for (uint32_t h = 0; h < 0x10000u; ++h) {
    float f = f16ToFloat(static_cast<uint16_t>(h));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(f16ToFloat(floatToF16(f))));
      continue;
    }
    ASSERT_EQ(floatToF16(f), h) << std::hex << h;
  }
  EXPECT_EQ(f16ToFloat(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(f16ToFloat(0x7BFF), 65504.0f);
}

TEST(CodecTest, Bf16EveryValueRoundTrips) {
  for (uint32_t h = 0; h < 0x10000u; ++h) {
    float f = bf16ToFloat(static_cast<uint16_t>(h));
    if (std::isnan(f))
      continue;
    ASSERT_EQ(floatToBf16(f), h);
    ASSERT_EQ(bitsOf(f) >> 16, h);
  }
}

TEST(CodecTest, BulkConversionRejectsIntegerTypes) {
  float f[2] = {1.0f, 2.0f};
  uint8_t raw[8];
  EXPECT_FALSE(convertFromFloat(f, 2, DType::kU8, raw).isOk());
  EXPECT_FALSE(convertToFloat(raw, DType::kU32, 2, f).isOk());
  EXPECT_FALSE(convertToFloat(nullptr, DType::kF32, 2, f).isOk());
  EXPECT_TRUE(convertToFloat(nullptr, DType::kF32, 0, f).isOk());
}

} // namespace
} // namespace vlmc::quant
