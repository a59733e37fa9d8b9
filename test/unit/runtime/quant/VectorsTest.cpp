// The hand-checked vectors of shared/reference/mlx-quant-vectors.md. Every
// expected number below is copied from that document (section letter in the
// test name); none was produced by running this library. Our quantizer
// follows the document's "cuda" rows; the "metal" rows are Apple-made bytes
// that must still decode.
#include "TestUtil.h"

#include <cmath>

namespace vlmc::quant {
namespace {

using test::codesOf;
using test::dequantizeOrDie;
using test::quantizeOrDie;

// w_i = ((13 i) mod 32 - 16) / 16 (vectors A and B).
std::vector<float> vectorAB() {
  std::vector<float> w(32);
  for (int i = 0; i < 32; ++i)
    w[i] = static_cast<float>((13 * i) % 32 - 16) / 16.0f;
  return w;
}

// w_i = ((7 i) mod 16 - 8) / 8 (vectors C, C2, C3).
std::vector<float> vectorC() {
  std::vector<float> w(16);
  for (int i = 0; i < 16; ++i)
    w[i] = static_cast<float>((7 * i) % 16 - 8) / 8.0f;
  return w;
}

// w_i = ((29 i) mod 64 - 36) / 32 (vector D).
std::vector<float> vectorD() {
  std::vector<float> w(64);
  for (int i = 0; i < 64; ++i)
    w[i] = static_cast<float>((29 * i) % 64 - 36) / 32.0f;
  return w;
}

std::vector<uint8_t> nibbles(const char *hex) {
  std::vector<uint8_t> out;
  for (const char *p = hex; *p; ++p) {
    if (*p == ' ')
      continue;
    out.push_back(static_cast<uint8_t>(
        *p <= '9' ? *p - '0' : (*p | 0x20) - 'a' + 10));
  }
  return out;
}

TEST(VectorsTest, InputsMatchTheListedValues) {
  std::vector<float> a = vectorAB();
  EXPECT_EQ(a[0], -1.0f);
  EXPECT_EQ(a[1], -0.1875f);
  EXPECT_EQ(a[16], 0.0f);
  EXPECT_EQ(a[31], 0.1875f);
  std::vector<float> c = vectorC();
  EXPECT_EQ(c[0], -1.0f);
  EXPECT_EQ(c[15], 0.125f);
  std::vector<float> d = vectorD();
  float lo = d[0], hi = d[0];
  for (float v : d) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  EXPECT_EQ(lo, -1.125f);
  EXPECT_EQ(hi, 0.84375f);
}

//===----------------------------------------------------------------------===//
// A. mxfp8: E8M0 ceil scale (cuda row), E4M3 elements.
//===----------------------------------------------------------------------===//

const std::vector<uint32_t> kA_CudaPacked = {0xF172E4F8, 0x73E0F768, 0xD8F66AF0,
                                             0xF56CEE74, 0x6EEC7500, 0xEA7658F4,
                                             0x7760F370, 0x64F271E8};
const std::vector<uint32_t> kA_MetalPacked = {0xF97AECFE, 0x7BE8FE70,
                                              0xE0FE72F8, 0xFD74F67C,
                                              0x76F47D00, 0xF27E60FC,
                                              0x7E68FB78, 0x6CFA79F0};

TEST(VectorsTest, A_Mxfp8CeilScaleBytesMatchCuda) {
  std::vector<float> w = vectorAB();
  QuantizedMatrix q = quantizeOrDie(w, 1, 32, defaultSpec(Mode::kMxfp8));
  ASSERT_EQ(q.scales.size(), 1u);
  EXPECT_EQ(q.scales[0], 0x77); // ceil(log2(1/448)) = -8 -> 119
  EXPECT_EQ(q.packed, kA_CudaPacked);
  std::vector<uint8_t> codes = codesOf(q);
  EXPECT_EQ(codes[0], 0xF8); // -1 / 2^-8 = -256 = -1.0 * 2^8
  EXPECT_EQ(codes[1], 0xE4);
  EXPECT_EQ(codes[16], 0x00);
}

TEST(VectorsTest, A_Mxfp8CeilScaleRoundTripsExactly) {
  // With the ceil rule no element saturates: all 32 values are exact.
  std::vector<float> w = vectorAB();
  QuantizedMatrix q = quantizeOrDie(w, 1, 32, defaultSpec(Mode::kMxfp8));
  EXPECT_EQ(dequantizeOrDie(q), w);
}

TEST(VectorsTest, A_Mxfp8AppleNearestScaleDecodesWithSaturatedMax) {
  // Apple (metal/cpu) bytes: nearest-rounded scale 2^-9 (byte 118); three
  // elements saturated at 448. Decoding must reproduce the documented values.
  std::vector<float> w = vectorAB();
  const uint8_t scale = 0x76;
  std::vector<float> out(32);
  ASSERT_TRUE(dequantize(kA_MetalPacked.data(), &scale, nullptr, DType::kU8, 1,
                         32, defaultSpec(Mode::kMxfp8), std::nullopt,
                         DType::kF32, out.data())
                  .isOk());
  for (int i = 0; i < 32; ++i) {
    float expected = w[i];
    if (i == 0 || i == 5)
      expected = -0.875f;
    else if (i == 27)
      expected = 0.875f;
    EXPECT_EQ(out[i], expected) << "element " << i;
  }
}

TEST(VectorsTest, A_AppleNearestE8M0RuleReproducesMetalScale) {
  // The Metal rule is exposed only as a codec; it yields the doc's 0x76 and
  // then the metal codes (elements are RNE-saturating on both backends).
  std::vector<float> w = vectorAB();
  const float t = 1.0f / 448.0f; // amax / M
  EXPECT_EQ(encodeE8M0Nearest(t), 0x76);
  EXPECT_EQ(encodeE8M0Ceil(t), 0x77);
  std::vector<uint8_t> codes(32);
  const float inv = 1.0f / decodeE8M0(0x76);
  for (int i = 0; i < 32; ++i)
    codes[i] = encodeE4M3(w[i] * inv);
  EXPECT_EQ(test::packByHand(codes, 8), kA_MetalPacked);
}

//===----------------------------------------------------------------------===//
// B. mxfp4 and B2. E2M1 ties.
//===----------------------------------------------------------------------===//

const std::vector<uint32_t> kB_CudaPacked = {0x59E2C4AE, 0xD3C58E2C, 0xA60D4B50,
                                             0x2C4A61D4};
const std::vector<uint32_t> kB_MetalPacked = {0x7AF4E6BF, 0xF5E79F4E,
                                              0xC71F6D70, 0x3E6C72F6};

TEST(VectorsTest, B_Mxfp4CeilScaleBytesMatchCuda) {
  std::vector<float> w = vectorAB();
  QuantizedMatrix q = quantizeOrDie(w, 1, 32, defaultSpec(Mode::kMxfp4));
  EXPECT_EQ(q.scales[0], 0x7D); // S = 0.25
  EXPECT_EQ(q.packed, kB_CudaPacked);
  EXPECT_EQ(codesOf(q),
            nibbles("E A 4 C 2 E 9 5 C 2 E 8 5 C 3 D 0 5 B 4 D 0 6 A 4 D 1 6 A 4 C 2"));
}

TEST(VectorsTest, B_Mxfp4TieTowardEvenKeepsNegativeZero) {
  // w11 = -0.0625 -> -0.25: tie between 0 and 0.5, RNE gives 0 with the sign
  // kept, code 8 (-0).
  std::vector<float> w = vectorAB();
  QuantizedMatrix q = quantizeOrDie(w, 1, 32, defaultSpec(Mode::kMxfp4));
  EXPECT_EQ(codesOf(q)[11], 0x8);
}

TEST(VectorsTest, B_Mxfp4CeilMaxErrorIsOneEighth) {
  std::vector<float> w = vectorAB();
  QuantizedMatrix q = quantizeOrDie(w, 1, 32, defaultSpec(Mode::kMxfp4));
  std::vector<float> d = dequantizeOrDie(q);
  float maxErr = 0.0f;
  for (int i = 0; i < 32; ++i)
    maxErr = std::max(maxErr, std::fabs(d[i] - w[i]));
  EXPECT_EQ(maxErr, 0.125f);
}

TEST(VectorsTest, B_Mxfp4AppleNearestScaleDecodes) {
  // Apple bytes: scale 0.125 (byte 124); w0 saturates to -6*0.125, w2 = 0.625
  // ties 5.0 -> 4 -> 0.5; max error 0.25.
  std::vector<float> w = vectorAB();
  const uint8_t scale = 0x7C;
  std::vector<float> out(32);
  ASSERT_TRUE(dequantize(kB_MetalPacked.data(), &scale, nullptr, DType::kU8, 1,
                         32, defaultSpec(Mode::kMxfp4), std::nullopt,
                         DType::kF32, out.data())
                  .isOk());
  EXPECT_EQ(out[0], -0.75f);
  EXPECT_EQ(out[2], 0.5f);
  float maxErr = 0.0f;
  for (int i = 0; i < 32; ++i)
    maxErr = std::max(maxErr, std::fabs(out[i] - w[i]));
  EXPECT_EQ(maxErr, 0.25f);
}

TEST(VectorsTest, B_AppleNearestE8M0RuleReproducesMetalNibbles) {
  std::vector<float> w = vectorAB();
  EXPECT_EQ(encodeE8M0Nearest(1.0f / 6.0f), 0x7C);
  EXPECT_EQ(encodeE8M0Ceil(1.0f / 6.0f), 0x7D);
  std::vector<uint8_t> codes(32);
  for (int i = 0; i < 32; ++i)
    codes[i] = encodeE2M1(w[i] * 8.0f); // 1 / 0.125
  EXPECT_EQ(codes, nibbles("F B 6 E 4 F A 7 E 4 F 9 7 E 5 F 0 7 D 6 F 1 7 C 6 F "
                           "2 7 C 6 E 3"));
  EXPECT_EQ(test::packByHand(codes, 4), kB_MetalPacked);
}

TEST(VectorsTest, B2_E2M1TiesGoToEvenCode) {
  const float x[] = {0.25f, 0.75f, 1.25f, 1.75f, 2.5f, 3.5f, 5.0f, -0.25f, -0.1f, 7.0f};
  const uint8_t gpu[] = {0, 2, 2, 4, 4, 6, 6, 8, 8, 7};
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(encodeE2M1(x[i]), gpu[i]) << "x = " << x[i];
}

//===----------------------------------------------------------------------===//
// C. nvfp4 (E4M3 scale), C2 global scale, C3 underflow.
//===----------------------------------------------------------------------===//

TEST(VectorsTest, C_Nvfp4ScaleRoundsToNearestE4M3) {
  std::vector<float> w = vectorC();
  QuantizedMatrix q = quantizeOrDie(w, 1, 16, defaultSpec(Mode::kNvfp4));
  EXPECT_EQ(q.scales[0], 0x23); // 0.171875
  EXPECT_EQ(codesOf(q), nibbles("F 9 6 C 5 E 3 F 0 7 B 6 D 4 E 1"));
  EXPECT_EQ(q.packed, (std::vector<uint32_t>{0xF3E5C69F, 0x1E4D6B70}));
}

TEST(VectorsTest, C_Nvfp4DequantOvershootsMax) {
  std::vector<float> w = vectorC();
  QuantizedMatrix q = quantizeOrDie(w, 1, 16, defaultSpec(Mode::kNvfp4));
  const std::vector<float> expected = {
      -1.03125f, -0.0859375f, 0.6875f,   -0.34375f,   0.515625f, -0.6875f,
      0.2578125f, -1.03125f,  0.0f,      1.03125f,    -0.2578125f, 0.6875f,
      -0.515625f, 0.34375f,   -0.6875f,  0.0859375f};
  EXPECT_EQ(dequantizeOrDie(q), expected);
}

TEST(VectorsTest, C2_Nvfp4GlobalScaleOne) {
  std::vector<float> w = vectorC();
  QuantSpec spec = defaultSpec(Mode::kNvfp4);
  spec.globalScale = true;
  QuantizedMatrix q = quantizeOrDie(w, 1, 16, spec, 1.0f);
  EXPECT_EQ(q.scales[0], 0x7E); // 448
  // -0.125*6 = -0.75 ties to 1.0 (code A); 0.125*6 -> 1.0 (code 2).
  EXPECT_EQ(codesOf(q), nibbles("F A 6 C 5 E 3 F 0 7 B 6 D 4 E 2"));
  EXPECT_EQ(q.packed, (std::vector<uint32_t>{0xF3E5C6AF, 0x2E4D6B70}));
  const std::vector<float> expected = {-1.0f,     -1 / 6.0f, 4 / 6.0f, -2 / 6.0f,
                                       0.5f,      -4 / 6.0f, 0.25f,    -1.0f,
                                       0.0f,      1.0f,      -0.25f,   4 / 6.0f,
                                       -0.5f,     2 / 6.0f,  -4 / 6.0f, 1 / 6.0f};
  std::vector<float> d = dequantizeOrDie(q);
  for (int i = 0; i < 16; ++i)
    EXPECT_NEAR(d[i], expected[i], 1e-6f) << "element " << i;
}

TEST(VectorsTest, C2_DequantWithoutTheGlobalScaleIsRejected) {
  // The global scale is not stored with the weights; dequant must get it.
  std::vector<float> w = vectorC();
  QuantSpec spec = defaultSpec(Mode::kNvfp4);
  spec.globalScale = true;
  QuantizedMatrix q = quantizeOrDie(w, 1, 16, spec, 1.0f);
  std::vector<float> out(16);
  Status s = dequantize(q.packed.data(), q.scales.data(), nullptr, DType::kU8,
                        1, 16, spec, std::nullopt, DType::kF32, out.data());
  EXPECT_FALSE(s.isOk());
}

TEST(VectorsTest, C3_Nvfp4UnderflowGivesZeroScaleAndSignedZeroCodes) {
  std::vector<float> w = vectorC();
  for (float &v : w)
    v /= 256.0f; // amax = 0.00390625 < 6 * 2^-10
  QuantizedMatrix q = quantizeOrDie(w, 1, 16, defaultSpec(Mode::kNvfp4));
  EXPECT_EQ(q.scales[0], 0x00);
  // Our documented choice is Metal's multiplier 0: +-0 with w's sign.
  EXPECT_EQ(codesOf(q), nibbles("8 8 0 8 0 8 0 8 0 0 8 0 8 0 8 0"));
  for (float v : dequantizeOrDie(q))
    EXPECT_EQ(v, 0.0f);
}

TEST(VectorsTest, C3_Nvfp4UnderflowDecodesToZeroWhateverTheNibbles) {
  // CUDA multiplies by Inf instead and stores +-6 nibbles; they still decode
  // to 0 because the scale byte is 0.
  const uint32_t packed[2] = {0xFF77F7F7u, 0x7F7F7F7Fu};
  const uint8_t scale = 0;
  std::vector<float> out(16, 1.0f);
  ASSERT_TRUE(dequantize(packed, &scale, nullptr, DType::kU8, 1, 16,
                         defaultSpec(Mode::kNvfp4), std::nullopt, DType::kF32,
                         out.data())
                  .isOk());
  for (float v : out)
    EXPECT_EQ(v, 0.0f);
}

TEST(VectorsTest, C3_Nvfp4GlobalScaleAvoidsUnderflow) {
  std::vector<float> w = vectorC();
  for (float &v : w)
    v /= 256.0f;
  QuantSpec spec = defaultSpec(Mode::kNvfp4);
  spec.globalScale = true;
  QuantizedMatrix q = quantizeOrDie(w, 1, 16, spec, 1.0f / 256.0f);
  EXPECT_EQ(q.scales[0], 0x7E);
  // Identical to C2 scaled by 1/256: same codes, max error 0.000488.
  EXPECT_EQ(codesOf(q), nibbles("F A 6 C 5 E 3 F 0 7 B 6 D 4 E 2"));
  std::vector<float> d = dequantizeOrDie(q);
  float maxErr = 0.0f;
  for (int i = 0; i < 16; ++i)
    maxErr = std::max(maxErr, std::fabs(d[i] - w[i]));
  EXPECT_NEAR(maxErr, 0.000488f, 1e-6f);
}

//===----------------------------------------------------------------------===//
// D. affine 4-bit g64 (GPU rule), D2 all-negative group, D3 negative scale.
//===----------------------------------------------------------------------===//

const std::vector<uint8_t> kD_Codes = {
    0, 7, 15, 6, 13, 4, 12, 3, 10, 1, 9, 15, 7, 14, 6, 13, 4, 11, 3, 10, 1, 8,
    15, 7, 14, 5, 13, 4, 11, 2, 10, 1, 8, 15, 7, 14, 5, 12, 4, 11, 2, 9, 1, 8,
    15, 6, 14, 5, 12, 3, 11, 2, 9, 0, 8, 15, 6, 13, 5, 12, 3, 10, 2, 9};
const std::vector<uint32_t> kD_Packed = {0x3C4D6F70, 0xD6E7F91A, 0x7F81A3B4,
                                         0x1A2B4D5E, 0xB4C5E7F8, 0x5E6F8192,
                                         0xF8092B3C, 0x92A3C5D6};

TEST(VectorsTest, D_AffineAnchorAndZeroSnapping) {
  // |min| > |max|: anchor -1.125, k = -9, scale 0.125, bias -1.125.
  std::vector<float> w = vectorD();
  QuantizedMatrix q = quantizeOrDie(w, 1, 64, defaultSpec(Mode::kAffine));
  ASSERT_EQ(q.scaleType, DType::kF32);
  float scale, bias;
  std::memcpy(&scale, q.scales.data(), 4);
  std::memcpy(&bias, q.biases.data(), 4);
  EXPECT_EQ(scale, 0.125f);
  EXPECT_EQ(bias, -1.125f);
  EXPECT_EQ(codesOf(q), kD_Codes);
  EXPECT_EQ(q.packed, kD_Packed);
  // Real 0.0 (element 52) must land exactly on code 9 = -bias/scale.
  EXPECT_EQ(w[52], 0.0f);
  EXPECT_EQ(kD_Codes[52], 9);
}

TEST(VectorsTest, D_AffineRoundsHalfAwayFromZero) {
  // (w - b)/s lands on x.5 at these elements; the GPU rule rounds away.
  std::vector<float> w = vectorD();
  QuantizedMatrix q = quantizeOrDie(w, 1, 64, defaultSpec(Mode::kAffine));
  std::vector<uint8_t> codes = codesOf(q);
  const int idx[] = {2, 10, 18, 26, 34, 42, 50, 58};
  const uint8_t gpu[] = {15, 9, 3, 13, 7, 1, 11, 5};
  for (int k = 0; k < 8; ++k)
    EXPECT_EQ(codes[idx[k]], gpu[k]) << "element " << idx[k];
}

TEST(VectorsTest, D_AffineSnappedScaleClipsTheTop) {
  // Max error 0.09375 at w = 0.84375 (clipped to 0.75); others <= scale/2.
  std::vector<float> w = vectorD();
  QuantizedMatrix q = quantizeOrDie(w, 1, 64, defaultSpec(Mode::kAffine));
  std::vector<float> d = dequantizeOrDie(q);
  float maxErr = 0.0f;
  for (int i = 0; i < 64; ++i) {
    float e = std::fabs(d[i] - w[i]);
    maxErr = std::max(maxErr, e);
    if (w[i] != 0.84375f)
      EXPECT_LE(e, 0.0625f) << "element " << i;
    else
      EXPECT_EQ(d[i], 0.75f);
  }
  EXPECT_EQ(maxErr, 0.09375f);
}

TEST(VectorsTest, D_AffineBf16AndF16InputsGiveTheSameBytes) {
  // Exact binary fractions: bf16/f16 inputs agree with f32, and the stored
  // scale/bias (0.125, -1.125) are exact in the weight dtype.
  std::vector<float> w = vectorD();
  for (DType t : {DType::kBF16, DType::kF16}) {
    std::vector<uint16_t> raw(64);
    ASSERT_TRUE(convertFromFloat(w.data(), 64, t, raw.data()).isOk());
    Result<QuantizedMatrix> q =
        quantize(raw.data(), t, 1, 64, defaultSpec(Mode::kAffine));
    ASSERT_TRUE(q.isOk());
    EXPECT_EQ(q->scaleType, t);
    EXPECT_EQ(q->packed, kD_Packed);
    uint16_t s, b;
    std::memcpy(&s, q->scales.data(), 2);
    std::memcpy(&b, q->biases.data(), 2);
    float sf = t == DType::kBF16 ? bf16ToFloat(s) : f16ToFloat(s);
    float bf = t == DType::kBF16 ? bf16ToFloat(b) : f16ToFloat(b);
    EXPECT_EQ(sf, 0.125f);
    EXPECT_EQ(bf, -1.125f);
  }
}

TEST(VectorsTest, D2_AffineAllNegativeGroupUsesHiZero) {
  // GPU rule hi = max(0, max) = 0: k = -15, scale 1/15, bias -1.
  std::vector<float> w(64);
  for (int i = 0; i < 64; ++i)
    w[i] = -static_cast<float>(1 + i % 8) / 8.0f;
  QuantizedMatrix q = quantizeOrDie(w, 1, 64, defaultSpec(Mode::kAffine));
  float scale, bias;
  std::memcpy(&scale, q.scales.data(), 4);
  std::memcpy(&bias, q.biases.data(), 4);
  EXPECT_FLOAT_EQ(scale, 0.0666666701f);
  EXPECT_EQ(bias, -1.0f);
  std::vector<uint8_t> codes = codesOf(q);
  const std::vector<uint8_t> first8 = {13, 11, 9, 7, 6, 4, 2, 0};
  EXPECT_EQ(std::vector<uint8_t>(codes.begin(), codes.begin() + 8), first8);
  std::vector<float> d = dequantizeOrDie(q);
  for (int i = 0; i < 64; ++i)
    EXPECT_LE(std::fabs(d[i] - w[i]), 0.0334f);
}

TEST(VectorsTest, D2_CpuKernelBytesStillDecode) {
  // The MLX CPU kernel (true max) stores scale 0.0588235296, bias -1 and
  // codes 15 13 11 8 6 4 2 0; they decode within its 0.0294 max error.
  const std::vector<uint8_t> codes = {15, 13, 11, 8, 6, 4, 2, 0};
  std::vector<uint8_t> row(32);
  for (int i = 0; i < 32; ++i)
    row[i] = codes[i % 8];
  std::vector<uint32_t> packed = test::packByHand(row, 4);
  const float scale = 0.0588235296f, bias = -1.0f;
  QuantSpec spec{Mode::kAffine, 4, 32, false};
  std::vector<float> out(32);
  ASSERT_TRUE(dequantize(packed.data(), &scale, &bias, DType::kF32, 1, 32, spec,
                         std::nullopt, DType::kF32, out.data())
                  .isOk());
  for (int i = 0; i < 32; ++i) {
    float w = -static_cast<float>(1 + i % 8) / 8.0f;
    EXPECT_LE(std::fabs(out[i] - w), 0.0295f) << "element " << i;
  }
}

TEST(VectorsTest, D3_AffineMaxDominantGroupStoresNegativeScale) {
  std::vector<float> w(64);
  for (int i = 0; i < 64; ++i)
    w[i] = static_cast<float>(-8 + (5 * i) % 24) / 16.0f;
  QuantizedMatrix q = quantizeOrDie(w, 1, 64, defaultSpec(Mode::kAffine));
  float scale, bias;
  std::memcpy(&scale, q.scales.data(), 4);
  std::memcpy(&bias, q.biases.data(), 4);
  EXPECT_EQ(scale, -0.09375f);
  EXPECT_EQ(bias, 0.9375f);
  std::vector<uint8_t> codes = codesOf(q);
  const std::vector<uint8_t> first8 = {15, 12, 9, 5, 2, 15, 11, 8};
  EXPECT_EQ(std::vector<uint8_t>(codes.begin(), codes.begin() + 8), first8);
  std::vector<float> d = dequantizeOrDie(q);
  const std::vector<float> d8 = {-0.46875f, -0.1875f, 0.09375f, 0.46875f,
                                 0.75f,     -0.46875f, -0.09375f, 0.1875f};
  EXPECT_EQ(std::vector<float>(d.begin(), d.begin() + 8), d8);
  float maxErr = 0.0f;
  for (int i = 0; i < 64; ++i)
    maxErr = std::max(maxErr, std::fabs(d[i] - w[i]));
  EXPECT_EQ(maxErr, 0.03125f); // the min -0.5 is clipped to -0.46875
}

//===----------------------------------------------------------------------===//
// E. affine 3-bit packing: codes straddle words.
//===----------------------------------------------------------------------===//

TEST(VectorsTest, E_ThreeBitCodesStraddleWords) {
  std::vector<uint8_t> codes(32);
  for (int i = 0; i < 32; ++i)
    codes[i] = static_cast<uint8_t>(i % 8);
  std::vector<uint32_t> words(3);
  ASSERT_TRUE(packCodes(codes.data(), 32, 3, words.data()).isOk());
  EXPECT_EQ(words, (std::vector<uint32_t>{0x88FAC688, 0xC688FAC6, 0xFAC688FA}));
  // Element 10 (value 2 = 0b010): bit 30 = 0, bit 31 = 1 in word 0, bit 32 = 0.
  EXPECT_EQ((words[0] >> 30) & 1u, 0u);
  EXPECT_EQ((words[0] >> 31) & 1u, 1u);
  EXPECT_EQ(words[1] & 1u, 0u);
  EXPECT_EQ(extractCode(words.data(), 10, 3), 2u);
}

TEST(VectorsTest, E_ThreeBitAffineQuantizeWritesTheSameStream) {
  // A 3-bit affine group whose codes are 0..7 repeated: w = code - 7 gives
  // lo = -7 anchor, scale 1, bias -7 (hi = max(0, 0) = 0), so code = w + 7.
  std::vector<float> w(32);
  for (int i = 0; i < 32; ++i)
    w[i] = static_cast<float>(i % 8) - 7.0f;
  QuantizedMatrix q = quantizeOrDie(w, 1, 32, QuantSpec{Mode::kAffine, 3, 32, false});
  EXPECT_EQ(q.packed, (std::vector<uint32_t>{0x88FAC688, 0xC688FAC6, 0xFAC688FA}));
}

} // namespace
} // namespace vlmc::quant
