// The device side of a Session: KV caches that live on the GPU, staging
// buffers for host inputs (kept and reused, so a decode step allocates
// nothing), CUDA graphs of repeated runs, and the first output brought back to
// the host as f32.
#pragma once

#include "CudaBackend.h"
#include "CudaProfiler.h"
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

  // How the runs with `replay` went, for benchmarks and tests.
  struct ReplayStats {
    int64_t eagerRuns = 0, captures = 0, replays = 0, failedCaptures = 0;
  };
  const ReplayStats &replayStats() const { return replayStats_; }

  // Times every kernel of later runs, which then stay eager.
  Status profileKernels();
  std::vector<KernelTiming> kernelTimings() const;

private:
  // Per program: the graph of its last repeated run.
  struct CapturedRun {
    std::string signature; // of the device inputs and executor memory
    std::optional<cuda::Graph> graph;
    std::vector<cuda::DeviceTensor> outputs;
    bool captureFailed = false;
  };
  Status runWithReplay(const Program &program,
                       const std::map<std::string, cuda::DeviceTensor> &device,
                       CudaExecutor &executor, std::vector<cuda::DeviceTensor> *outputs);

  Result<cuda::DeviceTensor> cache(const std::string &name, const ValueInfo &info);
  Result<cuda::DeviceTensor> upload(const std::string &program, const std::string &name,
                                    const TensorRef &host,
                                    const ValueInfo &info);

  CudaModel &model_;
  int64_t maxContext_;
  std::map<std::string, cuda::DeviceBuffer> caches_;
  // By program and input: a prefill growing its buffer must not move the
  // one a captured decode step reads.
  std::map<std::string, cuda::DeviceBuffer> staging_;
  std::map<std::string, CapturedRun> captured_;
  ReplayStats replayStats_;
  std::unique_ptr<CudaProfiler> profiler_;
  std::vector<uint8_t> converted_, downloaded_;
  std::vector<float> output_;
};

} // namespace vlmc::exec
