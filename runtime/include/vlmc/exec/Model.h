// A loaded artifact and the sessions that run it on the CPU backend.
//
// A Model owns the mapped artifact (weights stay in the mapping: zero copy)
// and the prepared programs; any number of Sessions share it. A Session owns
// its KV cache (allocated once for maxContext positions), its threads and the
// scratch of each entry point, so after the first decode step a step
// allocates nothing.
#pragma once

#include "vlmc/cpu/Sampling.h"
#include "vlmc/exec/ModelInputs.h"
#include "vlmc/exec/Tensor.h"
#include "vlmc/model/ModelConfig.h"
#include "vlmc/support/Status.h"

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace vlmc::artifact {
class Artifact;
}

namespace vlmc::exec {

class Program;
class CpuExecutor;
class CudaModel;

class Model {
public:
  static Result<std::shared_ptr<Model>> load(const std::string &path);
  ~Model();

  const model::ModelConfig &config() const { return config_; }
  const artifact::Artifact &artifact() const { return *artifact_; }
  // An embedded front-end file (tokenizer.json, chat_template.jinja, ...).
  std::optional<std::string_view> file(std::string_view name) const;
  const std::string &target() const { return target_; }
  bool quantizeActivations() const { return quantizeActivations_; }

  const Program *program(std::string_view name) const;
  const std::vector<TensorRef> &weights() const { return weights_; }
  // The device side (weights uploaded, kernels loaded), created on first use
  // and shared by the model's sessions. Only for artifacts compiled for cuda.
  Result<CudaModel *> cudaModel() const;
  // CUDA target: sets the device up now (weights uploaded, kernels loaded
  // from embedded cubins, the kernel cache or NVRTC) and says what that
  // took, e.g. for --verbose. Sessions otherwise do it on first use.
  Result<std::string> prepareDevice() const;

private:
  Model() = default;
  std::unique_ptr<artifact::Artifact> artifact_;
  model::ModelConfig config_;
  std::string target_;
  bool quantizeActivations_ = false;
  std::vector<std::unique_ptr<Program>> programs_;
  std::vector<TensorRef> weights_;
  mutable std::mutex cudaMutex_;
  mutable std::unique_ptr<CudaModel> cuda_;
};

struct SessionOptions {
  int64_t maxContext = 4096; // KV-cache positions
  int numThreads = 0;        // 0: all hardware threads
  // CUDA target: decode steps are captured into a CUDA graph once and
  // replayed (off: every kernel is launched every step, for comparison).
  bool cudaGraphs = true;
  // prefill returns the logits of its last token only ([1, vocab]): what
  // generation needs, without bringing [tokens, vocab] floats to the host
  // (155 MB for a 512-token Qwen2-VL prompt on the CUDA target).
  bool prefillLastLogitsOnly = false;
};

// Device time of one generated kernel over the profiled runs (CUDA target).
// `bytes` counts every operand read once and the output written once, so
// bytes / time is the achieved bandwidth of a kernel that reads each operand
// once; `flops` counts multiply-adds as two (0 where the host cannot know,
// e.g. attention over a KV length that lives on the device).
struct KernelTiming {
  std::string kernel, op;
  int64_t launches = 0;
  double milliseconds = 0, bytes = 0, flops = 0;
};

// One image, preprocessed by the model's image processor.
struct ImageInput {
  // Qwen2-VL / Qwen2.5-VL: pixel_values [patches, C*T*P*P] in the processor's
  // order and the grid (image_grid_thw).
  std::vector<float> pixels;
  QwenGrid grid;
  // Idefics3: tiles [tiles, C, S, S] and pixel_attention_mask [tiles, S, S]
  // (1 = real pixel). An empty mask means all pixels are real.
  int64_t tiles = 0;
  std::vector<uint8_t> pixelMask;
};

class Session {
public:
  static Result<std::unique_ptr<Session>> create(std::shared_ptr<const Model> model,
                                                 const SessionOptions &options);
  ~Session();

  // Runs the vision encoder on `images`: one row per image token, in prompt
  // order. The view stays valid until the next encodeImages call.
  Result<TensorRef> encodeImages(const std::vector<ImageInput> &images);

  // Prefill of `ids` after what the session already holds. With images,
  // `imageEmbeddings` come from encodeImages and `images` give their grids
  // (Qwen's M-RoPE positions). Returns logits [ids.size(), vocab] (or
  // [1, vocab] with SessionOptions::prefillLastLogitsOnly), valid until the
  // next prefill.
  Result<TensorRef> prefill(const std::vector<int32_t> &ids,
                            const TensorRef *imageEmbeddings = nullptr,
                            const std::vector<ImageInput> &images = {});
  // One token; logits [1, vocab] valid until the next decode.
  Result<TensorRef> decode(int32_t token);
  // One token, then the next one picked greedily (the first index of the
  // largest logit). On the CUDA target the pick happens on the device and only
  // the index comes back (artifacts compiled before the greedy kernel existed
  // pick on the host); a step allocates no host memory once the session has
  // run one.
  Result<int32_t> decodeGreedy(int32_t token);
  // One token, then the next one drawn by cpu::sampleToken's rule with
  // `step` (generate::Sampler::next makes one; a greedy spec is decodeGreedy).
  // On the CUDA target the draw happens on the device (the artifact's sample
  // kernel) and only the token comes back; the CPU backend, and artifacts
  // without the kernel, draw on the host from the same logits by the same rule.
  Result<int32_t> decodeSample(int32_t token, const cpu::SamplingStep &step);

  // Every output of the last prefill or decode step on the CPU backend (the
  // logits first; then the KV caches and, for artifacts compiled with
  // --emit-hidden-states, the hidden states), valid until the next call.
  const std::vector<TensorRef> &lastOutputs() const;

  int64_t length() const { return length_; }
  // CUDA target: decode steps served by replaying a captured graph.
  int64_t graphReplays() const;
  // CUDA target: time every kernel launch with device events from now on,
  // starting new totals (runs stay eager: a replayed graph has no
  // per-kernel events).
  Status profileKernels();
  // The profiled totals, slowest kernel first.
  std::vector<KernelTiming> kernelTimings() const;
  // CUDA target: bytes of device memory in use (cuMemGetInfo: total - free),
  // whoever uses them. Buffers are kept across runs (freed only when one
  // grows), so after the largest run this is close to the peak.
  Result<int64_t> deviceMemoryInUse() const;
  int64_t maxContext() const { return options_.maxContext; }
  void reset();

private:
  Session() = default;
  // With `picked`, the returned view is empty and the token picked from the
  // last logits row (greedily without `sampling`) is written there instead.
  Result<TensorRef> runText(const char *function, const std::vector<int32_t> &ids,
                            const std::vector<int32_t> &positions, int64_t streams,
                            const TensorRef *imageEmbeddings,
                            const cpu::SamplingStep *sampling = nullptr,
                            int32_t *picked = nullptr);
  Result<TensorRef> decodeStep(int32_t token, const cpu::SamplingStep *sampling,
                               int32_t *picked);

  std::shared_ptr<const Model> model_;
  SessionOptions options_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int64_t length_ = 0;
  int64_t ropeDelta_ = 0;
};

} // namespace vlmc::exec
