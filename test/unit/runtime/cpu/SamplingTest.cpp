// cpu::sampleToken against independent arithmetic: softmax in double, the
// kept sets worked out by hand, and the draw mapped to tokens by counting.
#include "vlmc/cpu/Sampling.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <vector>

using namespace vlmc;

namespace {

constexpr uint64_t kDraws = uint64_t(1) << 53;

int32_t pick(const std::vector<float> &logits, cpu::SamplingSpec spec, uint64_t draw,
             const std::vector<int32_t> &penalized = {}) {
  const cpu::SamplingStep step{spec, penalized.data(), penalized.size(), draw};
  cpu::SamplingScratch scratch;
  return cpu::sampleToken(logits.data(), int64_t(logits.size()), step, scratch);
}

// How often each token comes out over `grid` evenly spaced draws.
std::map<int32_t, double> frequencies(const std::vector<float> &logits, cpu::SamplingSpec spec,
                                      int grid = 1 << 14) {
  std::map<int32_t, double> f;
  for (int k = 0; k < grid; ++k)
    f[pick(logits, spec, kDraws / uint64_t(grid) * uint64_t(k) + 12345)] += 1.0 / grid;
  return f;
}

cpu::SamplingSpec temperature(float t) {
  cpu::SamplingSpec s;
  s.temperature = t;
  return s;
}

std::vector<float> logOf(const std::vector<double> &p) {
  std::vector<float> l;
  for (double v : p)
    l.push_back(float(std::log(v)));
  return l;
}

} // namespace

TEST(SamplingExp, WithinTwoUlpOfExp) {
  EXPECT_EQ(cpu::samplingExp(0.0f), 1.0f);
  EXPECT_EQ(cpu::samplingExp(-0.0f), 1.0f);
  for (float y = -86.9f; y <= 0.0f; y += 0.0137f) {
    const double want = std::exp(double(y));
    EXPECT_NEAR(cpu::samplingExp(y), want, want * 2.5e-7) << "y = " << y;
  }
  EXPECT_EQ(cpu::samplingExp(-87.5f), 0.0f);
  EXPECT_EQ(cpu::samplingExp(-std::numeric_limits<float>::infinity()), 0.0f);
  EXPECT_EQ(cpu::samplingExp(std::numeric_limits<float>::quiet_NaN()), 0.0f);
}

TEST(SamplingWeights, ThresholdIsTheExactFloor) {
  EXPECT_EQ(cpu::samplingWeight(1.0f), uint64_t(1) << 40);
  EXPECT_EQ(cpu::samplingWeight(0.5f), uint64_t(1) << 39);
  EXPECT_EQ(cpu::samplingThreshold(10, 0), 0u);
  EXPECT_EQ(cpu::samplingThreshold(10, kDraws - 1), 9u);
  EXPECT_EQ(cpu::samplingThreshold(10, kDraws / 2), 5u);
  const uint64_t big = (uint64_t(1) << 57) + 3;
  EXPECT_EQ(cpu::samplingThreshold(big, kDraws / 4), big / 4);
}

TEST(SampleToken, GreedyIsTheFirstLargestAndNaNNeverWins) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(pick({1.0f, 3.0f, 3.0f, 2.0f}, temperature(0), 0), 1);
  EXPECT_EQ(pick({nan, 1.0f, nan, 2.0f}, temperature(0), 0), 3);
  EXPECT_EQ(pick({nan, nan}, temperature(0), 0), 0);
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(pick({-inf, -inf, -inf}, temperature(0), 0), 0);
}

// MLX-VLM (and transformers) gather the penalized logits and scatter them
// back: a token repeated in the history is penalized once.
TEST(SampleToken, PenaltyOncePerDistinctToken) {
  cpu::SamplingSpec s = temperature(0);
  s.penalty = 1.5f;
  // 3 / 1.5 = 2 > 1.9; twice it would be 1.33 < 1.9.
  EXPECT_EQ(pick({3.0f, 1.9f}, s, 0, {0, 0, 0}), 0);
  // Negative logits are multiplied: -1 * 1.5 < -1.2.
  EXPECT_EQ(pick({-1.0f, -1.2f}, s, 0, {0}), 1);
  // Ids outside the vocabulary are ignored.
  EXPECT_EQ(pick({3.0f, 1.9f}, s, 0, {-1, 2, 7}), 0);
}

TEST(SampleToken, FollowsTheSoftmaxAtTheTemperature) {
  const std::vector<float> logits = {0.3f, -1.0f, 2.0f, 0.0f, 1.1f};
  for (float t : {0.5f, 1.0f, 2.0f}) {
    std::vector<double> p;
    double total = 0;
    for (float l : logits)
      total += std::exp(double(l) / t), p.push_back(std::exp(double(l) / t));
    std::map<int32_t, double> f = frequencies(logits, temperature(t));
    for (size_t i = 0; i < logits.size(); ++i)
      EXPECT_NEAR(f[int32_t(i)], p[i] / total, 2.0 / (1 << 14)) << "t=" << t << " token " << i;
  }
}

