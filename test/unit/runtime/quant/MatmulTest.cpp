// Reference matmuls against products computed here from explicitly
// dequantized operands. The contract is fp32 accumulation in ascending k with
// the bias added after the sum, so the comparisons are exact.
#include "TestUtil.h"

#include <cmath>

namespace vlmc::quant {
namespace {

using test::dequantizeOrDie;
using test::gaussian;
using test::quantizeOrDie;
using test::specName;

std::vector<float> naiveMatmulNT(const std::vector<float> &x, int64_t M,
                                 int64_t K, const std::vector<float> &w,
                                 int64_t N, const float *bias) {
  std::vector<float> y(static_cast<size_t>(M * N));
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      float acc = 0.0f;
      for (int64_t k = 0; k < K; ++k)
        acc += x[m * K + k] * w[n * K + k];
      y[m * N + n] = bias ? acc + bias[n] : acc;
    }
  return y;
}

std::vector<QuantSpec> matmulSpecs() {
  QuantSpec nvg = defaultSpec(Mode::kNvfp4);
  nvg.globalScale = true;
  return {QuantSpec{Mode::kAffine, 3, 32, false}, defaultSpec(Mode::kAffine),
          QuantSpec{Mode::kAffine, 8, 128, false}, defaultSpec(Mode::kMxfp4),
          defaultSpec(Mode::kMxfp8), defaultSpec(Mode::kNvfp4), nvg};
}

constexpr int64_t M = 5, K = 256, N = 7;

TEST(MatmulTest, QmatmulRefEqualsNaiveProductOnDequantizedWeights) {
  std::vector<float> x = gaussian(M * K, 100);
  std::vector<float> wf = gaussian(N * K, 101, 0.05f);
  for (const QuantSpec &spec : matmulSpecs()) {
    QuantizedMatrix w = quantizeOrDie(wf, N, K, spec);
    std::vector<float> wd = dequantizeOrDie(w);
    std::vector<float> y(M * N);
    ASSERT_TRUE(qmatmulRef(x.data(), M, K, w.view(), nullptr, y.data()).isOk());
    EXPECT_EQ(y, naiveMatmulNT(x, M, K, wd, N, nullptr)) << specName(spec);
    // Sanity against a double-precision product of the float weights: the
    // relative RMS error of the outputs stays well below 1.
    double errSq = 0, refSq = 0;
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n) {
        double ref = 0;
        for (int64_t k = 0; k < K; ++k)
          ref += static_cast<double>(x[m * K + k]) * wf[n * K + k];
        errSq += (y[m * N + n] - ref) * (y[m * N + n] - ref);
        refSq += ref * ref;
      }
    EXPECT_LT(std::sqrt(errSq / refSq), 0.3) << specName(spec);
  }
}

TEST(MatmulTest, BiasIsAddedAfterTheSum) {
  std::vector<float> x = gaussian(M * K, 102);
  std::vector<float> wf = gaussian(N * K, 103);
  std::vector<float> bias = gaussian(N, 104);
  QuantizedMatrix w = quantizeOrDie(wf, N, K, defaultSpec(Mode::kMxfp8));
  std::vector<float> y0(M * N), y1(M * N);
  ASSERT_TRUE(qmatmulRef(x.data(), M, K, w.view(), nullptr, y0.data()).isOk());
  ASSERT_TRUE(qmatmulRef(x.data(), M, K, w.view(), bias.data(), y1.data()).isOk());
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n)
      EXPECT_EQ(y1[m * N + n], y0[m * N + n] + bias[n]);
  std::vector<float> yq0(M * N), yq1(M * N);
  ASSERT_TRUE(qqmatmulRef(x.data(), M, K, w.view(), std::nullopt, nullptr, yq0.data()).isOk());
  ASSERT_TRUE(qqmatmulRef(x.data(), M, K, w.view(), std::nullopt, bias.data(), yq1.data()).isOk());
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n)
      EXPECT_EQ(yq1[m * N + n], yq0[m * N + n] + bias[n]);
}

TEST(MatmulTest, FakeQuantizeRowsIsDequantOfQuantize) {
  std::vector<float> x = gaussian(M * K, 105, 3.0f);
  for (const QuantSpec &spec : matmulSpecs()) {
    std::optional<float> g;
    if (spec.globalScale)
      g = 4.0f;
    QuantizedMatrix q = quantizeOrDie(x, M, K, spec, g);
    std::vector<float> out(M * K);
    ASSERT_TRUE(fakeQuantizeRows(x.data(), M, K, spec, out.data(), g).isOk());
    EXPECT_EQ(out, dequantizeOrDie(q)) << specName(spec);
  }
}

