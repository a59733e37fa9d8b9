#include "vlmc/cpu/Sampling.h"

#include "vlmc/cpu/Kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace vlmc::cpu {

float samplingExp(float y) {
  using namespace sampling_exp;
  if (!(y > kCutoff))
    return 0.0f;
  // The device spells these same steps with __fmul_rn/__fmaf_rn/rintf, so
  // the build's contraction setting (-ffp-contract=off here) cannot change
  // a bit on either side.
  const float n = std::nearbyint(y * kLog2e);
  float r = std::fma(-n, kLn2Hi, y);
  r = std::fma(-n, kLn2Lo, r);
  float q = kPoly[0];
  for (size_t i = 1; i < sizeof kPoly / sizeof kPoly[0]; ++i)
    q = std::fma(q, r, kPoly[i]);
  const uint32_t bits = uint32_t(int32_t(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return q * scale;
}

uint64_t samplingWeight(float p) { return uint64_t(p * 1099511627776.0f); }

uint64_t samplingThreshold(uint64_t total, uint64_t draw) {
  return uint64_t((static_cast<unsigned __int128>(total) * draw) >> 53);
}

int32_t sampleToken(const float *logits, int64_t n, const SamplingStep &step,
                    SamplingScratch &s) {
  const SamplingSpec &spec = step.spec;
  if (n <= 0)
    return 0;
  s.logits.assign(logits, logits + n);
  float *x = s.logits.data();
  if (spec.penalty != 1.0f)
    for (size_t j = 0; j < step.penalizedCount; ++j) {
      const int32_t id = step.penalized[j];
      if (id < 0 || id >= n ||
          std::find(step.penalized, step.penalized + j, id) != step.penalized + j)
        continue;
      x[id] = x[id] > 0 ? x[id] / spec.penalty : x[id] * spec.penalty;
    }
  if (spec.temperature == 0.0f)
    return argMax(x, n);

  float maxLogit = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i)
    if (x[i] > maxLogit)
      maxLogit = x[i];
  s.probs.resize(size_t(n));
  uint64_t total = 0;
  const float inverseTemperature = 1.0f / spec.temperature;
  for (int64_t i = 0; i < n; ++i) {
    s.probs[size_t(i)] = samplingExp((x[i] - maxLogit) * inverseTemperature);
    total += samplingWeight(s.probs[size_t(i)]);
  }
  const float *p = s.probs.data();
  s.kept.assign(size_t(n), 0);
  const bool topK = spec.topK > 0 && spec.topK < n, topP = spec.topP < 1.0f;
  if (!topK && !topP) {
    for (int64_t i = 0; i < n; ++i)
      s.kept[size_t(i)] = p[i] >= spec.minP;
  } else {
    // The sorted candidates (only as many as top-k keeps).
    s.order.resize(size_t(n));
    for (int64_t i = 0; i < n; ++i)
      s.order[size_t(i)] = int32_t(i);
    const size_t keep = topK ? size_t(spec.topK) : size_t(n);
    auto before = [p](int32_t a, int32_t b) { return p[a] > p[b] || (p[a] == p[b] && a < b); };
    std::partial_sort(s.order.begin(), s.order.begin() + std::ptrdiff_t(keep), s.order.end(),
                      before);
    size_t count = 0;
    while (count < keep && p[s.order[count]] >= spec.minP)
      ++count;
    if (topP) {
      const uint64_t target = uint64_t(std::ceil(double(spec.topP) * double(total)));
      uint64_t mass = 0;
      for (size_t i = 0; i < count; ++i) {
        mass += samplingWeight(p[s.order[i]]);
        if (mass >= target) {
          count = i + 1;
          break;
        }
      }
    }
    for (size_t i = 0; i < count; ++i)
      s.kept[size_t(s.order[i])] = 1;
  }
  uint64_t kept = 0;
  for (int64_t i = 0; i < n; ++i)
    if (s.kept[size_t(i)])
      kept += samplingWeight(p[i]);
  if (kept == 0)
    return 0;
  const uint64_t u = samplingThreshold(kept, step.draw);
  uint64_t running = 0;
  for (int64_t i = 0; i < n; ++i)
    if (s.kept[size_t(i)]) {
      running += samplingWeight(p[i]);
      if (running > u)
        return int32_t(i);
    }
  return 0; // unreachable: u < kept
}

} // namespace vlmc::cpu
