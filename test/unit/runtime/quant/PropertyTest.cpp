// Randomized properties (fixed seeds): error bounds derived from each format,
// requantization behaviour, special values, dtype independence, threading.
#include "TestUtil.h"

#include <cmath>
#include <limits>

namespace vlmc::quant {
namespace {

using test::codesOf;
using test::dequantizeOrDie;
using test::gaussian;
using test::quantizeOrDie;
using test::specName;

constexpr float kInf = std::numeric_limits<float>::infinity();

float scaleAt(const QuantizedMatrix &q, int64_t i) {
  float s;
  std::memcpy(&s, q.scales.data() + 4 * i, 4);
  return s;
}

float biasAt(const QuantizedMatrix &q, int64_t i) {
  float b;
  std::memcpy(&b, q.biases.data() + 4 * i, 4);
  return b;
}

// Half the distance to the neighbouring representable value of an element
// format at magnitude |v| (the largest RNE error there), plus the amount by
// which |v| exceeds the format's max (saturation).
float elementErrorBound(Mode mode, float v) {
  v = std::fabs(v);
  if (mode == Mode::kMxfp8) {
    float half = v < 0.015625f ? std::ldexp(1.0f, -10)
                               : std::ldexp(1.0f, std::ilogb(v) - 4);
    return half + std::max(0.0f, v - 448.0f);
  }
  float half = v < 2.0f ? 0.25f : (v < 4.0f ? 0.5f : 1.0f);
  return half + std::max(0.0f, v - 6.0f);
}

// Checks every element against the bound of its group; returns the number of
// groups checked.
void expectWithinFormatBounds(const std::vector<float> &w,
                              const QuantizedMatrix &q) {
  std::vector<float> d = dequantizeOrDie(q);
  const int g = q.spec.groupSize;
  const int64_t groups = q.rows * q.cols / g;
  for (int64_t gi = 0; gi < groups; ++gi) {
    const float *wg = w.data() + gi * g;
    const float *dg = d.data() + gi * g;
    if (q.spec.mode == Mode::kAffine) {
      // Rounding costs at most |scale|/2; zero snapping can shrink the grid
      // below the group's range, and the shortfall is clipped (vector D).
      const float nBins = static_cast<float>((1 << q.spec.bits) - 1);
      float lo = wg[0], hi = 0.0f;
      for (int i = 0; i < g; ++i) {
        lo = std::min(lo, wg[i]);
        hi = std::max(hi, wg[i]);
      }
      const float s = std::fabs(scaleAt(q, gi));
      const float shortfall = std::max(0.0f, (hi - lo) - nBins * s);
      const float bound = s / 2 + shortfall + 1e-5f * (std::fabs(hi) + std::fabs(lo));
      for (int i = 0; i < g; ++i)
        ASSERT_LE(std::fabs(dg[i] - wg[i]), bound)
            << specName(q.spec) << " group " << gi << " element " << i;
    } else {
      const uint8_t byte = q.scales[static_cast<size_t>(gi)];
      float sDec = q.spec.mode == Mode::kNvfp4 ? decodeE4M3(byte) : decodeE8M0(byte);
      if (q.globalScale)
        sDec *= *q.globalScale / 2688.0f;
      ASSERT_GT(sDec, 0.0f) << "unexpected underflowed scale";
      float amax = 0.0f;
      for (int i = 0; i < g; ++i)
        amax = std::max(amax, std::fabs(wg[i]));
      if (q.spec.mode != Mode::kNvfp4) { // ceil E8M0 never saturates
        ASSERT_LE(amax / sDec, elementMax(q.spec.mode)) << "group " << gi;
      }
      for (int i = 0; i < g; ++i) {
        const float v = wg[i] / sDec;
        const float bound =
            sDec * elementErrorBound(q.spec.mode, v) * (1.0f + 1e-6f) + 1e-6f * amax;
        ASSERT_LE(std::fabs(dg[i] - wg[i]), bound)
            << specName(q.spec) << " group " << gi << " element " << i;
      }
    }
  }
}

TEST(PropertyTest, DequantErrorWithinFormatBounds) {
  uint32_t seed = 1;
  for (const QuantSpec &spec : test::allSpecs()) {
    for (float sigma : {1.0f, 0.02f, 300.0f}) {
      if (spec.mode == Mode::kNvfp4 && sigma == 0.02f)
        continue; // small groups underflow without a global scale (below)
      std::vector<float> w = gaussian(16 * 256, seed++, sigma);
      QuantizedMatrix q = quantizeOrDie(w, 16, 256, spec);
      SCOPED_TRACE(specName(spec) + " sigma " + std::to_string(sigma));
      expectWithinFormatBounds(w, q);
    }
  }
}

TEST(PropertyTest, Nvfp4GlobalScaleErrorWithinFormatBounds) {
  QuantSpec spec = defaultSpec(Mode::kNvfp4);
  spec.globalScale = true;
  for (float sigma : {1.0f, 0.02f, 1e-4f}) {
    std::vector<float> w = gaussian(16 * 256, 77, sigma);
    QuantizedMatrix q = quantizeOrDie(w, 16, 256, spec); // g = absmax
    ASSERT_TRUE(q.globalScale.has_value());
    EXPECT_EQ(*q.globalScale, computeGlobalScale(w.data(), DType::kF32, 16 * 256));
    expectWithinFormatBounds(w, q);
  }
}

TEST(PropertyTest, Nvfp4WithoutGlobalScaleUnderflowsSmallGroups) {
  // Groups with amax < 6 * 2^-10 get scale byte 0 and decode to exact zeros
  // (mlx-quant.md §1.6 pitfall).
  std::vector<float> w = gaussian(4 * 64, 5, 0.001f);
  for (float &v : w)
    v = std::max(-0.005f, std::min(0.005f, v));
  QuantizedMatrix q = quantizeOrDie(w, 4, 64, defaultSpec(Mode::kNvfp4));
  for (uint8_t s : q.scales)
    EXPECT_EQ(s, 0);
  for (float v : dequantizeOrDie(q))
    EXPECT_EQ(v, 0.0f);
}

//===----------------------------------------------------------------------===//
// Requantization. MLX's rules are not projections in general, so each mode
// asserts exactly what its format guarantees.
//===----------------------------------------------------------------------===//

TEST(PropertyTest, Nvfp4RequantizationIsByteIdentical) {
  // S = E4M3(amax/6) puts amax/S in [5.6, 6.4], so the dequantized max is
  // 6*S and requantization finds the same scale and codes.
  for (bool gs : {false, true}) {
    QuantSpec spec = defaultSpec(Mode::kNvfp4);
    spec.globalScale = gs;
    std::vector<float> w = gaussian(32 * 256, 11, 1.0f);
    QuantizedMatrix q1 = quantizeOrDie(w, 32, 256, spec);
    std::vector<float> d = dequantizeOrDie(q1);
    QuantizedMatrix q2 = quantizeOrDie(d, 32, 256, spec, q1.globalScale);
    EXPECT_EQ(q2.packed, q1.packed) << "global scale " << gs;
    EXPECT_EQ(q2.scales, q1.scales) << "global scale " << gs;
  }
}

TEST(PropertyTest, MxRequantizationPreservesValuesAndBytesAboveHalfRange) {
  // With ceil E8M0, amax/S lies in (M/2, M]. If the largest code rounds down
  // to exactly M/2 (e.g. 3.1 -> 3 for E2M1) the second pass picks S/2 and
  // doubles every code: different bytes, identical values. Otherwise the
  // bytes are identical.
  for (Mode mode : {Mode::kMxfp4, Mode::kMxfp8}) {
    const QuantSpec spec = defaultSpec(mode);
    std::vector<float> w = gaussian(64 * 256, 21, 1.0f);
    QuantizedMatrix q1 = quantizeOrDie(w, 64, 256, spec);
    std::vector<float> d1 = dequantizeOrDie(q1);
    QuantizedMatrix q2 = quantizeOrDie(d1, 64, 256, spec);
    EXPECT_EQ(dequantizeOrDie(q2), d1) << modeName(mode);
    int sameGroups = 0, halvedGroups = 0;
    const float half = elementMax(mode) / 2;
    for (int64_t r = 0; r < 64; ++r) {
      std::vector<uint8_t> c1 = codesOf(q1, r), c2 = codesOf(q2, r);
      for (int gi = 0; gi < 8; ++gi) {
        float vmax = 0.0f;
        for (int i = 0; i < 32; ++i)
          vmax = std::max(vmax, std::fabs(mode == Mode::kMxfp8
                                              ? decodeE4M3(c1[gi * 32 + i])
                                              : decodeE2M1(c1[gi * 32 + i])));
        const size_t si = static_cast<size_t>(r * 8 + gi);
        if (vmax > half) {
          ++sameGroups;
          EXPECT_EQ(q2.scales[si], q1.scales[si]);
          for (int i = 0; i < 32; ++i)
            EXPECT_EQ(c2[gi * 32 + i], c1[gi * 32 + i]);
        } else {
          ++halvedGroups;
          EXPECT_EQ(q2.scales[si], q1.scales[si] - 1);
        }
      }
    }
    EXPECT_GT(sameGroups, 0);
    EXPECT_GT(halvedGroups, 0) << "the seed should exercise the halving band";
  }
}

TEST(PropertyTest, AffineRequantizationIsNotAlwaysIdempotent) {
  // Hand example (4-bit, g32): lo = -1.125, hi = 0.671875. k = 1.125 /
  // (1.796875/15) = 9.39 -> 9, scale 0.125; hi gets code 14 (14.375) and
  // decodes to 0.625. Requantizing sees hi' = 0.625: k' = 1.125 / (1.75/15)
  // = 9.64 -> 10, scale' = 0.1125. MLX's affine rule is not a projection.
  std::vector<float> w(32, 0.0f);
  w[0] = -1.125f;
  w[1] = 0.671875f;
  const QuantSpec spec{Mode::kAffine, 4, 32, false};
  QuantizedMatrix q1 = quantizeOrDie(w, 1, 32, spec);
  EXPECT_EQ(scaleAt(q1, 0), 0.125f);
  std::vector<float> d1 = dequantizeOrDie(q1);
  EXPECT_EQ(d1[1], 0.625f);
  QuantizedMatrix q2 = quantizeOrDie(d1, 1, 32, spec);
  EXPECT_FLOAT_EQ(scaleAt(q2, 0), 0.1125f);
  EXPECT_EQ(biasAt(q2, 0), -1.125f);
}

TEST(PropertyTest, AffineRequantizationIsByteIdenticalForFullRangeGroups) {
  // When a group uses both code 0 and code 2^b-1 and its anchor side does not
  // flip, the second pass recomputes the same k, hence bit-identical
  // scale/bias and codes.
  for (int bits : {2, 3, 4, 5, 6, 8}) {
    const QuantSpec spec{Mode::kAffine, bits, 64, false};
    const uint8_t top = static_cast<uint8_t>((1 << bits) - 1);
    std::vector<float> w = gaussian(32 * 256, 31u + bits, 1.0f);
    QuantizedMatrix q1 = quantizeOrDie(w, 32, 256, spec);
    std::vector<float> d1 = dequantizeOrDie(q1);
    QuantizedMatrix q2 = quantizeOrDie(d1, 32, 256, spec);
    int checked = 0;
    for (int64_t r = 0; r < 32; ++r) {
      std::vector<uint8_t> c1 = codesOf(q1, r), c2 = codesOf(q2, r);
      for (int gi = 0; gi < 4; ++gi) {
        bool hasZero = false, hasTop = false;
        float lo = 0, hi = 0, lo2 = 0, hi2 = 0;
        for (int i = 0; i < 64; ++i) {
          const size_t k = static_cast<size_t>(r * 256 + gi * 64 + i);
          hasZero |= c1[gi * 64 + i] == 0;
          hasTop |= c1[gi * 64 + i] == top;
          lo = std::min(lo, w[k]), hi = std::max(hi, w[k]);
          lo2 = std::min(lo2, d1[k]), hi2 = std::max(hi2, d1[k]);
        }
        const bool sameSide = (std::fabs(lo) > std::fabs(hi)) ==
                              (std::fabs(lo2) > std::fabs(hi2));
        if (!hasZero || !hasTop || !sameSide)
          continue;
        ++checked;
        const int64_t si = r * 4 + gi;
        EXPECT_EQ(test::bitsOf(scaleAt(q2, si)), test::bitsOf(scaleAt(q1, si)));
        EXPECT_EQ(test::bitsOf(biasAt(q2, si)), test::bitsOf(biasAt(q1, si)));
        for (int i = 0; i < 64; ++i)
          EXPECT_EQ(c2[gi * 64 + i], c1[gi * 64 + i]);
      }
    }
    EXPECT_GT(checked, 10) << "bits " << bits;
  }
}

//===----------------------------------------------------------------------===//
// Zero groups and special values.
//===----------------------------------------------------------------------===//

TEST(PropertyTest, AllZeroGroupsDequantizeToExactZeros) {
  for (const QuantSpec &spec : test::allSpecs()) {
    std::vector<float> w = gaussian(4 * 256, 3, 1.0f);
    // Zero out row 1 entirely and the first group of row 2.
    std::fill(w.begin() + 256, w.begin() + 512, 0.0f);
    std::fill(w.begin() + 512, w.begin() + 512 + spec.groupSize, 0.0f);
    QuantizedMatrix q = quantizeOrDie(w, 4, 256, spec);
    std::vector<float> d = dequantizeOrDie(q);
    for (int i = 256; i < 512 + spec.groupSize; ++i) {
      ASSERT_EQ(d[i], 0.0f) << specName(spec) << " element " << i;
      ASSERT_FALSE(std::signbit(d[i])) << specName(spec);
    }
    const int64_t groups = groupsPerRow(spec, 256);
    if (spec.mode == Mode::kAffine) {
      // k = 0 branch: scale = -1e-7 (hi anchor), bias = 0, codes 0.
      EXPECT_EQ(scaleAt(q, groups), -1e-7f) << specName(spec);
      EXPECT_EQ(biasAt(q, groups), 0.0f);
    } else {
      EXPECT_EQ(q.scales[static_cast<size_t>(groups)], 0) << specName(spec);
    }
    for (uint8_t c : codesOf(q, 1))
      ASSERT_EQ(c, 0);
  }
}

std::vector<float> groupWith(int g, uint32_t seed) {
  std::vector<float> w = gaussian(static_cast<size_t>(g), seed, 1.0f);
  return w;
}

TEST(PropertyTest, NaNIsSkippedByTheScaleAndEncodedAsDocumented) {
  for (const QuantSpec &spec : test::allSpecs()) {
    const int g = spec.groupSize;
    std::vector<float> clean = groupWith(g, 9);
    clean[3] = clean[0]; // the value the NaN replaces must not move min/max
    std::vector<float> withNaN = clean;
    withNaN[3] = std::nanf("");
    QuantizedMatrix a = quantizeOrDie(clean, 1, g, spec);
    QuantizedMatrix b = quantizeOrDie(withNaN, 1, g, spec);
    EXPECT_EQ(b.scales, a.scales) << specName(spec);
    EXPECT_EQ(b.biases, a.biases) << specName(spec);
    std::vector<uint8_t> ca = codesOf(a), cb = codesOf(b);
    for (int i = 0; i < g; ++i)
      if (i != 3) {
        EXPECT_EQ(cb[i], ca[i]) << specName(spec) << " element " << i;
      }
    uint8_t nanCode = spec.mode == Mode::kAffine ? (1 << spec.bits) - 1
                      : spec.mode == Mode::kMxfp8 ? 0x7F
                                                  : 0x7;
    EXPECT_EQ(cb[3], nanCode) << specName(spec);
  }
}

TEST(PropertyTest, InfinitySaturatesFpModes) {
  std::vector<float> w(32, 0.0f);
  w[0] = kInf;
  w[1] = 1.0f;
  w[2] = -2.0f;
  w[3] = -kInf;
  QuantizedMatrix q8 = quantizeOrDie(w, 1, 32, defaultSpec(Mode::kMxfp8));
  EXPECT_EQ(q8.scales[0], 0xFE); // ceil(Inf) saturates to 2^127
  std::vector<uint8_t> c8 = codesOf(q8);
  EXPECT_EQ(c8[0], 0x7E);
  EXPECT_EQ(c8[1], 0x00);
  EXPECT_EQ(c8[2], 0x80);
  EXPECT_EQ(c8[3], 0xFE);
  QuantizedMatrix q4 = quantizeOrDie(w, 1, 32, defaultSpec(Mode::kMxfp4));
  EXPECT_EQ(q4.scales[0], 0xFE);
  EXPECT_EQ(codesOf(q4)[0], 0x7);
  EXPECT_EQ(codesOf(q4)[3], 0xF);
  QuantizedMatrix qn = quantizeOrDie(w, 1, 32, defaultSpec(Mode::kNvfp4));
  EXPECT_EQ(qn.scales[0], 0x7E); // E4M3(Inf) saturates to 448
  EXPECT_EQ(codesOf(qn)[0], 0x7);
  EXPECT_EQ(qn.scales[1], 0x00); // second group is all zeros
  std::vector<float> d = dequantizeOrDie(q8);
  EXPECT_TRUE(std::isinf(d[0])); // 448 * 2^127 overflows fp32
}

TEST(PropertyTest, HugeFiniteValuesStayInRange) {
  std::vector<float> w = gaussian(2 * 128, 13, 1.0f);
  w[0] = 2.5e38f;
  w[1] = -2.5e38f;
  w[200] = -1e38f;
  for (const QuantSpec &spec : test::allSpecs()) {
    Result<QuantizedMatrix> q =
        quantize(w.data(), DType::kF32, 2, 128, spec, std::nullopt, 1);
    ASSERT_TRUE(q.isOk()) << specName(spec);
    std::vector<float> d(256);
    ASSERT_TRUE(dequantize(q->view(), d.data()).isOk());
    if (spec.mode == Mode::kMxfp4 || spec.mode == Mode::kMxfp8) {
      // Decoded values exceed amax by at most half an element step, so
      // anything not within that of FLT_MAX stays finite (see next test).
      for (int i = 0; i < 256; ++i)
        ASSERT_TRUE(std::isfinite(d[i])) << specName(spec) << " " << i;
    }
  }
  QuantizedMatrix q = quantizeOrDie(w, 2, 128, defaultSpec(Mode::kMxfp4));
  expectWithinFormatBounds(w, q);
  QuantizedMatrix n = quantizeOrDie(w, 2, 128, defaultSpec(Mode::kNvfp4));
  EXPECT_EQ(n.scales[0], 0x7E);
  EXPECT_EQ(codesOf(n)[0], 0x7);
  EXPECT_EQ(codesOf(n)[1], 0xF);
}

TEST(PropertyTest, FltMaxRoundsUpToAnInfiniteDecode) {
  // A format edge, not a bug: FLT_MAX / 2^126 = 3.99999976 rounds to E2M1 4,
  // and 4 * 2^126 = 2^128 overflows fp32 (likewise 256 * 2^120 for E4M3).
  std::vector<float> w(32, 0.0f);
  w[0] = std::numeric_limits<float>::max();
  for (Mode mode : {Mode::kMxfp4, Mode::kMxfp8}) {
    QuantizedMatrix q = quantizeOrDie(w, 1, 32, defaultSpec(mode));
    EXPECT_EQ(q.scales[0], mode == Mode::kMxfp4 ? 126 + 127 : 120 + 127);
    std::vector<float> d = dequantizeOrDie(q);
    EXPECT_EQ(d[0], kInf) << modeName(mode);
    EXPECT_EQ(d[1], 0.0f);
  }
}

TEST(PropertyTest, AffineNonFiniteGroupsDoNotCrash) {
  std::vector<float> w(64, 1.0f);
  w[5] = kInf;
  w[40] = -kInf;
  std::vector<float> allNaN(64, std::nanf(""));
  for (int bits : {2, 3, 4, 5, 6, 8}) {
    const QuantSpec spec{Mode::kAffine, bits, 32, false};
    QuantizedMatrix q = quantizeOrDie(w, 1, 64, spec);
    EXPECT_EQ(q.packed.size(), static_cast<size_t>(2 * bits));
    QuantizedMatrix n = quantizeOrDie(allNaN, 1, 64, spec);
    for (uint8_t c : codesOf(n))
      EXPECT_EQ(c, (1 << bits) - 1);
    std::vector<float> d(64);
    EXPECT_TRUE(dequantize(q.view(), d.data()).isOk());
  }
}

TEST(PropertyTest, SubnormalInputs) {
  // fp32 subnormals: mx scales bottom out at byte 0 (2^-127) and decode
  // within the format bound; affine falls to the 1e-7 scale floor.
  std::vector<float> w = gaussian(2 * 128, 17, 1.0f);
  for (float &v : w)
    v *= 1e-39f;
  for (const QuantSpec &spec : test::allSpecs()) {
    if (spec.mode == Mode::kNvfp4)
      continue; // underflows to zero scale, covered above
    QuantizedMatrix q = quantizeOrDie(w, 2, 128, spec);
    SCOPED_TRACE(specName(spec));
    expectWithinFormatBounds(w, q);
  }
  QuantizedMatrix mx = quantizeOrDie(w, 2, 128, defaultSpec(Mode::kMxfp8));
  for (uint8_t s : mx.scales)
    EXPECT_EQ(s, 0);
}

TEST(PropertyTest, HalfPrecisionSubnormalInputsMatchF32Path) {
  // f16 subnormals load exactly; only the loader differs from the f32 path.
  std::vector<uint16_t> h(128);
  std::vector<float> f(128);
  std::mt19937 rng(23);
  for (int i = 0; i < 128; ++i) {
    h[i] = static_cast<uint16_t>((rng() & 0x83FF)); // sign + subnormal mantissa
    f[i] = f16ToFloat(h[i]);
  }
  QuantSpec nv = defaultSpec(Mode::kNvfp4);
  nv.globalScale = true;
  for (QuantSpec spec : {defaultSpec(Mode::kMxfp8), defaultSpec(Mode::kMxfp4), nv,
                         QuantSpec{Mode::kAffine, 4, 32, false}}) {
    Result<QuantizedMatrix> a = quantize(h.data(), DType::kF16, 1, 128, spec);
    Result<QuantizedMatrix> b = quantize(f.data(), DType::kF32, 1, 128, spec);
    ASSERT_TRUE(a.isOk() && b.isOk()) << specName(spec);
    EXPECT_EQ(a->packed, b->packed) << specName(spec);
    if (spec.mode != Mode::kAffine) {
      EXPECT_EQ(a->scales, b->scales) << specName(spec);
    }
  }
}

TEST(PropertyTest, InputDTypeOnlyChangesLoadingAndScaleStorage) {
  std::vector<float> w = gaussian(8 * 256, 29, 1.0f);
  for (DType t : {DType::kBF16, DType::kF16}) {
    std::vector<uint16_t> raw(w.size());
    ASSERT_TRUE(convertFromFloat(w.data(), 2048, t, raw.data()).isOk());
    std::vector<float> rounded(w.size());
    ASSERT_TRUE(convertToFloat(raw.data(), t, 2048, rounded.data()).isOk());
    for (const QuantSpec &spec : test::allSpecs()) {
      Result<QuantizedMatrix> a = quantize(raw.data(), t, 8, 256, spec);
      QuantizedMatrix b = quantizeOrDie(rounded, 8, 256, spec);
      ASSERT_TRUE(a.isOk());
      EXPECT_EQ(a->packed, b.packed) << specName(spec);
      if (spec.mode != Mode::kAffine) {
        EXPECT_EQ(a->scales, b.scales);
        continue;
      }
      // Affine scale/bias are the fp32 values rounded to the weight dtype.
      ASSERT_EQ(a->scaleType, t);
      for (size_t i = 0; i < b.scales.size() / 4; ++i) {
        uint16_t s, bb;
        std::memcpy(&s, a->scales.data() + 2 * i, 2);
        std::memcpy(&bb, a->biases.data() + 2 * i, 2);
        const float fs = scaleAt(b, static_cast<int64_t>(i));
        const float fb = biasAt(b, static_cast<int64_t>(i));
        EXPECT_EQ(s, t == DType::kBF16 ? floatToBf16(fs) : floatToF16(fs));
        EXPECT_EQ(bb, t == DType::kBF16 ? floatToBf16(fb) : floatToF16(fb));
      }
    }
  }
}

//===----------------------------------------------------------------------===//
// Threads.
//===----------------------------------------------------------------------===//

TEST(PropertyTest, MultiThreadedEqualsSingleThreadedByteForByte) {
  const int64_t rows = 97, cols = 512; // odd row count: uneven chunks
  std::vector<float> w = gaussian(static_cast<size_t>(rows * cols), 41, 1.0f);
  std::vector<uint16_t> bf(w.size());
  ASSERT_TRUE(convertFromFloat(w.data(), rows * cols, DType::kBF16, bf.data()).isOk());
  std::vector<QuantSpec> specs = test::allSpecs();
  QuantSpec nv = defaultSpec(Mode::kNvfp4);
  nv.globalScale = true;
  specs.push_back(nv);
  for (const QuantSpec &spec : specs) {
    Result<QuantizedMatrix> ref =
        quantize(bf.data(), DType::kBF16, rows, cols, spec, std::nullopt, 1);
    ASSERT_TRUE(ref.isOk());
    std::vector<uint16_t> dref(w.size());
    const QuantizedWeightView v = ref->view();
    ASSERT_TRUE(dequantize(v.packed, v.scales, v.biases, v.scaleType, rows, cols,
                           spec, v.globalScale, DType::kBF16, dref.data(), 1)
                    .isOk());
    for (int threads : {2, 3, 8, 0}) {
      Result<QuantizedMatrix> q =
          quantize(bf.data(), DType::kBF16, rows, cols, spec, std::nullopt, threads);
      ASSERT_TRUE(q.isOk());
      EXPECT_EQ(q->packed, ref->packed) << specName(spec) << " threads " << threads;
      EXPECT_EQ(q->scales, ref->scales) << specName(spec) << " threads " << threads;
      EXPECT_EQ(q->biases, ref->biases) << specName(spec) << " threads " << threads;
      std::vector<uint16_t> d(w.size());
      ASSERT_TRUE(dequantize(v.packed, v.scales, v.biases, v.scaleType, rows,
                             cols, spec, v.globalScale, DType::kBF16, d.data(),
                             threads)
                      .isOk());
      EXPECT_EQ(d, dref) << specName(spec) << " threads " << threads;
    }
  }
}

TEST(PropertyTest, CallerBuffersMatchOwningOverload) {
  const QuantSpec spec{Mode::kAffine, 5, 32, false};
  std::vector<float> w = gaussian(3 * 96, 43, 1.0f);
  QuantizedMatrix q = quantizeOrDie(w, 3, 96, spec);
  std::vector<uint32_t> packed(static_cast<size_t>(3 * packedWordsPerRow(spec, 96)));
  std::vector<float> scales(9), biases(9);
  ASSERT_TRUE(quantize(w.data(), DType::kF32, 3, 96, spec, packed.data(),
                       scales.data(), biases.data())
                  .isOk());
  EXPECT_EQ(packed, q.packed);
  EXPECT_EQ(std::memcmp(scales.data(), q.scales.data(), 36), 0);
  EXPECT_EQ(std::memcmp(biases.data(), q.biases.data(), 36), 0);
}

} // namespace
} // namespace vlmc::quant
