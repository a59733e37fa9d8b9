// Dense matmul against a double-precision reference (rigorous fp32 error
// bound), the documented accumulation orders bit for bit, and thread-count
// independence.
#include "CpuTestUtil.h"

#include "vlmc/cpu/Matmul.h"

namespace vlmc::cpu {
namespace {

using test::gaussian;

struct Case {
  int64_t M, K, N;
};

std::string name(const Case &c, bool bias) {
  return "M=" + std::to_string(c.M) + " K=" + std::to_string(c.K) +
         " N=" + std::to_string(c.N) + (bias ? " bias" : "");
}

std::vector<Case> cases() {
  std::vector<Case> cs;
  for (int64_t M = 1; M <= 17; ++M)
    for (int64_t K : {1, 7, 8, 100, 257})
      for (int64_t N : {1, 3, 8, 13})
        cs.push_back({M, K, N});
  cs.push_back({70, 300, 37}); // crosses the 64-row prefill block
  cs.push_back({130, 64, 9});
  cs.push_back({1, 1000, 1000}); // decode-sized
  return cs;
}

TEST(CpuMatmulTest, MatchesDoubleReferenceWithinTheFp32Bound) {
  ThreadPool pool(4);
  uint32_t seed = 1;
  for (const Case &c : cases())
    for (bool withBias : {false, true}) {
      std::vector<float> x = gaussian(c.M * c.K, seed++);
      std::vector<float> w = gaussian(c.N * c.K, seed++, 0.1f);
      std::vector<float> b = gaussian(c.N, seed++);
      const float *bias = withBias ? b.data() : nullptr;
      std::vector<float> y(c.M * c.N, -7.0f);
      matmul(pool, x.data(), c.M, c.K, w.data(), c.N, bias, y.data());
      std::vector<double> ref, absRef;
      test::referenceMatmul(x, c.M, c.K, w, c.N, bias, &ref, &absRef);
      test::expectWithinDotBound(y, ref, absRef, c.K, name(c, withBias));
    }
}

TEST(CpuMatmulTest, FollowsTheDocumentedAccumulationOrderExactly) {
  ThreadPool pool(4);
  uint32_t seed = 100;
  for (const Case &c : cases())
    for (bool withBias : {false, true}) {
      std::vector<float> x = gaussian(c.M * c.K, seed++);
      std::vector<float> w = gaussian(c.N * c.K, seed++);
      std::vector<float> b = gaussian(c.N, seed++);
      const float *bias = withBias ? b.data() : nullptr;
      std::vector<float> y(c.M * c.N);
      matmul(pool, x.data(), c.M, c.K, w.data(), c.N, bias, y.data());
      const std::vector<float> expected =
          c.M <= kDotRowsMax
              ? test::laneMatmul(x, c.M, c.K, w, c.N, bias)
              : test::sequentialMatmul(x, c.M, c.K, w, c.N, bias);
      EXPECT_EQ(test::firstBitDifference(y, expected), -1) << name(c, withBias);
    }
}

TEST(CpuMatmulTest, OneAndFourThreadsGiveIdenticalBits) {
  ThreadPool one(1), four(4);
  uint32_t seed = 200;
  for (Case c : {Case{1, 2048, 300}, Case{3, 100, 77}, Case{4, 64, 5},
                 Case{5, 100, 77}, Case{128, 96, 40}, Case{17, 1, 1}}) {
    std::vector<float> x = gaussian(c.M * c.K, seed++);
    std::vector<float> w = gaussian(c.N * c.K, seed++);
    std::vector<float> b = gaussian(c.N, seed++);
    std::vector<float> y1(c.M * c.N), y4(c.M * c.N);
    matmul(one, x.data(), c.M, c.K, w.data(), c.N, b.data(), y1.data());
    matmul(four, x.data(), c.M, c.K, w.data(), c.N, b.data(), y4.data());
    EXPECT_EQ(test::firstBitDifference(y1, y4), -1) << name(c, true);
  }
}

TEST(CpuMatmulTest, EmptyShapes) {
  ThreadPool pool(2);
  std::vector<float> y(6, 3.0f);
  const std::vector<float> b = {1, 2, 3};
  // K = 0: the empty sum, plus the bias.
  matmul(pool, nullptr, 2, 0, nullptr, 3, b.data(), y.data());
  EXPECT_EQ(y, (std::vector<float>{1, 2, 3, 1, 2, 3}));
  matmul(pool, nullptr, 2, 0, nullptr, 3, nullptr, y.data());
  EXPECT_EQ(y, (std::vector<float>(6, 0.0f)));
  // M = 0 / N = 0 / negative: nothing is touched.
  std::vector<float> untouched(4, 5.0f);
  matmul(pool, nullptr, 0, 4, nullptr, 3, nullptr, untouched.data());
  matmul(pool, nullptr, 3, 4, nullptr, 0, nullptr, untouched.data());
  matmul(pool, nullptr, -1, 4, nullptr, 3, nullptr, untouched.data());
  EXPECT_EQ(untouched, std::vector<float>(4, 5.0f));
}

TEST(CpuMatmulTest, HandComputedProduct) {
  ThreadPool pool(1);
  // x = [[1, 2], [3, 4]], w = [[1, 0], [0, 1], [1, 1]], b = [0.5, 0, -1].
  const std::vector<float> x = {1, 2, 3, 4}, w = {1, 0, 0, 1, 1, 1},
                           b = {0.5f, 0, -1};
  std::vector<float> y(6);
  matmul(pool, x.data(), 2, 2, w.data(), 3, b.data(), y.data());
  EXPECT_EQ(y, (std::vector<float>{1.5f, 2, 2, 3.5f, 4, 6}));
}

} // namespace
} // namespace vlmc::cpu
