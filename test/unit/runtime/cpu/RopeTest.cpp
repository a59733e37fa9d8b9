// RoPE against the formulas written out here: HF's fp32 angles
// (inv = 1 / theta^(float(2j)/float(n)) with the power correctly rounded,
// angle = float(pos) * inv) with the rotation in double, a pure
// double-precision version for small positions, and hand-computed values.
#include "CpuTestUtil.h"

#include "vlmc/cpu/Kernels.h"

namespace vlmc::cpu {
namespace {

using test::gaussian;

// The spec, spelled out: slot i's section s (cumulative ranges), the stream
// giving its position, and its frequency index j / embedding width n.
struct SlotRule {
  int64_t stream, j, n;
};

SlotRule slotRule(int64_t i, int64_t D, const std::vector<int64_t> &sections,
                  bool axial) {
  if (sections.empty())
    return {0, i, D};
  int64_t start = 0;
  for (size_t s = 0; s < sections.size(); ++s) {
    if (i < start + sections[s])
      return axial
                 ? SlotRule{static_cast<int64_t>(s), i - start, 2 * sections[s]}
                 : SlotRule{static_cast<int64_t>(s), i, D};
    start += sections[s];
  }
  ADD_FAILURE() << "slot outside the sections";
  return {0, 0, 1};
}

// fp32Angles: HF's fp32 angle; otherwise the exact angle in double.
std::vector<double> referenceRope(const std::vector<float> &x, int64_t S,
                                  int64_t H, int64_t D,
                                  const std::vector<int32_t> &pos,
                                  const std::vector<int64_t> &sections,
                                  bool axial, float theta, bool fp32Angles) {
  std::vector<double> y(x.size());
  const int64_t half = D / 2;
  for (int64_t t = 0; t < S; ++t)
    for (int64_t i = 0; i < half; ++i) {
      const SlotRule r = slotRule(i, D, sections, axial);
      const int32_t p = pos[r.stream * S + t];
      double angle;
      if (fp32Angles) {
        // HF's fp32 exponent; theta ** e correctly rounded to fp32.
        const float e = static_cast<float>(2 * r.j) / static_cast<float>(r.n);
        const float inv =
            1.0f / static_cast<float>(std::pow(static_cast<double>(theta),
                                               static_cast<double>(e)));
        angle = static_cast<float>(p) * inv;
      } else {
        angle = p * std::pow(static_cast<double>(theta), -2.0 * r.j / r.n);
      }
      const double c = std::cos(angle), s = std::sin(angle);
      for (int64_t h = 0; h < H; ++h) {
        const int64_t base = (t * H + h) * D;
        const double a = x[base + i], b = x[base + i + half];
        y[base + i] = a * c - b * s;
        y[base + i + half] = b * c + a * s;
      }
    }
  return y;
}

struct RopeCase {
  int64_t S, H, D;
  std::vector<int64_t> sections;
  bool axial;
  int32_t maxPos;
};

std::string caseName(const RopeCase &c) {
  std::string s = "S=" + std::to_string(c.S) + " H=" + std::to_string(c.H) +
                  " D=" + std::to_string(c.D) + " sections=[";
  for (int64_t v : c.sections)
    s += std::to_string(v) + ",";
  return s + "]" + (c.axial ? " axial" : "") +
         " maxPos=" + std::to_string(c.maxPos);
}

void runCase(const RopeCase &c, uint32_t seed) {
  const int64_t streams =
      c.sections.empty() ? 1 : static_cast<int64_t>(c.sections.size());
  std::vector<float> x = gaussian(c.S * c.H * c.D, seed);
  std::vector<int32_t> pos =
      test::randomInts(streams * c.S, seed + 1, 0, c.maxPos);
  std::vector<float> y(x.size());
  const float theta = c.axial ? 10000.0f : 1000000.0f;
  Status s = rope(x.data(), y.data(), c.S, c.H, c.D, pos.data(), streams,
                  c.sections.data(), static_cast<int64_t>(c.sections.size()),
                  theta, c.axial);
  ASSERT_TRUE(s.isOk()) << caseName(c) << ": " << s.message();
  const std::vector<double> hf =
      referenceRope(x, c.S, c.H, c.D, pos, c.sections, c.axial, theta, true);
  for (size_t i = 0; i < y.size(); ++i)
    ASSERT_NEAR(y[i], hf[i], 1e-5) << caseName(c) << " at " << i;
  if (c.maxPos <= 64) {
    const std::vector<double> exact =
        referenceRope(x, c.S, c.H, c.D, pos, c.sections, c.axial, theta, false);
    for (size_t i = 0; i < y.size(); ++i)
      ASSERT_NEAR(y[i], exact[i], 2e-5) << caseName(c) << " (double) at " << i;
  }
  // In place gives the same bits.
  std::vector<float> inPlace = x;
  ASSERT_TRUE(rope(inPlace.data(), inPlace.data(), c.S, c.H, c.D, pos.data(),
                   streams, c.sections.data(),
                   static_cast<int64_t>(c.sections.size()), theta, c.axial)
                  .isOk());
  EXPECT_EQ(test::firstBitDifference(inPlace, y), -1) << caseName(c);
}

TEST(CpuRopeTest, OneDimensional) {
  uint32_t seed = 1;
  for (int64_t D : {2, 4, 64, 128})
    for (int32_t maxPos : {64, 32767})
      runCase({7, 3, D, {}, false, maxPos}, seed += 2);
}

TEST(CpuRopeTest, MultimodalSectionsUseGlobalSlotsAndPerSectionStreams) {
  uint32_t seed = 100;
  runCase({9, 2, 16, {2, 3, 3}, false, 64}, seed += 2);
  runCase({5, 4, 128, {16, 24, 24}, false, 64}, seed += 2); // Qwen2-VL
  runCase({5, 4, 128, {16, 24, 24}, false, 40000}, seed += 2);
}

TEST(CpuRopeTest, AxialSectionsAreIndependentEmbeddings) {
  uint32_t seed = 200;
  runCase({11, 3, 16, {4, 4}, true, 64}, seed += 2);
  runCase({6, 16, 80, {20, 20}, true, 64}, seed += 2); // Qwen2-VL vision, D=80
  runCase({6, 2, 64, {16, 16}, true, 1000}, seed += 2);
  runCase({3, 1, 12, {1, 2, 3}, true, 64}, seed += 2);
}

TEST(CpuRopeTest, HandComputedValues) {
  // D = 4, theta = 1e4: inv = [1, 1e4^(-1/2) = 0.01]. pos 1, x = [1, 2, 3, 4]:
  //   y0 = 1 cos 1 - 3 sin 1,       y2 = 3 cos 1 + 1 sin 1,
  //   y1 = 2 cos .01 - 4 sin .01,   y3 = 4 cos .01 + 2 sin .01.
  const std::vector<float> x = {1, 2, 3, 4};
  std::vector<float> y(4);
  const int32_t pos1[] = {1};
  ASSERT_TRUE(
      rope(x.data(), y.data(), 1, 1, 4, pos1, 1, nullptr, 0, 10000.0f, false)
          .isOk());
  EXPECT_NEAR(y[0], -1.9841106485555495, 1e-6);
  EXPECT_NEAR(y[1], 1.959900667496664, 1e-6);
  EXPECT_NEAR(y[2], 2.4623779024123156, 1e-6);
  EXPECT_NEAR(y[3], 4.019799668334994, 1e-6);

  // Sections [1, 1], streams (2, 5). Non-axial: slot 1 keeps inv 0.01, so
  // its angle is 5 * 0.01 = 0.05. Axial: each section is a width-2
  // embedding, inv = 1, angle 5.
  const int32_t pos2[] = {2, 5};
  const int64_t sections[] = {1, 1};
  ASSERT_TRUE(
      rope(x.data(), y.data(), 1, 1, 4, pos2, 2, sections, 2, 10000.0f, false)
          .isOk());
  EXPECT_NEAR(y[0], 1 * std::cos(2.0) - 3 * std::sin(2.0), 1e-6);
  EXPECT_NEAR(y[2], 3 * std::cos(2.0) + 1 * std::sin(2.0), 1e-6);
  EXPECT_NEAR(y[1], 2 * std::cos(0.05) - 4 * std::sin(0.05), 1e-6);
  EXPECT_NEAR(y[3], 4 * std::cos(0.05) + 2 * std::sin(0.05), 1e-6);
  ASSERT_TRUE(
      rope(x.data(), y.data(), 1, 1, 4, pos2, 2, sections, 2, 10000.0f, true)
          .isOk());
  EXPECT_NEAR(y[1], 2 * std::cos(5.0) - 4 * std::sin(5.0), 1e-6);
  EXPECT_NEAR(y[3], 4 * std::cos(5.0) + 2 * std::sin(5.0), 1e-6);
  // Position 0 is the identity.
  const int32_t pos0[] = {0};
  ASSERT_TRUE(
      rope(x.data(), y.data(), 1, 1, 4, pos0, 1, nullptr, 0, 10000.0f, false)
          .isOk());
  EXPECT_EQ(y, x);
}

TEST(CpuRopeTest, EqualStreamsReduceToOneDimensionalRope) {
  // M-RoPE with t = h = w positions is 1-D RoPE (text tokens in Qwen2-VL),
  // bit for bit; one axial section spanning D/2 is 1-D RoPE too.
  const int64_t S = 6, H = 2, D = 32;
  std::vector<float> x = gaussian(S * H * D, 5);
  std::vector<int32_t> p = test::randomInts(S, 6, 0, 5000);
  std::vector<int32_t> p3;
  for (int r = 0; r < 3; ++r)
    p3.insert(p3.end(), p.begin(), p.end());
  std::vector<float> y1(x.size()), y3(x.size()), yAxial(x.size());
  const int64_t sections[] = {4, 6, 6}, whole[] = {16};
  ASSERT_TRUE(
      rope(x.data(), y1.data(), S, H, D, p.data(), 1, nullptr, 0, 1e6f, false)
          .isOk());
  ASSERT_TRUE(
      rope(x.data(), y3.data(), S, H, D, p3.data(), 3, sections, 3, 1e6f, false)
          .isOk());
  ASSERT_TRUE(
      rope(x.data(), yAxial.data(), S, H, D, p.data(), 1, whole, 1, 1e6f, true)
          .isOk());
  EXPECT_EQ(test::firstBitDifference(y1, y3), -1);
  EXPECT_EQ(test::firstBitDifference(y1, yAxial), -1);
}

TEST(CpuRopeTest, InvalidArgumentsAreErrors) {
  std::vector<float> x(2 * 8, 1.0f), y(2 * 8, 3.0f);
  const int32_t pos[6] = {0, 1, 2, 3, 4, 5};
  auto expectError = [&](Status s, const std::string &needle) {
    ASSERT_FALSE(s.isOk()) << needle;
    EXPECT_NE(s.message().find(needle), std::string::npos) << s.message();
    EXPECT_EQ(y, std::vector<float>(16, 3.0f));
  };
  const int64_t bad[] = {1, 2}, good[] = {2, 2}, zero[] = {4, 0};
  expectError(rope(x.data(), y.data(), 2, 1, 8, pos, 2, bad, 2, 1e4f, false),
              "sum to 3 but must sum to D/2 = 4");
  expectError(rope(x.data(), y.data(), 2, 1, 8, pos, 3, good, 2, 1e4f, false),
              "streams");
  expectError(
      rope(x.data(), y.data(), 2, 1, 8, pos, 2, nullptr, 0, 1e4f, false),
      "streams");
  expectError(rope(x.data(), y.data(), 2, 1, 8, pos, 2, zero, 2, 1e4f, true),
              "size 0");
  expectError(
      rope(x.data(), y.data(), 2, 1, 7, pos, 1, nullptr, 0, 1e4f, false),
      "odd");
  expectError(rope(x.data(), y.data(), 2, 1, 8, pos, 1, nullptr, 0, 1e4f, true),
              "axial");
}

} // namespace
} // namespace vlmc::cpu
