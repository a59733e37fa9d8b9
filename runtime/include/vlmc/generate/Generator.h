// Prompt to text: the chat template, image preprocessing and placeholder
// expansion, tokenization, prefill and the sampling loop with streaming and
// stop conditions. What vlm-generate, the C API and the Python module share.
#pragma once

#include "vlmc/exec/Model.h"
#include "vlmc/generate/Sampler.h"
#include "vlmc/image/Image.h"
#include "vlmc/support/Status.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vlmc::tokenizer {
class Tokenizer;
}

namespace vlmc::generate {

struct GenerateRequest {
  std::string prompt;
  std::optional<std::string> system;
  std::vector<image::RgbImage> images;
  SamplingParams sampling;
  int maxTokens = 256;
  std::vector<std::string> stopStrings;
};

struct GenerateStats {
  int64_t promptTokens = 0;
  double promptTps = 0;      // prompt tokens / time to first token
  int64_t generationTokens = 0;
  double generationTps = 0;  // generated tokens / decode time
  double timeToFirstToken = 0; // seconds: images, prefill and the first sample
  int64_t peakMemoryBytes = 0; // peak resident memory of the process
};

struct GenerateResult {
  std::string text;
  std::vector<int32_t> promptIds;
  std::vector<int32_t> generatedIds;
  std::string finishReason; // "stop" (EOS or a stop string), "length" or "callback"
  GenerateStats stats;
};

// Called with each new token and the text it completes (possibly empty while a
// UTF-8 sequence is incomplete); return false to stop generating.
using TokenCallback = std::function<bool(int32_t token, std::string_view text)>;

class Generator {
public:
  static Result<std::unique_ptr<Generator>> create(std::shared_ptr<exec::Model> model,
                                                   const exec::SessionOptions &options);
  ~Generator();

  // The prompt text after the chat template (the raw prompt when the model
  // has none), before image placeholders are expanded.
  Result<std::string> renderPrompt(const GenerateRequest &request) const;
  Result<GenerateResult> generate(const GenerateRequest &request,
                                  const TokenCallback &onToken = {});

  const tokenizer::Tokenizer &tokenizer() const;
  const exec::Model &model() const { return *model_; }
  bool hasChatTemplate() const;

private:
  Generator() = default;
  struct Impl;
  std::shared_ptr<exec::Model> model_;
  std::unique_ptr<Impl> impl_;
};

} // namespace vlmc::generate
