// RMSNorm / LayerNorm against double-precision formulas.
#include "CpuTestUtil.h"

#include "vlmc/cpu/Kernels.h"

namespace vlmc::cpu {
namespace {

using test::gaussian;

void expectRelClose(const std::vector<float> &y, const std::vector<double> &ref,
                    double rel, const std::string &what) {
  for (size_t i = 0; i < y.size(); ++i)
    ASSERT_NEAR(y[i], ref[i], rel * (std::fabs(ref[i]) + 1e-6))
        << what << " at " << i;
}

TEST(CpuNormsTest, RmsNormMatchesFormula) {
  uint32_t seed = 1;
  for (int64_t dim : {1, 7, 64, 1000, 1536})
    for (float eps : {1e-6f, 1e-5f, 0.5f}) {
      const int64_t rows = 5;
      std::vector<float> x = gaussian(rows * dim, seed++, 3.0f);
      std::vector<float> w = gaussian(dim, seed++);
      std::vector<float> y(rows * dim);
      rmsNorm(x.data(), rows, dim, w.data(), eps, y.data());
      std::vector<double> ref(rows * dim);
      for (int64_t r = 0; r < rows; ++r) {
        double ms = 0;
        for (int64_t i = 0; i < dim; ++i)
          ms += static_cast<double>(x[r * dim + i]) * x[r * dim + i];
        ms /= static_cast<double>(dim);
        for (int64_t i = 0; i < dim; ++i)
          ref[r * dim + i] = x[r * dim + i] / std::sqrt(ms + eps) * w[i];
      }
      expectRelClose(y, ref, 1e-6, "dim " + std::to_string(dim));
      // In place gives the same bits.
      std::vector<float> inPlace = x;
      rmsNorm(inPlace.data(), rows, dim, w.data(), eps, inPlace.data());
      EXPECT_EQ(test::firstBitDifference(inPlace, y), -1);
    }
}

TEST(CpuNormsTest, RmsNormHandComputed) {
  // x = [3, 4]: mean(x^2) = 12.5, eps = 0 -> x / sqrt(12.5) * w.
  const std::vector<float> x = {3, 4}, w = {1, 2};
  std::vector<float> y(2);
  rmsNorm(x.data(), 1, 2, w.data(), 0.0f, y.data());
  EXPECT_NEAR(y[0], 3 / std::sqrt(12.5), 1e-7);
  EXPECT_NEAR(y[1], 8 / std::sqrt(12.5), 1e-6);
}

TEST(CpuNormsTest, LayerNormMatchesTorchFormulaWithBiasedVariance) {
  uint32_t seed = 100;
  for (int64_t dim : {1, 2, 9, 768, 1152})
    for (float offset : {0.0f, 1000.0f}) { // a large mean must not cancel
      const int64_t rows = 4;
      std::vector<float> x = gaussian(rows * dim, seed++);
      for (float &v : x)
        v += offset;
      std::vector<float> w = gaussian(dim, seed++), b = gaussian(dim, seed++);
      const float eps = 1e-6f;
      std::vector<float> y(rows * dim);
      layerNorm(x.data(), rows, dim, w.data(), b.data(), eps, y.data());
      std::vector<double> ref(rows * dim);
      for (int64_t r = 0; r < rows; ++r) {
        double mean = 0, var = 0;
        for (int64_t i = 0; i < dim; ++i)
          mean += x[r * dim + i];
        mean /= static_cast<double>(dim);
        for (int64_t i = 0; i < dim; ++i)
          var += (x[r * dim + i] - mean) * (x[r * dim + i] - mean);
        var /= static_cast<double>(dim); // biased, as torch
        for (int64_t i = 0; i < dim; ++i)
          ref[r * dim + i] =
              (x[r * dim + i] - mean) / std::sqrt(var + eps) * w[i] + b[i];
      }
      // Absolute tolerance: outputs are O(|w| + |b|); with offset 1000 the
      // input itself carries ~6e-5 of representation error per element.
      const double tol = offset == 0.0f ? 2e-6 : 2e-4;
      for (size_t i = 0; i < y.size(); ++i)
        ASSERT_NEAR(y[i], ref[i], tol * (1 + std::fabs(ref[i])))
            << "dim " << dim << " offset " << offset << " at " << i;
      std::vector<float> inPlace = x;
      layerNorm(inPlace.data(), rows, dim, w.data(), b.data(), eps,
                inPlace.data());
      EXPECT_EQ(test::firstBitDifference(inPlace, y), -1);
    }
}

TEST(CpuNormsTest, LayerNormHandComputed) {
  // x = [1, 3]: mean 2, biased var 1, eps 0 -> [-1, 1] * w + b.
  const std::vector<float> x = {1, 3}, w = {2, 3}, b = {0.5f, -0.5f};
  std::vector<float> y(2);
  layerNorm(x.data(), 1, 2, w.data(), b.data(), 0.0f, y.data());
  EXPECT_EQ(y, (std::vector<float>{-1.5f, 2.5f}));
}

TEST(CpuNormsTest, EmptyShapesDoNothing) {
  std::vector<float> y(3, 7.0f);
  rmsNorm(nullptr, 0, 3, nullptr, 1e-6f, y.data());
  layerNorm(nullptr, 3, 0, nullptr, nullptr, 1e-6f, y.data());
  EXPECT_EQ(y, std::vector<float>(3, 7.0f));
}

} // namespace
} // namespace vlmc::cpu
