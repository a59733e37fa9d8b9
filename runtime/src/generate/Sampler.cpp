#include "vlmc/generate/Sampler.h"

#include <algorithm>
#include <cmath>

namespace vlmc::generate {

Status validate(const SamplingParams &p) {
  if (!(p.temperature >= 0.0f) || !std::isfinite(p.temperature))
    return invalidArgument("temperature must be >= 0, got " + std::to_string(p.temperature));
  if (!(p.topP > 0.0f && p.topP <= 1.0f))
    return invalidArgument("top-p must be in (0, 1], got " + std::to_string(p.topP));
  if (p.topK < 0)
    return invalidArgument("top-k must be >= 0, got " + std::to_string(p.topK));
  if (!(p.minP >= 0.0f && p.minP < 1.0f))
    return invalidArgument("min-p must be in [0, 1), got " + std::to_string(p.minP));
  if (p.repetitionPenalty && !(*p.repetitionPenalty > 0.0f))
    return invalidArgument("the repetition penalty must be > 0, got " +
                           std::to_string(*p.repetitionPenalty));
  return Status::ok();
}

Sampler::Sampler(const SamplingParams &params)
    : params_(params), rng_(params.seed.value_or(std::random_device{}())) {}

bool Sampler::greedy() const {
  return params_.temperature == 0.0f &&
         (!params_.repetitionPenalty || *params_.repetitionPenalty == 1.0f);
}

int32_t Sampler::sample(float *logits, int64_t vocab, const std::vector<int32_t> &history) {
  // Repetition penalty (as MLX-VLM / transformers): positive logits of recent
  // tokens are divided by the penalty, negative ones multiplied.
  if (params_.repetitionPenalty && *params_.repetitionPenalty != 1.0f) {
    float penalty = *params_.repetitionPenalty;
    size_t from = history.size() > size_t(params_.repetitionContext)
                      ? history.size() - size_t(params_.repetitionContext)
                      : 0;
    for (size_t i = from; i < history.size(); ++i) {
      int32_t t = history[i];
      if (t < 0 || t >= vocab)
        continue;
      float &l = logits[t];
      l = l > 0 ? l / penalty : l * penalty;
    }
  }
  if (params_.temperature == 0.0f)
    return int32_t(std::max_element(logits, logits + vocab) - logits);

  // Softmax at the temperature over all tokens, then the filters on the
  // sorted candidates.
  float maxLogit = *std::max_element(logits, logits + vocab);
  candidates_.resize(size_t(vocab));
  double total = 0;
  for (int64_t i = 0; i < vocab; ++i) {
    float p = std::exp((logits[i] - maxLogit) / params_.temperature);
    candidates_[size_t(i)] = {p, int32_t(i)};
    total += p;
  }
  size_t keep = candidates_.size();
  if (params_.topK > 0 && size_t(params_.topK) < keep)
    keep = size_t(params_.topK);
  std::partial_sort(candidates_.begin(), candidates_.begin() + std::ptrdiff_t(keep),
                    candidates_.end(),
                    [](const auto &a, const auto &b) { return a.first > b.first; });
  if (params_.minP > 0.0f) {
    float floor = params_.minP * candidates_[0].first;
    while (keep > 1 && candidates_[keep - 1].first < floor)
      --keep;
  }
  if (params_.topP < 1.0f) {
    double mass = 0;
    for (size_t i = 0; i < keep; ++i) {
      mass += candidates_[i].first / total;
      if (mass >= params_.topP) {
        keep = i + 1;
        break;
      }
    }
  }
  double kept = 0;
  for (size_t i = 0; i < keep; ++i)
    kept += candidates_[i].first;
  double u = std::uniform_real_distribution<double>(0.0, kept)(rng_);
  for (size_t i = 0; i < keep; ++i) {
    u -= candidates_[i].first;
    if (u <= 0)
      return candidates_[i].second;
  }
  return candidates_[keep - 1].second;
}

} // namespace vlmc::generate
