// Quantized products and embeddings against vlmc_quant's references:
// qmatmul vs quant::qmatmulRef and vs an explicit dequantize, qqmatmul vs
// quant::qqmatmulRef, the row dequantizer (through qembedding) bit for bit
// against quant::dequantize, including arbitrary stored bytes.
#include "CpuTestUtil.h"

#include "vlmc/cpu/Kernels.h"
#include "vlmc/cpu/Matmul.h"
#include "vlmc/quant/Quant.h"

#include <optional>

namespace vlmc::cpu {
namespace {

using quant::DType;
using quant::Mode;
using quant::QuantizedMatrix;
using quant::QuantSpec;
using test::gaussian;

QuantSpec nvfp4Global() {
  QuantSpec s = quant::defaultSpec(Mode::kNvfp4);
  s.globalScale = true;
  return s;
}

std::vector<QuantSpec> allSpecs() {
  std::vector<QuantSpec> specs;
  for (int bits : {2, 3, 4, 5, 6, 8})
    for (int g : {32, 64, 128})
      specs.push_back({Mode::kAffine, bits, g, false});
  specs.push_back(quant::defaultSpec(Mode::kMxfp4));
  specs.push_back(quant::defaultSpec(Mode::kMxfp8));
  specs.push_back(quant::defaultSpec(Mode::kNvfp4));
  specs.push_back(nvfp4Global());
  return specs;
}

std::string specName(const QuantSpec &s) {
  return std::string(quant::modeName(s.mode)) + "/b" + std::to_string(s.bits) +
         "/g" + std::to_string(s.groupSize) + (s.globalScale ? "/gs" : "");
}

// Quantizes float weights stored as `type` (so affine scales get that type).
QuantizedMatrix quantizeAs(const std::vector<float> &w, int64_t rows,
                           int64_t cols, const QuantSpec &spec,
                           DType type = DType::kF32) {
  std::vector<uint8_t> src(w.size() * quant::dtypeSize(type));
  EXPECT_TRUE(quant::convertFromFloat(w.data(), static_cast<int64_t>(w.size()),
                                      type, src.data())
                  .isOk());
  Result<QuantizedMatrix> q =
      quant::quantize(src.data(), type, rows, cols, spec);
  EXPECT_TRUE(q.isOk()) << q.status().message();
  return q.isOk() ? std::move(q).value() : QuantizedMatrix{};
}

std::vector<float> dequantized(const quant::QuantizedWeightView &v) {
  std::vector<float> out(static_cast<size_t>(v.rows * v.cols));
  Status s = quant::dequantize(v, out.data(), 1);
  EXPECT_TRUE(s.isOk()) << s.message();
  return out;
}

std::string caseName(const QuantSpec &s, int64_t M, int64_t K, int64_t N) {
  return specName(s) + " M=" + std::to_string(M) + " K=" + std::to_string(K) +
         " N=" + std::to_string(N);
}

//===----------------------------------------------------------------------===//
// qmatmul
//===----------------------------------------------------------------------===//

TEST(CpuQmatmulTest, MatchesQmatmulRefAndExplicitDequantizeForEveryMode) {
  ThreadPool pool(4);
  uint32_t seed = 1000;
  for (const QuantSpec &spec : allSpecs())
    for (int64_t K : {int64_t{256}, int64_t{3} * spec.groupSize})
      for (int64_t M : {1, 2, 3, 4, 5, 8, 17})
        for (int64_t N : {1, 5, 8, 13}) {
          const std::string what = caseName(spec, M, K, N);
          std::vector<float> x = gaussian(M * K, seed++);
          std::vector<float> wf = gaussian(N * K, seed++, 0.05f);
          std::vector<float> b = gaussian(N, seed++);
          const float *bias = (seed % 2) ? b.data() : nullptr;
          QuantizedMatrix q = quantizeAs(wf, N, K, spec);
          const quant::QuantizedWeightView view = q.view();
          std::vector<float> y(M * N, -1.0f), yRef(M * N);
          Status s = qmatmul(pool, x.data(), M, K, view, bias, y.data());
          ASSERT_TRUE(s.isOk()) << what << ": " << s.message();
          ASSERT_TRUE(quant::qmatmulRef(x.data(), M, K, view, bias, yRef.data())
                          .isOk());
          const std::vector<float> wd = dequantized(view);
          std::vector<double> ref, absRef;
          test::referenceMatmul(x, M, K, wd, N, bias, &ref, &absRef);
          test::expectWithinDotBound(y, ref, absRef, K, what);
          test::expectWithinDotBound(yRef, ref, absRef, K,
                                     what + " (qmatmulRef)");
          if (M > kDotRowsMax) // prefill order == qmatmulRef's order
            EXPECT_EQ(test::firstBitDifference(y, yRef), -1) << what;
          else
            EXPECT_EQ(test::firstBitDifference(
                          y, test::laneMatmul(x, M, K, wd, N, bias)),
                      -1)
                << what;
        }
}

TEST(CpuQmatmulTest, AffineScalesInEveryFloatType) {
  ThreadPool pool(2);
  const int64_t M = 6, K = 128, N = 7;
  std::vector<float> x = gaussian(M * K, 11);
  std::vector<float> wf = gaussian(N * K, 12, 0.1f);
  for (DType type : {DType::kF32, DType::kF16, DType::kBF16})
    for (int bits : {3, 4, 8}) {
      const QuantSpec spec{Mode::kAffine, bits, 64, false};
      QuantizedMatrix q = quantizeAs(wf, N, K, spec, type);
      ASSERT_EQ(q.scaleType, type);
      for (int64_t m : {int64_t{1}, M}) {
        std::vector<float> y(m * N), yRef(m * N);
        ASSERT_TRUE(
            qmatmul(pool, x.data(), m, K, q.view(), nullptr, y.data()).isOk());
        ASSERT_TRUE(
            quant::qmatmulRef(x.data(), m, K, q.view(), nullptr, yRef.data())
                .isOk());
        std::vector<double> ref, absRef;
        test::referenceMatmul(x, m, K, dequantized(q.view()), N, nullptr, &ref,
                              &absRef);
        test::expectWithinDotBound(y, ref, absRef, K, quant::dtypeName(type));
        if (m > kDotRowsMax) {
          EXPECT_EQ(test::firstBitDifference(y, yRef), -1)
              << quant::dtypeName(type);
        }
      }
    }
}

TEST(CpuQmatmulTest, OneAndFourThreadsGiveIdenticalBits) {
  ThreadPool one(1), four(4);
  uint32_t seed = 50;
  for (const QuantSpec &spec :
       {QuantSpec{Mode::kAffine, 4, 64, false},
        QuantSpec{Mode::kAffine, 3, 32, false},
        quant::defaultSpec(Mode::kMxfp8), nvfp4Global()})
    for (int64_t M : {1, 3, 70}) {
      const int64_t K = 512, N = 150;
      std::vector<float> x = gaussian(M * K, seed++);
      QuantizedMatrix q =
          quantizeAs(gaussian(N * K, seed++, 0.05f), N, K, spec);
      std::vector<float> b = gaussian(N, seed++);
      std::vector<float> y1(M * N), y4(M * N);
      ASSERT_TRUE(
          qmatmul(one, x.data(), M, K, q.view(), b.data(), y1.data()).isOk());
      ASSERT_TRUE(
          qmatmul(four, x.data(), M, K, q.view(), b.data(), y4.data()).isOk());
      EXPECT_EQ(test::firstBitDifference(y1, y4), -1)
          << caseName(spec, M, K, N);
      if (spec.mode == Mode::kAffine)
        continue;
      ASSERT_TRUE(
          qqmatmul(one, x.data(), M, K, q.view(), b.data(), y1.data()).isOk());
      ASSERT_TRUE(
          qqmatmul(four, x.data(), M, K, q.view(), b.data(), y4.data()).isOk());
      EXPECT_EQ(test::firstBitDifference(y1, y4), -1)
          << "qqmatmul " << caseName(spec, M, K, N);
    }
}

TEST(CpuQmatmulTest, InvalidArgumentsAreErrors) {
  ThreadPool pool(2);
  const int64_t K = 64, N = 4;
  QuantizedMatrix q =
      quantizeAs(gaussian(N * K, 3), N, K, quant::defaultSpec(Mode::kAffine));
  std::vector<float> x(2 * 128), y(2 * N, 9.0f);
  auto expectError = [&](const quant::QuantizedWeightView &v, int64_t k,
                         const std::string &needle) {
    Status s = qmatmul(pool, x.data(), 2, k, v, nullptr, y.data());
    ASSERT_FALSE(s.isOk()) << needle;
    EXPECT_NE(s.message().find(needle), std::string::npos) << s.message();
    EXPECT_EQ(y, std::vector<float>(2 * N, 9.0f)) << "nothing written";
  };
  expectError(q.view(), 128, "does not match the expanded quantized matrix");
  quant::QuantizedWeightView v = q.view();
  v.spec.bits = 7;
  expectError(v, K, "bits");
  v = q.view();
  v.biases = nullptr;
  expectError(v, K, "Biases must be provided");
  v = q.view();
  v.scaleType = DType::kU8;
  expectError(v, K, "Scale type must be a floating type");
  v = q.view();
  v.globalScale = 2.0f;
  expectError(v, K, "global scale");
  v = q.view();
  v.packed = nullptr;
  expectError(v, K, "null");

  QuantizedMatrix nv = quantizeAs(gaussian(N * K, 4), N, K, nvfp4Global());
  v = nv.view();
  v.globalScale.reset();
  expectError(v, K, "no global scale value");
  v = nv.view();
  v.globalScale = -1.0f;
  expectError(v, K, "positive finite");
  v = nv.view();
  v.scaleType = DType::kF32;
  expectError(v, K, "Scale type must be uint8");
}

//===----------------------------------------------------------------------===//
// Row dequantization (through qembedding)
//===----------------------------------------------------------------------===//

TEST(CpuQembeddingTest, GatheredRowsEqualQuantDequantizeBitForBit) {
  uint32_t seed = 300;
  for (const QuantSpec &spec : allSpecs())
    for (DType type : {DType::kF32, DType::kBF16}) {
      const int64_t V = 9, E = 256;
      QuantizedMatrix q = quantizeAs(gaussian(V * E, seed++), V, E, spec, type);
      const std::vector<float> full = dequantized(q.view());
      const std::vector<int32_t> ids = {3, 0, 8, 3, 5, 1, 2, 4, 6, 7};
      std::vector<float> out(ids.size() * E);
      Status s = qembedding(ids.data(), static_cast<int64_t>(ids.size()),
                            q.view(), out.data());
      ASSERT_TRUE(s.isOk()) << s.message();
      for (size_t i = 0; i < ids.size(); ++i)
        for (int64_t e = 0; e < E; ++e)
          ASSERT_TRUE(test::sameFloat(out[i * E + e], full[ids[i] * E + e]))
              << specName(spec) << " row " << ids[i] << " col " << e;
    }
}

TEST(CpuQembeddingTest, ArbitraryStoredBytesDecodeLikeQuantDequantize) {
  // Random packed words and scale bytes (NaN/Inf scales, E8M0 255, E4M3
  // NaN codes): decoding must agree with quant::dequantize on anything.
  std::mt19937 rng(77);
  for (const QuantSpec &spec : allSpecs())
    for (DType type : {DType::kF32, DType::kF16, DType::kBF16}) {
      if (spec.mode != Mode::kAffine && type != DType::kF32)
        continue;
      const int64_t V = 5, E = 384;
      const DType st = spec.mode == Mode::kAffine ? type : DType::kU8;
      std::vector<uint32_t> packed(V * quant::packedWordsPerRow(spec, E));
      for (uint32_t &w : packed)
        w = rng();
      const size_t nScales =
          static_cast<size_t>(V * quant::groupsPerRow(spec, E)) *
          quant::dtypeSize(st);
      std::vector<uint8_t> scales(nScales), biases(nScales);
      for (uint8_t &b : scales)
        b = static_cast<uint8_t>(rng());
      for (uint8_t &b : biases)
        b = static_cast<uint8_t>(rng());
      quant::QuantizedWeightView v;
      v.packed = packed.data();
      v.scales = scales.data();
      v.biases = spec.mode == Mode::kAffine ? biases.data() : nullptr;
      v.scaleType = st;
      v.rows = V;
      v.cols = E;
      v.spec = spec;
      if (spec.globalScale)
        v.globalScale = 3.75f;
      const std::vector<float> full = dequantized(v);
      std::vector<int32_t> ids = {4, 3, 2, 1, 0};
      std::vector<float> out(V * E);
      ASSERT_TRUE(qembedding(ids.data(), V, v, out.data()).isOk());
      for (int64_t i = 0; i < V; ++i)
        for (int64_t e = 0; e < E; ++e)
          ASSERT_TRUE(test::sameFloat(out[i * E + e], full[ids[i] * E + e]))
              << specName(spec) << " " << quant::dtypeName(type) << " row "
              << ids[i] << " col " << e;
    }
}

TEST(CpuQembeddingTest, OutOfRangeIdsAreErrors) {
  QuantizedMatrix q =
      quantizeAs(gaussian(4 * 64, 5), 4, 64, quant::defaultSpec(Mode::kMxfp8));
  std::vector<float> out(2 * 64, 1.0f);
  for (int32_t bad : {4, -1, 1000}) {
    const std::vector<int32_t> ids = {0, bad};
    Status s = qembedding(ids.data(), 2, q.view(), out.data());
    ASSERT_FALSE(s.isOk());
    EXPECT_NE(s.message().find("token id " + std::to_string(bad)),
              std::string::npos)
        << s.message();
    EXPECT_NE(s.message().find("vocabulary of 4"), std::string::npos)
        << s.message();
    EXPECT_EQ(out, std::vector<float>(2 * 64, 1.0f)) << "nothing written";
  }
}

//===----------------------------------------------------------------------===//
// qqmatmul
//===----------------------------------------------------------------------===//

std::vector<QuantSpec> activationSpecs() {
  return {quant::defaultSpec(Mode::kMxfp8), quant::defaultSpec(Mode::kNvfp4),
          nvfp4Global()};
}

// Rows with zeros, tiny and huge values, an infinity and NaNs next to
// ordinary ones.
std::vector<float> awkwardRows(int64_t M, int64_t K, uint32_t seed) {
  std::vector<float> x = gaussian(M * K, seed);
  for (int64_t k = 0; k < K; ++k)
    x[k] = 0.0f; // an all-zero row
  if (M > 1)
    for (int64_t k = 0; k < K; ++k)
      x[K + k] *= 1e-30f; // tiny (E8M0 / E4M3 scale underflow)
  if (M > 2)
    for (int64_t k = 0; k < K; ++k)
      x[2 * K + k] *= 1e6f;
  if (M > 3) {
    x[3 * K + 1] = std::nanf("");
    x[3 * K + 40] = -std::nanf("");
  }
  if (M > 4)
    x[4 * K + 2] = 1e38f;
  return x;
}

TEST(CpuQqmatmulTest, ActivationQuantizationEqualsQuantFakeQuantizeRows) {
  ThreadPool pool(4);
  const int64_t M = 9, K = 160;
  uint32_t seed = 900;
  for (const QuantSpec &spec : activationSpecs())
    for (int rep = 0; rep < 3; ++rep) {
      std::vector<float> x = rep == 0 ? awkwardRows(M, K, seed++)
                                      : gaussian(M * K, seed++, rep * 3.0f);
      std::optional<float> g;
      if (spec.globalScale)
        g = rep == 0 ? 1e6f
                     : quant::computeGlobalScale(x.data(), DType::kF32, M * K);
      std::vector<float> mine(M * K), ref(M * K);
      Status s = fakeQuantizeRows(pool, x.data(), M, K, spec, g, mine.data());
      ASSERT_TRUE(s.isOk()) << s.message();
      ASSERT_TRUE(
          quant::fakeQuantizeRows(x.data(), M, K, spec, ref.data(), g).isOk());
      EXPECT_EQ(test::firstBitDifference(mine, ref), -1)
          << specName(spec) << " rep " << rep;
    }
}

TEST(CpuQqmatmulTest, MatchesQqmatmulRef) {
  ThreadPool pool(4);
  uint32_t seed = 2000;
  for (const QuantSpec &spec : activationSpecs())
    for (int64_t M : {1, 2, 4, 5, 12})
      for (int64_t N : {1, 7, 16}) {
        const int64_t K = 192;
        const std::string what = caseName(spec, M, K, N);
        std::vector<float> x = gaussian(M * K, seed++);
        std::vector<float> b = gaussian(N, seed++);
        QuantizedMatrix q =
            quantizeAs(gaussian(N * K, seed++, 0.05f), N, K, spec);
        std::optional<float> gx;
        if (spec.globalScale)
          gx = quant::computeGlobalScale(x.data(), DType::kF32, M * K);
        std::vector<float> y(M * N), yRef(M * N), xq(M * K);
        Status s = qqmatmul(pool, x.data(), M, K, q.view(), b.data(), y.data());
        ASSERT_TRUE(s.isOk()) << what << ": " << s.message();
        ASSERT_TRUE(quant::qqmatmulRef(x.data(), M, K, q.view(), gx, b.data(),
                                       yRef.data())
                        .isOk());
        // Independent check: explicit fake quantization + dequantization.
        QuantSpec xs = spec;
        xs.globalScale = gx.has_value();
        ASSERT_TRUE(
            quant::fakeQuantizeRows(x.data(), M, K, xs, xq.data(), gx).isOk());
        std::vector<double> ref, absRef;
        test::referenceMatmul(xq, M, K, dequantized(q.view()), N, b.data(),
                              &ref, &absRef);
        test::expectWithinDotBound(y, ref, absRef, K, what);
        if (M > kDotRowsMax)
          EXPECT_EQ(test::firstBitDifference(y, yRef), -1) << what;
        else
          test::expectWithinDotBound(yRef, ref, absRef, K, what + " (ref)");
      }
}

TEST(CpuQqmatmulTest, GlobalScaleIsTheTensorAbsmaxOfX) {
  // Scaling one row changes the other rows' results (shared global scale),
  // exactly as qqmatmulRef with computeGlobalScale(x) predicts.
  ThreadPool pool(2);
  // M > kDotRowsMax: the prefill order, bit-identical to qqmatmulRef.
  const int64_t M = kDotRowsMax + 4, K = 64, N = 5;
  std::vector<float> x = gaussian(M * K, 31);
  QuantizedMatrix q =
      quantizeAs(gaussian(N * K, 32, 0.05f), N, K, nvfp4Global());
  for (float factor : {1.0f, 300.0f}) {
    for (int64_t k = 0; k < K; ++k)
      x[5 * K + k] *= factor;
    std::vector<float> y(M * N), yRef(M * N);
    ASSERT_TRUE(
        qqmatmul(pool, x.data(), M, K, q.view(), nullptr, y.data()).isOk());
    const float gx = quant::computeGlobalScale(x.data(), DType::kF32, M * K);
    ASSERT_TRUE(
        quant::qqmatmulRef(x.data(), M, K, q.view(), gx, nullptr, yRef.data())
            .isOk());
    EXPECT_EQ(test::firstBitDifference(y, yRef), -1) << factor;
  }
  // All-zero activations: global scale 1 (any value gives zero codes).
  std::vector<float> zeros(M * K, 0.0f), y(M * N, 5.0f);
  ASSERT_TRUE(
      qqmatmul(pool, zeros.data(), M, K, q.view(), nullptr, y.data()).isOk());
  EXPECT_EQ(y, std::vector<float>(M * N, 0.0f));
  // An infinite activation has no finite global scale.
  x[7] = INFINITY;
  Status s = qqmatmul(pool, x.data(), M, K, q.view(), nullptr, y.data());
  EXPECT_FALSE(s.isOk());
  EXPECT_NE(s.message().find("Global scale"), std::string::npos) << s.message();
}

TEST(CpuQqmatmulTest, UnsupportedModesAreErrors) {
  ThreadPool pool(1);
  const int64_t K = 64, N = 2;
  std::vector<float> x(K, 1.0f), y(N);
  for (Mode mode : {Mode::kAffine, Mode::kMxfp4}) {
    QuantizedMatrix q =
        quantizeAs(gaussian(N * K, 8), N, K, quant::defaultSpec(mode));
    Status s = qqmatmul(pool, x.data(), 1, K, q.view(), nullptr, y.data());
    ASSERT_FALSE(s.isOk());
    EXPECT_NE(
        s.message().find(
            std::string("activation quantization is not supported for mode ") +
            quant::modeName(mode)),
        std::string::npos)
        << s.message();
  }
}

} // namespace
} // namespace vlmc::cpu