TEST(MatmulTest, QqmatmulRefQuantizesActivationsLikeWeights) {
  std::vector<float> x = gaussian(M * K, 106);
  std::vector<float> wf = gaussian(N * K, 107, 0.05f);
  for (const QuantSpec &spec : matmulSpecs()) {
    std::optional<float> gw, gx;
    if (spec.globalScale) {
      gw = computeGlobalScale(wf.data(), DType::kF32, N * K);
      gx = computeGlobalScale(x.data(), DType::kF32, M * K);
    }
    QuantizedMatrix w = quantizeOrDie(wf, N, K, spec, gw);
    // Explicit dequant(quant(x)) row by row, with the weight's spec.
    QuantizedMatrix xq = quantizeOrDie(x, M, K, spec, gx);
    std::vector<float> expected =
        naiveMatmulNT(dequantizeOrDie(xq), M, K, dequantizeOrDie(w), N, nullptr);
    std::vector<float> y(M * N);
    ASSERT_TRUE(qqmatmulRef(x.data(), M, K, w.view(), gx, nullptr, y.data()).isOk())
        << specName(spec);
    EXPECT_EQ(y, expected) << specName(spec);
    // The activation quantization must actually change the result.
    std::vector<float> yw(M * N);
    ASSERT_TRUE(qmatmulRef(x.data(), M, K, w.view(), nullptr, yw.data()).isOk());
    EXPECT_NE(y, yw) << specName(spec);
  }
}

TEST(MatmulTest, QqmatmulRefRowsAreIndependent) {
  // Dynamic per-row scales: row m's output depends only on row m of x.
  std::vector<float> x = gaussian(M * K, 108);
  std::vector<float> wf = gaussian(N * K, 109);
  QuantizedMatrix w = quantizeOrDie(wf, N, K, defaultSpec(Mode::kNvfp4));
  std::vector<float> y(M * N);
  ASSERT_TRUE(qqmatmulRef(x.data(), M, K, w.view(), std::nullopt, nullptr, y.data()).isOk());
  for (int64_t m = 0; m < M; ++m) {
    std::vector<float> y1(N);
    ASSERT_TRUE(qqmatmulRef(x.data() + m * K, 1, K, w.view(), std::nullopt,
                            nullptr, y1.data())
                    .isOk());
    for (int64_t n = 0; n < N; ++n)
      EXPECT_EQ(y1[n], y[m * N + n]);
  }
}

TEST(MatmulTest, QqmmGlobalScalesBothOrNeither) {
  std::vector<float> x = gaussian(M * K, 110);
  std::vector<float> wf = gaussian(N * K, 111);
  std::vector<float> y(M * N);
  const std::string both =
      "[qqmm] For nvfp4 mode, either both global_scale_x and global_scale_w "
      "must be provided, or neither.";
  QuantizedMatrix plain = quantizeOrDie(wf, N, K, defaultSpec(Mode::kNvfp4));
  EXPECT_EQ(qqmatmulRef(x.data(), M, K, plain.view(), 2.0f, nullptr, y.data()).message(),
            both);
  QuantSpec nvg = defaultSpec(Mode::kNvfp4);
  nvg.globalScale = true;
  QuantizedMatrix two = quantizeOrDie(wf, N, K, nvg);
  EXPECT_EQ(qqmatmulRef(x.data(), M, K, two.view(), std::nullopt, nullptr, y.data())
                .message(),
            both);
  QuantizedMatrix mx = quantizeOrDie(wf, N, K, defaultSpec(Mode::kMxfp8));
  EXPECT_EQ(qqmatmulRef(x.data(), M, K, mx.view(), 1.0f, nullptr, y.data()).message(),
            "[qqmm] Global scale is only supported for 'nvfp4' quantization mode.");
}

TEST(MatmulTest, ShapeAndBufferErrors) {
  std::vector<float> x = gaussian(M * K, 112);
  std::vector<float> wf = gaussian(N * K, 113);
  QuantizedMatrix w = quantizeOrDie(wf, N, K, defaultSpec(Mode::kAffine));
  std::vector<float> y(M * N);
  Status s = qmatmulRef(x.data(), M, 128, w.view(), nullptr, y.data());
  EXPECT_EQ(s.message(),
            "[quantized_matmul] Last dimension of first input with shape (5, "
            "128) does not match the expanded quantized matrix (7, 256).");
  EXPECT_FALSE(qmatmulRef(x.data(), M, K, w.view(), nullptr, nullptr).isOk());
  EXPECT_FALSE(qqmatmulRef(nullptr, M, K, w.view(), std::nullopt, nullptr, y.data()).isOk());
  QuantizedWeightView broken = w.view();
  broken.biases = nullptr;
  EXPECT_EQ(qmatmulRef(x.data(), M, K, broken, nullptr, y.data()).message(),
            "[dequantize] Biases must be provided for affine quantization.");
  // M = 0 is an empty product, not an error.
  EXPECT_TRUE(qmatmulRef(x.data(), 0, K, w.view(), nullptr, y.data()).isOk());
}

} // namespace
} // namespace vlmc::quant