TEST(SampleToken, DrawsWalkTheKeptTokensInIndexOrder) {
  // Weights 1/2, 1/4, 1/4: the first half of the draws gives token 0.
  const std::vector<float> logits = logOf({0.5, 0.25, 0.25});
  const cpu::SamplingSpec s = temperature(1);
  EXPECT_EQ(pick(logits, s, 0), 0);
  EXPECT_EQ(pick(logits, s, kDraws / 2 - 1), 0);
  EXPECT_EQ(pick(logits, s, kDraws / 2 + 1), 1);
  EXPECT_EQ(pick(logits, s, kDraws / 4 * 3 + 1), 2);
  EXPECT_EQ(pick(logits, s, kDraws - 1), 2);
}

TEST(SampleToken, TopKKeepsTheLargestAndCutsTiesByIndex) {
  cpu::SamplingSpec s = temperature(1);
  s.topK = 2;
  std::map<int32_t, double> f = frequencies(logOf({0.1, 0.4, 0.2, 0.3}), s);
  EXPECT_EQ(f.size(), 2u);
  EXPECT_NEAR(f[1], 0.4 / 0.7, 1e-3);
  EXPECT_NEAR(f[3], 0.3 / 0.7, 1e-3);
  // Four equal logits, two kept: the first two.
  f = frequencies({1.0f, 1.0f, 1.0f, 1.0f, 0.0f}, s);
  EXPECT_EQ(f.size(), 2u);
  EXPECT_NEAR(f[0], 0.5, 1e-3);
  EXPECT_NEAR(f[1], 0.5, 1e-3);
  s.topK = 5; // the whole vocabulary: no cut
  EXPECT_EQ(frequencies({1.0f, 1.0f, 1.0f, 1.0f, 0.0f}, s).size(), 5u);
}

TEST(SampleToken, TopPKeepsTheShortestPrefixReachingTheMass) {
  const std::vector<float> logits = logOf({0.05, 0.5, 0.15, 0.3});
  cpu::SamplingSpec s = temperature(1);
  s.topP = 0.75f; // 0.5 + 0.3
  std::map<int32_t, double> f = frequencies(logits, s);
  EXPECT_EQ(f.size(), 2u);
  EXPECT_NEAR(f[1], 0.5 / 0.8, 1e-3);
  s.topP = 0.85f; // + 0.15
  EXPECT_EQ(frequencies(logits, s).size(), 3u);
  s.topP = 0.4f; // the largest alone
  f = frequencies(logits, s);
  EXPECT_EQ(f.size(), 1u);
  EXPECT_EQ(f.begin()->first, 1);
  // Ties at the cut: ten equal tokens, top-p 0.35 keeps the first four.
  s.topP = 0.35f;
  f = frequencies(std::vector<float>(10, 2.0f), s);
  ASSERT_EQ(f.size(), 4u);
  EXPECT_EQ(f.rbegin()->first, 3);
}

TEST(SampleToken, TopPCountsTheWholeVocabularyAfterTopK) {
  // top-k 2 keeps 0.4 + 0.3 of the mass; top-p 0.9 is never reached within
  // them, so both stay; top-p 0.5 cuts to the largest.
  const std::vector<float> logits = logOf({0.1, 0.4, 0.2, 0.3});
  cpu::SamplingSpec s = temperature(1);
  s.topK = 2;
  s.topP = 0.9f;
  EXPECT_EQ(frequencies(logits, s).size(), 2u);
  s.topP = 0.35f;
  EXPECT_EQ(frequencies(logits, s).size(), 1u);
}

TEST(SampleToken, MinPDropsTokensBelowAFractionOfTheLargest) {
  cpu::SamplingSpec s = temperature(1);
  s.minP = 0.2f; // 0.05 / 0.5 = 0.1 is dropped, 0.15 / 0.5 = 0.3 stays
  std::map<int32_t, double> f = frequencies(logOf({0.05, 0.5, 0.15, 0.3}), s);
  EXPECT_EQ(f.size(), 3u);
  EXPECT_EQ(f.count(0), 0u);
}

TEST(SampleToken, NaNAndInfinitiesAreNeverDrawn) {
  const float nan = std::numeric_limits<float>::quiet_NaN(),
              inf = std::numeric_limits<float>::infinity();
  std::map<int32_t, double> f = frequencies({nan, 1.0f, -inf, 1.0f}, temperature(1));
  EXPECT_EQ(f.size(), 2u);
  EXPECT_NEAR(f[1], 0.5, 1e-3);
  // Nothing drawable: token 0.
  EXPECT_EQ(pick({nan, -inf}, temperature(1), kDraws / 3), 0);
}
