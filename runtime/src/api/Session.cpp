// vlmc_session_*, vlmc_generate and vlmc_result_*: a thin layer over
// generate::Generator, which owns the chat template, the image processors,
// the session's KV cache and the sampling loop.
#include "Handles.h"

#include <cmath>

using namespace vlmc;
using api::guard;
using api::nullArgument;

namespace {

Status toRequest(const char *fn, const vlmc_sampling_params &p,
                 generate::GenerateRequest &request) {
  generate::SamplingParams &s = request.sampling;
  s.temperature = p.temperature;
  s.topP = p.top_p;
  s.topK = p.top_k;
  s.minP = p.min_p;
  // The C struct has no optionals: 0 means "off" (and 1 is off anyway).
  if (!(p.repetition_penalty >= 0.0f) || !std::isfinite(p.repetition_penalty))
    return invalidArgument(std::string(fn) + ": repetition_penalty must be > 0, or 0 for "
                           "off; got " + std::to_string(p.repetition_penalty));
  if (p.repetition_penalty > 0.0f)
    s.repetitionPenalty = p.repetition_penalty;
  if (p.seed < -1)
    return invalidArgument(std::string(fn) + ": seed must be >= 0, or -1 for a random "
                           "one; got " + std::to_string(p.seed));
  if (p.seed >= 0)
    s.seed = uint64_t(p.seed);
  if (p.max_tokens <= 0)
    return invalidArgument(std::string(fn) + ": max_tokens must be positive, got " +
                           std::to_string(p.max_tokens));
  request.maxTokens = p.max_tokens;
  if (p.n_stop != 0 && !p.stop)
    return nullArgument(fn, "sampling->stop (with a nonzero n_stop)");
  for (size_t i = 0; i < p.n_stop; ++i) {
    if (!p.stop[i])
      return nullArgument(fn, ("sampling->stop[" + std::to_string(i) + "]").c_str());
    request.stopStrings.emplace_back(p.stop[i]);
  }
  return generate::validate(s).withContext(fn);
}

vlmc_finish_reason finishReason(const std::string &reason) {
  if (reason == "stop")
    return VLMC_FINISH_STOP;
  if (reason == "callback")
    return VLMC_FINISH_CALLBACK;
  return VLMC_FINISH_LENGTH;
}

const int32_t *idsOf(const std::vector<int32_t> *ids, size_t *n) {
  if (n)
    *n = ids ? ids->size() : 0;
  return ids && !ids->empty() ? ids->data() : nullptr;
}

} // namespace

extern "C" {

vlmc_status vlmc_session_create(const vlmc_model *model, vlmc_session **out_session) {
  return guard(__func__, [&](const char *fn) -> Status {
    if (!model)
      return nullArgument(fn, "model");
    if (!out_session)
      return nullArgument(fn, "out_session");
    Result<std::unique_ptr<generate::Generator>> generator =
        generate::Generator::create(model->model, model->sessionOptions);
    if (!generator)
      return generator.status();
    *out_session = new vlmc_session_s{std::move(*generator)};
    return Status::ok();
  });
}

vlmc_status vlmc_session_reset(vlmc_session *session) {
  return guard(__func__, [&](const char *fn) -> Status {
    // Generator::generate resets its exec::Session before each prompt, so
    // there is no state to drop yet.
    return session ? Status::ok() : nullArgument(fn, "session");
  });
}

void vlmc_session_free(vlmc_session *session) { delete session; }

vlmc_sampling_params vlmc_sampling_params_default(void) {
  generate::GenerateRequest defaults;
  vlmc_sampling_params p;
  p.temperature = defaults.sampling.temperature;
  p.top_p = defaults.sampling.topP;
  p.top_k = defaults.sampling.topK;
  p.min_p = defaults.sampling.minP;
  p.repetition_penalty = 0.0f;
  p.seed = -1;
  p.max_tokens = defaults.maxTokens;
  p.stop = nullptr;
  p.n_stop = 0;
  return p;
}

vlmc_status vlmc_generate(vlmc_session *session, const char *prompt, const char *system,
                          vlmc_image *const *images, size_t n_images,
                          const vlmc_sampling_params *sampling, vlmc_token_callback on_token,
                          void *user_data, vlmc_result **out_result) {
  return guard(__func__, [&](const char *fn) -> Status {
    if (!session)
      return nullArgument(fn, "session");
    if (!prompt)
      return nullArgument(fn, "prompt");
    if (!images && n_images != 0)
      return nullArgument(fn, "images (with a nonzero n_images)");
    if (!out_result)
      return nullArgument(fn, "out_result");
    generate::GenerateRequest request;
    request.prompt = prompt;
    if (system)
      request.system = std::string(system);
    for (size_t i = 0; i < n_images; ++i) {
      if (!images[i])
        return nullArgument(fn, ("images[" + std::to_string(i) + "]").c_str());
      request.images.push_back(images[i]->rgb); // a copy: the caller keeps its image
    }
    VLMC_RETURN_IF_ERROR(
        toRequest(fn, sampling ? *sampling : vlmc_sampling_params_default(), request));

    generate::TokenCallback onToken;
    std::string piece; // NUL-terminated copy of each piece, reused across tokens
    if (on_token)
      onToken = [&](int32_t token, std::string_view text) {
        piece.assign(text);
        return on_token(token, piece.c_str(), piece.size(), user_data) == 0;
      };
    Result<generate::GenerateResult> generated = session->generator->generate(request, onToken);
    if (!generated)
      return generated.status();
    auto handle = std::make_unique<vlmc_result_s>();
    handle->finish = finishReason(generated->finishReason);
    handle->result = std::move(*generated);
    *out_result = handle.release();
    return Status::ok();
  });
}

const char *vlmc_result_text(const vlmc_result *result, size_t *length) {
  if (length)
    *length = result ? result->result.text.size() : 0;
  return result ? result->result.text.c_str() : "";
}

const int32_t *vlmc_result_generated_ids(const vlmc_result *result, size_t *n) {
  return idsOf(result ? &result->result.generatedIds : nullptr, n);
}

const int32_t *vlmc_result_prompt_ids(const vlmc_result *result, size_t *n) {
  return idsOf(result ? &result->result.promptIds : nullptr, n);
}

vlmc_finish_reason vlmc_result_finish_reason(const vlmc_result *result) {
  return result ? result->finish : VLMC_FINISH_STOP;
}

vlmc_generation_stats vlmc_result_stats(const vlmc_result *result) {
  vlmc_generation_stats s{};
  if (!result)
    return s;
  const generate::GenerateStats &g = result->result.stats;
  s.prompt_tokens = g.promptTokens;
  s.prompt_tps = g.promptTps;
  s.generated_tokens = g.generationTokens;
  s.generation_tps = g.generationTps;
  s.time_to_first_token = g.timeToFirstToken;
  s.peak_memory_bytes = g.peakMemoryBytes;
  return s;
}

void vlmc_result_free(vlmc_result *result) { delete result; }

} // extern "C"
