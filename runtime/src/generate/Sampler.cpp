#include "vlmc/generate/Sampler.h"

namespace vlmc::generate {

cpu::SamplingSpec specOf(const SamplingParams &p) {
  cpu::SamplingSpec spec;
  spec.temperature = p.temperature;
  spec.topP = p.topP;
  spec.topK = p.topK;
  spec.minP = p.minP;
  spec.penalty = p.repetitionPenalty.value_or(1.0f);
  return spec;
}

Status validate(const SamplingParams &p) { return cpu::validate(specOf(p)); }

Sampler::Sampler(const SamplingParams &params)
    : params_(params), rng_(params.seed.value_or(std::random_device{}())) {
  step_.spec = specOf(params);
}

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
