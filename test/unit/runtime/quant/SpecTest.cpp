// Modes, defaults, sizes and the MLX error texts of mlx-quant.md §1.1.
#include "TestUtil.h"

namespace vlmc::quant {
namespace {

TEST(SpecTest, ModeNamesRoundTrip) {
  for (Mode m : {Mode::kAffine, Mode::kMxfp4, Mode::kMxfp8, Mode::kNvfp4}) {
    Result<Mode> r = parseMode(modeName(m));
    ASSERT_TRUE(r.isOk());
    EXPECT_EQ(*r, m);
  }
  EXPECT_STREQ(modeName(Mode::kNvfp4), "nvfp4");
}

TEST(SpecTest, UnknownModeUsesMlxText) {
  Result<Mode> r = parseMode("xyz");
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "[quantize] Invalid quantization mode 'xyz'.");
  EXPECT_EQ(parseMode("Affine", "dequantize").status().message(),
            "[dequantize] Invalid quantization mode 'Affine'.");
}

TEST(SpecTest, DefaultsFollowMlx) {
  auto check = [](Mode m, int bits, int g) {
    QuantSpec s = defaultSpec(m);
    EXPECT_EQ(s.mode, m);
    EXPECT_EQ(s.bits, bits) << modeName(m);
    EXPECT_EQ(s.groupSize, g) << modeName(m);
    EXPECT_FALSE(s.globalScale);
    EXPECT_TRUE(validateSpec(s).isOk());
  };
  check(Mode::kAffine, 4, 64);
  check(Mode::kMxfp4, 4, 32);
  check(Mode::kMxfp8, 8, 32);
  check(Mode::kNvfp4, 4, 16);
}

TEST(SpecTest, DTypeHelpers) {
  EXPECT_EQ(dtypeSize(DType::kBF16), 2u);
  EXPECT_EQ(dtypeSize(DType::kU32), 4u);
  EXPECT_STREQ(dtypeName(DType::kBF16), "bfloat16");
  EXPECT_EQ(*parseDType("float16"), DType::kF16);
  EXPECT_FALSE(parseDType("int4").isOk());
  EXPECT_TRUE(isFloatDType(DType::kF32));
  EXPECT_FALSE(isFloatDType(DType::kU8));
}

TEST(SpecTest, AffineGroupSizeError) {
  Status s = validateSpec({Mode::kAffine, 4, 16, false});
  EXPECT_EQ(s.message(), "[quantize] The requested group size 16 is not "
                         "supported. The supported group sizes are 32, 64, "
                         "and 128.");
}

TEST(SpecTest, AffineBitsErrors) {
  EXPECT_EQ(validateSpec({Mode::kAffine, 7, 64, false}).message(),
            "[quantize] The requested number of bits 7 is not supported. The "
            "supported bits are 2, 3, 4, 5, 6 and 8.");
  EXPECT_FALSE(validateSpec({Mode::kAffine, 1, 64, false}).isOk());
  for (int b : {2, 3, 4, 5, 6, 8})
    for (int g : {32, 64, 128})
      EXPECT_TRUE(validateSpec({Mode::kAffine, b, g, false}).isOk());
}

TEST(SpecTest, FpModeErrors) {
  EXPECT_EQ(validateSpec({Mode::kMxfp4, 4, 64, false}).message(),
            "[quantize] mxfp4 quantization requires group size 32 but got 64.");
  EXPECT_EQ(validateSpec({Mode::kNvfp4, 3, 16, false}).message(),
            "[quantize] nvfp4 quantization requires bits to be 4 but got 3.");
  EXPECT_EQ(validateSpec({Mode::kMxfp8, 8, 16, false}, "dequantize").message(),
            "[dequantize] mxfp8 quantization requires group size 32 but got 16.");
  EXPECT_EQ(validateSpec({Mode::kMxfp8, 4, 32, false}).message(),
            "[quantize] mxfp8 quantization requires bits to be 8 but got 4.");
}

TEST(SpecTest, GlobalScaleOnlyForNvfp4) {
  EXPECT_EQ(validateSpec({Mode::kMxfp8, 8, 32, true}).message(),
            "[quantize] Global scale is only supported for 'nvfp4' "
            "quantization mode.");
  EXPECT_TRUE(validateSpec({Mode::kNvfp4, 4, 16, true}).isOk());
}

TEST(SpecTest, DivisibilityError) {
  Status s = validateShape(defaultSpec(Mode::kAffine), 100, "quantize", 2);
  EXPECT_EQ(s.message(),
            "[quantize] The last dimension of the matrix needs to be divisible "
            "by the quantization group size 64. However the provided  matrix "
            "has shape (2, 100)");
  EXPECT_NE(validateShape(defaultSpec(Mode::kNvfp4), 24).message().find("(..., 24)"),
            std::string::npos);
  EXPECT_TRUE(validateShape(defaultSpec(Mode::kNvfp4), 48).isOk());
}

TEST(SpecTest, Sizes) {
  const QuantSpec a3{Mode::kAffine, 3, 32, false};
  EXPECT_EQ(packedWordsPerRow(a3, 64), 6);
  EXPECT_EQ(groupsPerRow(a3, 64), 2);
  EXPECT_EQ(packedWordsPerRow(defaultSpec(Mode::kNvfp4), 16), 2);
  EXPECT_EQ(packedWordsPerRow(defaultSpec(Mode::kMxfp8), 64), 16);
  EXPECT_EQ(groupsPerRow(defaultSpec(Mode::kNvfp4), 4096), 256);
  EXPECT_EQ(scaleDType(a3, DType::kBF16), DType::kBF16);
  EXPECT_EQ(scaleDType(defaultSpec(Mode::kMxfp4), DType::kBF16), DType::kU8);
  EXPECT_EQ(packedWordCount(10, 3), 1);
  EXPECT_EQ(packedWordCount(11, 3), 2);
}

//===----------------------------------------------------------------------===//
// quantize / dequantize argument errors.
//===----------------------------------------------------------------------===//

TEST(SpecTest, QuantizeRejectsNonFloatInput) {
  uint32_t w[64] = {};
  Result<QuantizedMatrix> q =
      quantize(w, DType::kU32, 1, 64, defaultSpec(Mode::kAffine));
  ASSERT_FALSE(q.isOk());
  EXPECT_EQ(q.status().message(), "[quantize] Only real floating types can be "
                                  "quantized but w has type uint32.");
}

TEST(SpecTest, QuantizeRejectsBadShapesAndBuffers) {
  std::vector<float> w(128, 1.0f);
  EXPECT_NE(quantize(w.data(), DType::kF32, 1, 100, defaultSpec(Mode::kAffine))
                .status()
                .message()
                .find("divisible by the quantization group size 64"),
            std::string::npos);
  EXPECT_FALSE(quantize(w.data(), DType::kF32, -1, 64, defaultSpec(Mode::kAffine)).isOk());
  uint32_t packed[8];
  uint8_t scales[4];
  float fs[2], fb[2];
  const QuantSpec mx = defaultSpec(Mode::kMxfp4);
  EXPECT_FALSE(quantize(w.data(), DType::kF32, 1, 64, mx, nullptr, scales, nullptr).isOk());
  Status s = quantize(w.data(), DType::kF32, 1, 64, mx, packed, scales, fb);
  EXPECT_EQ(s.message(),
            "[quantize] Biases must be null for quantization mode 'mxfp4'.");
  EXPECT_FALSE(quantize(w.data(), DType::kF32, 1, 64, defaultSpec(Mode::kAffine),
                        packed, fs, nullptr)
                   .isOk());
  EXPECT_FALSE(quantize(w.data(), DType::kF32, 1, 64, mx, packed, scales, nullptr,
                        std::nullopt, -2)
                   .isOk());
  // Empty matrices are fine and touch nothing.
  EXPECT_TRUE(quantize(nullptr, DType::kF32, 0, 64, mx, nullptr, nullptr, nullptr).isOk());
}

TEST(SpecTest, GlobalScaleMisuse) {
  std::vector<float> w(32, 1.0f);
  Result<QuantizedMatrix> q =
      quantize(w.data(), DType::kF32, 1, 32, defaultSpec(Mode::kMxfp4), 1.0f);
  ASSERT_FALSE(q.isOk());
  EXPECT_EQ(q.status().message(), "[quantize] Global scale is only supported "
                                  "for 'nvfp4' quantization mode.");
  // nvfp4: the value and spec.globalScale must agree.
  EXPECT_FALSE(quantize(w.data(), DType::kF32, 1, 32, defaultSpec(Mode::kNvfp4), 1.0f).isOk());
  QuantSpec nv = defaultSpec(Mode::kNvfp4);
  nv.globalScale = true;
  uint32_t packed[4];
  uint8_t scales[2];
  EXPECT_FALSE(quantize(w.data(), DType::kF32, 1, 32, nv, packed, scales, nullptr).isOk());
  for (float bad : {0.0f, -1.0f, std::nanf(""), 1e-45f})
    EXPECT_FALSE(quantize(w.data(), DType::kF32, 1, 32, nv, bad).isOk()) << bad;
  EXPECT_TRUE(quantize(w.data(), DType::kF32, 1, 32, nv, 1.0f).isOk());
}

TEST(SpecTest, OwningOverloadComputesGlobalScale) {
  std::vector<float> w(32, 0.0f);
  QuantSpec nv = defaultSpec(Mode::kNvfp4);
  nv.globalScale = true;
  Result<QuantizedMatrix> zero = quantize(w.data(), DType::kF32, 1, 32, nv);
  ASSERT_TRUE(zero.isOk());
  EXPECT_EQ(*zero->globalScale, 1.0f); // all-zero tensor: any positive value
  w[7] = -3.0f;
  Result<QuantizedMatrix> q = quantize(w.data(), DType::kF32, 1, 32, nv);
  ASSERT_TRUE(q.isOk());
  EXPECT_EQ(*q->globalScale, 3.0f);
  EXPECT_EQ(computeGlobalScale(w.data(), DType::kF32, 32), 3.0f);
  EXPECT_EQ(computeGlobalScale(w.data(), DType::kU8, 32), 0.0f);
}

TEST(SpecTest, DequantizeErrors) {
  uint32_t packed[8] = {};
  uint8_t scales[2] = {};
  float fs[2] = {}, fb[2] = {};
  float out[64];
  const QuantSpec aff{Mode::kAffine, 4, 32, false};
  EXPECT_EQ(dequantize(packed, fs, nullptr, DType::kF32, 1, 64, aff, std::nullopt,
                       DType::kF32, out)
                .message(),
            "[dequantize] Biases must be provided for affine quantization.");
  const QuantSpec nv = defaultSpec(Mode::kNvfp4);
  EXPECT_EQ(dequantize(packed, fs, nullptr, DType::kF16, 1, 32, nv, std::nullopt,
                       DType::kF32, out)
                .message(),
            "[dequantize] Scale type must be uint8 but received type float16.");
  EXPECT_EQ(dequantize(packed, scales, fb, DType::kU8, 1, 32, nv, std::nullopt,
                       DType::kF32, out)
                .message(),
            "[dequantize] Biases must be null for quantization mode 'nvfp4'.");
  EXPECT_EQ(dequantize(packed, scales, nullptr, DType::kU8, 1, 32,
                       {Mode::kMxfp8, 8, 16, false}, std::nullopt, DType::kF32, out)
                .message(),
            "[dequantize] mxfp8 quantization requires group size 32 but got 16.");
  EXPECT_EQ(dequantize(packed, scales, nullptr, DType::kU8, 1, 32,
                       defaultSpec(Mode::kMxfp4), 2.0f, DType::kF32, out)
                .message(),
            "[dequantize] Global scale is only supported for 'nvfp4' "
            "quantization mode.");
  EXPECT_FALSE(dequantize(packed, scales, nullptr, DType::kU8, 1, 32,
                          defaultSpec(Mode::kMxfp4), std::nullopt, DType::kU8, out)
                   .isOk());
  EXPECT_FALSE(dequantize(nullptr, scales, nullptr, DType::kU8, 1, 32,
                          defaultSpec(Mode::kMxfp4), std::nullopt, DType::kF32, out)
                   .isOk());
}

} // namespace
} // namespace vlmc::quant
