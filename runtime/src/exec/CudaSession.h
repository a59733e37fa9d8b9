// The device side of a Session: KV caches that live on the GPU, staging
// buffers for host inputs (kept and reused, so a decode step allocates
// nothing), and the first output brought back to the host as f32.
#pragma once

#include "CudaBackend.h"
#include "vlmc/exec/Tensor.h"

#include <map>
#include <memory>
#include <string>

namespace vlmc::exec {

class CudaSession {
public:
  CudaSession(CudaModel &model, int64_t maxContext) : model_(model), maxContext_(maxContext) {}

  // Runs `program`: host `inputs` are uploaded (f32 converted to the value's
  // declared float type), inputs named k_cache.* / v_cache.* are bound to the
  // session's device caches. Returns output 0 on the host in f32, valid until
  // the next run.
  Result<TensorRef> run(const Program &program, const std::map<std::string, TensorRef> &inputs,
                        CudaExecutor &executor);

private:
  Result<cuda::DeviceTensor> cache(const std::string &name, const ValueInfo &info);
  Result<cuda::DeviceTensor> upload(const std::string &name, const TensorRef &host,
                                    const ValueInfo &info);

  CudaModel &model_;
  int64_t maxContext_;
  std::map<std::string, cuda::DeviceBuffer> caches_, staging_;
  std::vector<uint8_t> converted_, downloaded_;
  std::vector<float> output_;
};

} // namespace vlmc::exec
