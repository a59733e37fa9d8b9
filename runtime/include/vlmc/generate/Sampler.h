// Token sampling with MLX-VLM's knobs: greedy at temperature 0 (its default),
// else temperature, top-k, top-p, min-p and a repetition penalty over a
// seeded generator, so a run with a seed is reproducible.
#pragma once

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

Status validate(const SamplingParams &params);

class Sampler {
public:
  explicit Sampler(const SamplingParams &params);

  // Picks the next token from `logits` (modified in place by the penalty and
  // temperature). `history` is the generated tokens so far (for the
  // repetition penalty).
  int32_t sample(float *logits, int64_t vocab, const std::vector<int32_t> &history);
  // Pure greedy (temperature 0, no repetition penalty): the pick is the first
  // largest logit, which exec::Session::decodeGreedy makes on the device.
  bool greedy() const;

private:
  SamplingParams params_;
  std::mt19937_64 rng_;
  std::vector<std::pair<float, int32_t>> candidates_; // reused: no allocation per token
};

} // namespace vlmc::generate
