// Token sampling with MLX-VLM's knobs: greedy at temperature 0 (its default),
// else temperature, top-k, top-p, min-p and a repetition penalty over a
// seeded generator, so a run with a seed is reproducible. The rule itself is
// cpu::sampleToken, which the CUDA Sample kernel follows bit for bit: a seed
// gives the same tokens on either backend when the logits agree.
#pragma once

#include "vlmc/cpu/Sampling.h"
#include "vlmc/support/Status.h"

#include <cstdint>
#include <optional>
#include <random>
#include <vector>

namespace vlmc::generate {

struct SamplingParams {
  float temperature = 0.0f;  // 0: greedy
  float topP = 1.0f;         // nucleus mass kept (1: off)
  int topK = 0;              // 0: off
  float minP = 0.0f;         // drop tokens below minP * p(max) (0: off)
  std::optional<float> repetitionPenalty; // > 0; 1 or unset: off
  int repetitionContext = 20; // how many recent tokens the penalty sees (MLX-VLM's default)
  std::optional<uint64_t> seed;
};

// The rule's settings for these parameters (no penalty: 1).
cpu::SamplingSpec specOf(const SamplingParams &params);
Status validate(const SamplingParams &params);

class Sampler {
public:
  explicit Sampler(const SamplingParams &params);

  // The next step's inputs: the spec, the recent tokens of `history` (the
  // generated tokens so far) that the repetition penalty sees, and one draw
  // of the generator. Valid until the next call.
  const cpu::SamplingStep &next(const std::vector<int32_t> &history);
  // Picks the next token from `logits` (next() and cpu::sampleToken).
  int32_t sample(const float *logits, int64_t vocab, const std::vector<int32_t> &history);

private:
  SamplingParams params_;
  std::mt19937_64 rng_;
  cpu::SamplingStep step_;
  std::vector<int32_t> recent_;     // reused: no allocation per token
  cpu::SamplingScratch scratch_;
};

} // namespace vlmc::generate
