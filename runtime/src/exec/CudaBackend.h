// The CUDA backend of a Model: the device, the weights segment uploaded once,
// and the artifact's generated kernels loaded (an embedded cubin for this
// device's arch when present, else NVRTC through the persistent kernel cache,
// compiled in parallel).
#pragma once

#include "Program.h"
#include "vlmc/cuda/Device.h"
#include "vlmc/cuda/KernelAbi.h"

#include <memory>
#include <vector>

namespace vlmc::artifact {
class Artifact;
}

namespace vlmc::exec {

struct CudaLoadReport {
  double seconds = 0;
  size_t kernels = 0, cacheHits = 0, embeddedCubins = 0;
  size_t weightBytes = 0;
  std::string device;
};

class CudaModel {
public:
  static Result<std::unique_ptr<CudaModel>> create(const artifact::Artifact &artifact,
                                                   int ordinal);
  ~CudaModel();

  cuda::Device &device() { return *device_; }
  // Device views of the artifact's tensors (into one uploaded segment).
  const std::vector<cuda::DeviceTensor> &weights() const { return weights_; }
  const cuda::Function &kernel(size_t index) const { return functions_[index]; }
  const fb::Kernel &kernelInfo(size_t index) const;
  const CudaLoadReport &report() const { return report_; }
  // Artifact.greedy_kernel: the ArgMax over logits rows, or -1.
  int32_t greedyKernel() const;
  // Artifact.sample_kernel: the Sample kernel over logits rows, or -1.
  int32_t sampleKernel() const;

private:
  CudaModel() = default;
  const artifact::Artifact *artifact_ = nullptr;
  std::unique_ptr<cuda::Device> device_;
  cuda::DeviceBuffer weightSegment_;
  std::vector<cuda::DeviceTensor> weights_;
  std::vector<cuda::Module> modules_;
  std::vector<cuda::Function> functions_;
  CudaLoadReport report_;
};

// Runs a Program on the device. Storage comes from a pool of device buffers
// kept across runs (no allocation once shapes repeat).
class CudaProfiler;

class CudaExecutor {
public:
  explicit CudaExecutor(CudaModel &model) : model_(model) {}

  // Times every launch of later runs (null: stop).
  void setProfiler(CudaProfiler *profiler) { profiler_ = profiler; }

  // `inputs` are device tensors (the caller uploads host data). Outputs are
  // views into executor-owned device memory valid until the next run, or the
  // caller's buffers for outputs that alias inputs (KV caches).
  Status run(const Program &program, const std::map<std::string, cuda::DeviceTensor> &inputs,
             std::vector<cuda::DeviceTensor> *outputs);

  // Changes whenever memory a previous run's launches referred to is freed
  // (the workspace grows): a graph captured before then must not replay.
  uint64_t generation() const { return generation_; }

private:
  struct Buffer {
    cuda::DeviceBuffer memory;
    bool free = true;
  };
  Result<int32_t> acquire(size_t bytes);
  Status runOp(const Program &program, const OpInfo &op);

  CudaModel &model_;
  std::vector<Buffer> pool_;
  cuda::DeviceBuffer workspace_;
  std::vector<cuda::DeviceTensor> slots_;
  std::vector<int32_t> owned_; // pool buffer per value (-1: none)
  uint64_t generation_ = 0;
  CudaProfiler *profiler_ = nullptr;
};

size_t dtypeBytes(fb::DType dtype);

} // namespace vlmc::exec
