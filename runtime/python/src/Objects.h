// The C++ objects behind _vlmc.Model and _vlmc.Processor.
#pragma once

#include "compiler/driver/CompileDriver.h"
#include "vlmc/chat/ChatTemplate.h"
#include "vlmc/exec/Model.h"
#include "vlmc/generate/Generator.h"
#include "vlmc/support/Status.h"
#include "vlmc/tokenizer/Tokenizer.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace vlmc::python {

// The tokenizer and chat template of a model, copied out of it so they stay
// usable after the model is closed (MLX-VLM's processor outlives nothing, but
// scripts keep it around). Immutable once built: safe from any thread.
class PyProcessor {
public:
  using ReadFile = std::function<std::optional<std::string>(std::string_view name)>;
  // `readFile` gives a front-end file (tokenizer.json, tokenizer_config.json,
  // chat_template.jinja, ...) or nullopt; `label` names the source in errors.
  static Result<std::shared_ptr<PyProcessor>> create(const ReadFile &readFile,
                                                     const std::string &label);

  const tokenizer::Tokenizer &tokenizer() const { return *tokenizer_; }
  const std::optional<chat::ChatTemplate> &chatTemplate() const { return chatTemplate_; }

private:
  std::optional<tokenizer::Tokenizer> tokenizer_;
  std::optional<chat::ChatTemplate> chatTemplate_;
};

struct LoadOptions {
  std::string path;
  // The compile of a checkpoint directory: target (the device: cpu | cuda),
  // -qa, and weight quantization (vlm-convert's options, directories only).
  // modelDir is `path`.
  compiler::CompileOptions compile = [] {
    compiler::CompileOptions o;
    o.target = "cpu";
    return o;
  }();
  int64_t maxContext = 4096;
  int numThreads = 0;
  bool verbose = false;
};

// A loaded model and the one Generator (so one KV cache) that runs it.
// Generation is serialized by `mutex_`, which is only ever taken with the GIL
// released: the token callback takes the GIL while the mutex is held, so the
// opposite order would deadlock.
class PyModel {
public:
  static Result<std::shared_ptr<PyModel>> load(const LoadOptions &options);

  // Runs `request` (the GIL must be released). `onToken` as for
  // Generator::generate. kInvalidArgument once closed.
  Result<generate::GenerateResult> generate(const generate::GenerateRequest &request,
                                            const generate::TokenCallback &onToken);
  Result<std::string> renderPrompt(const generate::GenerateRequest &request);
  // Frees the model (mapping, KV cache, threads). A generation running in
  // another thread stops at its next token; close waits for it. Idempotent.
  void close();

  bool closing() const { return closing_.load(std::memory_order_relaxed); }
  bool closed() const;

  const std::shared_ptr<PyProcessor> &processor() const { return processor_; }
  const std::string &sourcePath() const { return sourcePath_; }
  const std::string &artifactPath() const { return artifactPath_; }
  const std::string &target() const { return target_; }
  const std::string &modelType() const { return modelType_; }
  const std::string &configJson() const { return configJson_; }
  bool quantizeActivations() const { return quantizeActivations_; }
  bool hasVision() const { return hasVision_; }
  int64_t maxContext() const { return maxContext_; }

private:
  std::mutex mutex_;
  std::shared_ptr<exec::Model> model_;
  std::unique_ptr<generate::Generator> generator_;
  std::atomic<bool> closing_{false};
  std::shared_ptr<PyProcessor> processor_;
  // Copied at load so they survive close().
  std::string sourcePath_, artifactPath_, target_, modelType_, configJson_;
  bool quantizeActivations_ = false;
  bool hasVision_ = false;
  int64_t maxContext_ = 0;
};

} // namespace vlmc::python
