// The token-sampling rule of vlmc, shared bit for bit by the CPU backend (this
// reference) and the CUDA Sample kernel (compiler/codegen/SampleGen.cpp), so
// that a seeded run picks the same tokens on either backend when their logits
// agree:
//
//  1. Penalty: each distinct id in `penalized` (ids outside [0, n) are
//     ignored) has its logit divided by `penalty` when positive, else
//     multiplied (MLX-VLM's and transformers' repetition penalty, once per
//     distinct token).
//  2. temperature == 0: the first index of the largest penalized logit (NaN
//     never wins; all NaN gives 0). Nothing else applies.
//  3. Otherwise p_i = samplingExp((x_i - max) * (1 / temperature)) in float, and the
//     integer weight w_i = trunc(p_i * 2^40). Sums of weights are exact, so
//     every cut below is decided the same way everywhere.
//  4. Candidates in order of p descending, then index ascending: the first
//     top_k (0: all), then those with p >= min_p (p of the largest is 1), then
//     the shortest prefix whose weight reaches ceil(top_p * W) with W the
//     weight of the whole vocabulary (top_p == 1: no cut).
//  5. The pick: with K the kept weight and u = floor(K * draw / 2^53), the
//     first kept index, in index order, whose running kept weight exceeds u.
//     `draw` is 53 random bits. K == 0 (every logit NaN or -inf) gives 0.
#pragma once

#include "vlmc/support/Status.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace vlmc::cpu {

struct SamplingSpec {
  float temperature = 0.0f; // 0: greedy
  float topP = 1.0f;        // (0, 1]
  float minP = 0.0f;        // [0, 1)
  float penalty = 1.0f;     // > 0; 1: off
  int64_t topK = 0;         // 0: off

  bool greedy() const { return temperature == 0.0f && penalty == 1.0f; }
};

// The ranges above, checked (vlm-generate's options and the CUDA launch
// arguments alike). Inline: the launch planner does not link the CPU kernels.
inline Status validate(const SamplingSpec &s) {
  if (!(s.temperature >= 0.0f) || !std::isfinite(s.temperature))
    return invalidArgument("temperature must be >= 0, got " + std::to_string(s.temperature));
  if (!(s.topP > 0.0f && s.topP <= 1.0f))
    return invalidArgument("top-p must be in (0, 1], got " + std::to_string(s.topP));
  if (s.topK < 0)
    return invalidArgument("top-k must be >= 0, got " + std::to_string(s.topK));
  if (!(s.minP >= 0.0f && s.minP < 1.0f))
    return invalidArgument("min-p must be in [0, 1), got " + std::to_string(s.minP));
  if (!(s.penalty > 0.0f))
    return invalidArgument("the repetition penalty must be > 0, got " +
                           std::to_string(s.penalty));
  return Status::ok();
}

// One step's inputs besides the logits.
struct SamplingStep {
  SamplingSpec spec;
  const int32_t *penalized = nullptr;
  size_t penalizedCount = 0;
  uint64_t draw = 0; // < 2^53
};

// Reused buffers: a step allocates nothing once they have grown.
struct SamplingScratch {
  std::vector<float> logits;
  std::vector<float> probs;
  std::vector<int32_t> order;
  std::vector<uint8_t> kept;
};

// samplingExp's constants, which the CUDA kernel's source is generated from.
namespace sampling_exp {
inline constexpr float kLog2e = 0x1.715476p+0f;
inline constexpr float kLn2Hi = 0x1.62e4p-1f;         // ln 2's high bits
inline constexpr float kLn2Lo = 0x1.7f7d1cp-20f;      // ln 2 - kLn2Hi
inline constexpr float kCutoff = -87.0f;              // below: 0 (no subnormals)
// Horner coefficients of exp(r) on |r| <= ln2/2, highest degree first.
inline constexpr float kPoly[] = {0x1.6c16c2p-10f, 0x1.111112p-7f, 0x1.555556p-5f,
                                  0x1.555556p-3f,  0x1p-1f,        0x1p+0f,
                                  0x1p+0f};
} // namespace sampling_exp

// exp(y) for the sampler, to the float bit on every machine and on the
// device: a Cody-Waite reduction and a degree-6 polynomial with explicit
// fused multiply-adds (within 2 ulp of exp). 0 for y <= -87 and NaN.
float samplingExp(float y);
// The weight of a probability: trunc(p * 2^40).
uint64_t samplingWeight(float p);
// floor(total * draw / 2^53) for draw < 2^53, exactly.
uint64_t samplingThreshold(uint64_t total, uint64_t draw);

int32_t sampleToken(const float *logits, int64_t n, const SamplingStep &step,
                    SamplingScratch &scratch);

} // namespace vlmc::cpu
