// The device side of a Session: KV caches that live on the GPU, staging
// buffers for host inputs (kept and reused, so a decode step allocates
// nothing), CUDA graphs of repeated runs, and the first output brought back to
// the host as f32.
#pragma once

#include "CudaBackend.h"
#include "CudaProfiler.h"
#include "vlmc/cpu/Sampling.h"
#include "vlmc/exec/Tensor.h"

#include <map>
#include <memory>
#include <optional>
#include <string>

namespace vlmc::exec {

class CudaSession {
public:
  CudaSession(CudaModel &model, int64_t maxContext) : model_(model), maxContext_(maxContext) {}

  // Runs `program`: host `inputs` are uploaded (f32 converted to the value's
  // declared float type), inputs named k_cache.* / v_cache.* are bound to the
  // session's device caches. Returns output 0 on the host in f32 (only its
  // last row with `lastRowOnly`), valid until the next run.
  //
  // With `replay`, the launches of a run whose device inputs (pointers,
  // types, shapes) repeat those of the previous run are captured into a CUDA
  // graph once and replayed from then on: a decode step becomes the input
  // uploads, one graph launch and the output download. Sound because every
  // size a kernel reads that changes from step to step (KV length and
  // offset) is a device scalar, and the executor's memory stays put.
  Result<TensorRef> run(const Program &program, const std::map<std::string, TensorRef> &inputs,
                        CudaExecutor &executor, bool replay = false,
                        bool lastRowOnly = false);

  // Runs `program` like `run`, then picks a token from output 0's last row
  // on the device: one int32 comes back to the host instead of the logits.
  // `step` null or greedy: the first largest logit (the artifact's greedy
  // kernel); otherwise cpu::sampleToken's rule (its sample kernel). On
  // artifacts without the kernel, the row is downloaded and picked on the
  // host by the same rule.
  Result<int32_t> runPick(const Program &program,
                          const std::map<std::string, TensorRef> &inputs,
                          CudaExecutor &executor, bool replay,
                          const cpu::SamplingStep *step);

  // Graph launches so far (runs with `replay` that did not run eagerly).
  int64_t graphReplays() const { return graphReplays_; }

  // Times every kernel of later runs, which then stay eager.
  Status profileKernels();
  std::vector<KernelTiming> kernelTimings() const;

private:
  // What a run's device inputs were: a graph stays valid while they repeat.
  struct InputKey {
    const void *data = nullptr;
    fb::DType dtype = fb::DType::F32;
    std::vector<int64_t> shape;
  };
  // Per program, kept across runs so that a repeated run (a decode step)
  // allocates nothing on the host: the bound device inputs, their staging
  // buffers (by input position: a prefill growing its buffer must not move
  // the one a captured decode step reads), the outputs, and the graph of the
  // last repeated run with the inputs it was captured for.
  struct ProgramState {
    std::map<std::string, cuda::DeviceTensor> inputs;
    std::vector<cuda::DeviceBuffer> staging;
    std::vector<cuda::DeviceTensor> outputs;
    std::vector<InputKey> keys;
    uint64_t generation = 0;
    bool keysValid = false;
    std::optional<cuda::Graph> graph;
    std::vector<cuda::DeviceTensor> graphOutputs;
    bool captureFailed = false;
  };
  // Binds the inputs and runs the program (eager, captured or replayed).
  Result<ProgramState *> execute(const Program &program,
                                 const std::map<std::string, TensorRef> &inputs,
                                 CudaExecutor &executor, bool replay);
  Status runWithReplay(const Program &program, ProgramState &state, CudaExecutor &executor);
  // The ArgMax/Sample op planLaunch reads (its code and inputs).
  const fb::Op &pickOp(fb::OpCode code);
  // The Sample launch's penalized ids (input 1), uploaded.
  Status stagePenalizedIds(const cpu::SamplingStep &step);
  // The launch's workspace (the Sample kernel's probabilities), if any.
  Status bindPickWorkspace(cuda::Launch &launch);
  bool sameInputs(const ProgramState &state, uint64_t generation) const;
  void rememberInputs(ProgramState &state, uint64_t generation);

  Status bindCache(const std::string &name, const ValueInfo &info, cuda::DeviceTensor &slot);
  Status upload(const std::string &name, const TensorRef &host, const ValueInfo &info,
                cuda::DeviceBuffer &staging, cuda::DeviceTensor &slot);

  CudaModel &model_;
  int64_t maxContext_;
  std::map<std::string, cuda::DeviceBuffer> caches_;
  std::map<std::string, ProgramState> programs_;
  int64_t graphReplays_ = 0;
  std::unique_ptr<CudaProfiler> profiler_;
  std::vector<uint8_t> converted_, downloaded_;
  std::vector<float> output_;
  std::vector<int64_t> outputShape_;
  // Picking on the device: the launches' operands, kept across steps (the
  // logits row, the penalized ids, the token).
  std::map<fb::OpCode, std::vector<uint8_t>> pickOps_;
  std::vector<cuda::DeviceTensor> greedyInputs_, sampleInputs_;
  cuda::DeviceTensor pickOutput_;
  cuda::DeviceBuffer pickToken_, penalizedIds_, pickWorkspace_;
  cpu::SamplingScratch hostScratch_;
};

} // namespace vlmc::exec
