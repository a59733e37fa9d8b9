#include "vlmc/generate/Sampler.h"

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
    : params_(params), rng_(params.seed.value_or(std::random_device{}())) {
  step_.spec.temperature = params.temperature;
  step_.spec.topP = params.topP;
  step_.spec.topK = params.topK;
  step_.spec.minP = params.minP;
  step_.spec.penalty = params.repetitionPenalty.value_or(1.0f);
}

bool Sampler::greedy() const { return step_.spec.greedy(); }

const cpu::SamplingStep &Sampler::next(const std::vector<int32_t> &history) {
  recent_.clear();
  if (step_.spec.penalty != 1.0f) {
    size_t from = history.size() > size_t(params_.repetitionContext)
                      ? history.size() - size_t(params_.repetitionContext)
                      : 0;
    recent_.assign(history.begin() + std::ptrdiff_t(from), history.end());
  }
  step_.penalized = recent_.data();
  step_.penalizedCount = recent_.size();
  step_.draw = step_.spec.temperature == 0.0f ? 0 : rng_() >> 11;
  return step_;
}

int32_t Sampler::sample(const float *logits, int64_t vocab, const std::vector<int32_t> &history) {
  return cpu::sampleToken(logits, vocab, next(history), scratch_);
}

} // namespace vlmc::generate
