// Attention against a double-precision reference with an explicit
// visibility rule; KV-cache writes.
#include "CpuTestUtil.h"

#include "vlmc/cpu/Kernels.h"

namespace vlmc::cpu {
namespace {

using test::gaussian;

struct AttnCase {
  int64_t Sq, Hq, Hkv, D, T, kvLength;
  std::vector<int32_t> segments; // empty: none
  bool causal;
};

std::string caseName(const AttnCase &c) {
  std::string s = "Sq=" + std::to_string(c.Sq) + " Hq=" + std::to_string(c.Hq) +
                  " Hkv=" + std::to_string(c.Hkv) +
                  " D=" + std::to_string(c.D) + " T=" + std::to_string(c.T) +
                  " kv=" + std::to_string(c.kvLength) +
                  (c.causal ? " causal" : "") + " segs=[";
  for (int32_t v : c.segments)
    s += std::to_string(v) + ",";
  return s + "]";
}

// Segment of position p: the number of starts (after the first) <= p.
int64_t segmentOf(const std::vector<int32_t> &starts, int64_t p) {
  int64_t s = 0;
  for (size_t i = 1; i + 1 < starts.size(); ++i)
    if (starts[i] <= p)
      s = static_cast<int64_t>(i);
  return s;
}

bool visible(const AttnCase &c, int64_t i, int64_t j) {
  if (j >= c.kvLength)
    return false;
  if (c.causal && j > c.kvLength - c.Sq + i)
    return false;
  if (!c.segments.empty() &&
      segmentOf(c.segments, i) != segmentOf(c.segments, j))
    return false;
  return true;
}

std::vector<double> referenceAttention(const AttnCase &c,
                                       const std::vector<float> &q,
                                       const std::vector<float> &k,
                                       const std::vector<float> &v,
                                       float scale) {
  std::vector<double> out(static_cast<size_t>(c.Sq * c.Hq * c.D), 0.0);
  const int64_t perKv = c.Hq / c.Hkv;
  for (int64_t i = 0; i < c.Sq; ++i)
    for (int64_t h = 0; h < c.Hq; ++h) {
      const int64_t kh = h / perKv;
      std::vector<double> s(static_cast<size_t>(c.T), -INFINITY);
      double mx = -INFINITY;
      for (int64_t j = 0; j < c.T; ++j) {
        if (!visible(c, i, j))
          continue;
        double d = 0;
        for (int64_t e = 0; e < c.D; ++e)
          d += static_cast<double>(q[(i * c.Hq + h) * c.D + e]) *
               k[(j * c.Hkv + kh) * c.D + e];
        s[j] = d * scale;
        mx = std::max(mx, s[j]);
      }
      double sum = 0;
      for (int64_t j = 0; j < c.T; ++j)
        if (visible(c, i, j))
          sum += std::exp(s[j] - mx);
      for (int64_t j = 0; j < c.T; ++j)
        if (visible(c, i, j))
          for (int64_t e = 0; e < c.D; ++e)
            out[(i * c.Hq + h) * c.D + e] +=
                std::exp(s[j] - mx) / sum * v[(j * c.Hkv + kh) * c.D + e];
    }
  return out;
}

void runCase(ThreadPool &pool, const AttnCase &c, uint32_t seed,
             float qScale = 1.0f) {
  std::vector<float> q = gaussian(c.Sq * c.Hq * c.D, seed, qScale);
  std::vector<float> k = gaussian(c.T * c.Hkv * c.D, seed + 1);
  std::vector<float> v = gaussian(c.T * c.Hkv * c.D, seed + 2);
  // Rows past kvLength are not keys: poison them.
  for (int64_t j = c.kvLength; j < c.T; ++j)
    for (int64_t e = 0; e < c.Hkv * c.D; ++e)
      k[j * c.Hkv * c.D + e] = v[j * c.Hkv * c.D + e] = std::nanf("");
  const float scale = 1.0f / std::sqrt(static_cast<float>(c.D));
  std::vector<float> out(q.size(), -5.0f);
  Status s = attention(
      pool, q.data(), k.data(), v.data(), c.Sq, c.Hq, c.Hkv, c.D, c.T,
      c.kvLength, c.segments.empty() ? nullptr : c.segments.data(),
      static_cast<int64_t>(c.segments.size()), scale, c.causal, out.data());
  ASSERT_TRUE(s.isOk()) << caseName(c) << ": " << s.message();
  const std::vector<double> ref = referenceAttention(c, q, k, v, scale);
  for (size_t i = 0; i < out.size(); ++i)
    ASSERT_NEAR(out[i], ref[i], 2e-5 * (1 + std::fabs(ref[i])))
        << caseName(c) << " at " << i;
}

std::vector<AttnCase> cases() {
  std::vector<AttnCase> cs;
  for (auto [hq, hkv] : {std::pair<int64_t, int64_t>{4, 4}, {4, 2}, {6, 1}})
    for (int64_t D : {1, 13, 64})
      for (bool causal : {false, true}) {
        cs.push_back({1, hq, hkv, D, 50, 37, {}, causal});  // decode step
        cs.push_back({23, hq, hkv, D, 23, 23, {}, causal}); // prefill
        cs.push_back(
            {5, hq, hkv, D, 32, 20, {}, causal}); // chunk after a prefix
        cs.push_back(
            {23, hq, hkv, D, 23, 23, {0, 3, 3, 10, 23}, causal}); // segments
        cs.push_back({7, hq, hkv, D, 9, 7, {0, 7}, causal});      // one segment
      }
  cs.push_back(
      {1, 12, 2, 128, 1024, 1024, {}, true}); // decode with a full cache
  return cs;
}

TEST(CpuAttentionTest, MatchesDoubleReferenceForGqaCausalSegmentsAndKvLength) {
  ThreadPool pool(4);
  uint32_t seed = 1;
  for (const AttnCase &c : cases())
    runCase(pool, c, seed += 3);
}

TEST(CpuAttentionTest, LargeScoresStayFinite) {
  // Scores in the thousands overflow a naive exp; max subtraction keeps the
  // softmax exact.
  ThreadPool pool(2);
  runCase(pool, {8, 2, 2, 32, 8, 8, {}, true}, 77, 300.0f);
  runCase(pool, {8, 2, 1, 32, 16, 12, {}, false}, 78, 300.0f);
}

TEST(CpuAttentionTest, SegmentsMatchSeparateCalls) {
  // Block-diagonal attention == attention of each segment on its own.
  ThreadPool pool(3);
  const int64_t S = 12, H = 2, D = 8;
  const std::vector<int32_t> starts = {0, 5, 12};
  std::vector<float> q = gaussian(S * H * D, 1), k = gaussian(S * H * D, 2),
                     v = gaussian(S * H * D, 3);
  std::vector<float> joint(q.size()), parts(q.size());
  ASSERT_TRUE(attention(pool, q.data(), k.data(), v.data(), S, H, H, D, S, S,
                        starts.data(), 3, 0.3f, false, joint.data())
                  .isOk());
  for (size_t s = 0; s + 1 < starts.size(); ++s) {
    const int64_t b = starts[s], n = starts[s + 1] - starts[s];
    ASSERT_TRUE(attention(pool, q.data() + b * H * D, k.data() + b * H * D,
                          v.data() + b * H * D, n, H, H, D, n, n, nullptr, 0,
                          0.3f, false, parts.data() + b * H * D)
                    .isOk());
  }
  EXPECT_EQ(test::firstBitDifference(joint, parts), -1);
}

TEST(CpuAttentionTest, HandComputed) {
  // One query, two keys, D = 1: scores q*k = [0, ln 3] (scale 1), so the
  // weights are [1/4, 3/4] and out = (v0 + 3 v1) / 4.
  ThreadPool pool(1);
  const float q[] = {1.0f}, k[] = {0.0f, std::log(3.0f)}, v[] = {2.0f, 6.0f};
  float out = 0;
  ASSERT_TRUE(
      attention(pool, q, k, v, 1, 1, 1, 1, 2, 2, nullptr, 0, 1.0f, false, &out)
          .isOk());
  EXPECT_NEAR(out, 5.0f, 1e-6);
  // Causal with Sq = kvLength = 2: query 0 sees only key 0.
  const float q2[] = {1.0f, 1.0f};
  float out2[2] = {0, 0};
  ASSERT_TRUE(
      attention(pool, q2, k, v, 2, 1, 1, 1, 2, 2, nullptr, 0, 1.0f, true, out2)
          .isOk());
  EXPECT_EQ(out2[0], 2.0f);
  EXPECT_NEAR(out2[1], 5.0f, 1e-6);
}

TEST(CpuAttentionTest, OneAndFourThreadsGiveIdenticalBits) {
  ThreadPool one(1), four(4);
  for (const AttnCase &c :
       {AttnCase{1, 12, 2, 128, 300, 257, {}, true},
        AttnCase{40, 4, 2, 64, 60, 50, {}, true},
        AttnCase{30, 4, 4, 16, 30, 30, {0, 11, 30}, false}}) {
    std::vector<float> q = gaussian(c.Sq * c.Hq * c.D, 5),
                       k = gaussian(c.T * c.Hkv * c.D, 6),
                       v = gaussian(c.T * c.Hkv * c.D, 7);
    std::vector<float> o1(q.size()), o4(q.size());
    const int32_t *segs = c.segments.empty() ? nullptr : c.segments.data();
    const int64_t n = static_cast<int64_t>(c.segments.size());
    ASSERT_TRUE(attention(one, q.data(), k.data(), v.data(), c.Sq, c.Hq, c.Hkv,
                          c.D, c.T, c.kvLength, segs, n, 0.125f, c.causal,
                          o1.data())
                    .isOk());
    ASSERT_TRUE(attention(four, q.data(), k.data(), v.data(), c.Sq, c.Hq, c.Hkv,
                          c.D, c.T, c.kvLength, segs, n, 0.125f, c.causal,
                          o4.data())
                    .isOk());
    EXPECT_EQ(test::firstBitDifference(o1, o4), -1) << caseName(c);
  }
}

TEST(CpuAttentionTest, InvalidArgumentsAreErrors) {
  ThreadPool pool(2);
  std::vector<float> q(64, 1.0f), k(64, 1.0f), v(64, 1.0f), out(64, 9.0f);
  auto call = [&](int64_t Sq, int64_t Hq, int64_t Hkv, int64_t T, int64_t kv,
                  std::vector<int32_t> segs, const std::string &needle) {
    Status s =
        attention(pool, q.data(), k.data(), v.data(), Sq, Hq, Hkv, 2, T, kv,
                  segs.empty() ? nullptr : segs.data(),
                  static_cast<int64_t>(segs.size()), 1.0f, false, out.data());
    ASSERT_FALSE(s.isOk()) << needle;
    EXPECT_NE(s.message().find(needle), std::string::npos) << s.message();
    EXPECT_EQ(out, std::vector<float>(64, 9.0f));
  };
  call(2, 3, 2, 4, 4, {}, "not a multiple");
  call(2, 2, 0, 4, 4, {}, "not a multiple");
  call(2, 2, 2, 4, 5, {}, "exceeds the 4 rows");
  call(5, 2, 2, 8, 4, {}, "Sq 5 exceeds kvLength 4");
  call(4, 2, 2, 8, 4, {1, 4}, "begin with 0");
  call(4, 2, 2, 8, 4, {0, 3, 2, 4}, "decrease");
  call(4, 2, 2, 8, 4, {0, 3}, "end at 3");
  call(3, 2, 2, 8, 4, {0, 3}, "Sq == kvLength");
  call(4, 2, 2, 8, 4, {0}, "at least 2");
}

TEST(CpuKvCacheTest, WritesRowsAndRejectsOverflow) {
  const int64_t T = 6, H = 2, D = 3;
  std::vector<float> cache(T * H * D, -1.0f);
  std::vector<float> update = gaussian(2 * H * D, 9);
  ASSERT_TRUE(kvCacheWrite(update.data(), 2, cache.data(), T, H, D, 3).isOk());
  for (int64_t r = 0; r < T; ++r)
    for (int64_t e = 0; e < H * D; ++e) {
      const float expected =
          (r == 3 || r == 4) ? update[(r - 3) * H * D + e] : -1.0f;
      ASSERT_EQ(cache[r * H * D + e], expected) << r << "," << e;
    }
  ASSERT_TRUE(kvCacheWrite(update.data(), 2, cache.data(), T, H, D, 4)
                  .isOk()); // last rows
  ASSERT_TRUE(
      kvCacheWrite(update.data(), 0, cache.data(), T, H, D, 6).isOk()); // empty
  const std::vector<float> before = cache;
  for (int64_t offset : {5, 6, 100, -1}) {
    Status s = kvCacheWrite(update.data(), 2, cache.data(), T, H, D, offset);
    ASSERT_FALSE(s.isOk()) << offset;
    EXPECT_NE(s.message().find("KV cache overflow"), std::string::npos)
        << s.message();
    EXPECT_NE(s.message().find("(max context 6)"), std::string::npos)
        << s.message();
  }
  EXPECT_EQ(cache, before);
}

} // namespace
} // namespace vlmc::cpu
