// Per-kernel device time of eager CUDA runs: an event recorded around every
// launch, read back once the run has finished (the events stay on the device
// until then, so profiling adds no host sync inside a run).
#pragma once

#include "vlmc/cuda/Device.h"
#include "vlmc/exec/Model.h"

#include <map>
#include <string>
#include <vector>

namespace vlmc::exec {

class CudaProfiler {
public:
  explicit CudaProfiler(cuda::Device &device) : device_(device) {}

  // Around one launch. `bytes`/`flops` are the launch's operand traffic and
  // arithmetic as far as the host knows them (0: unknown).
  Status begin();
  Status end(const std::string &kernel, const char *op, double bytes, double flops);
  // Waits for the recorded launches and adds their times to the totals.
  Status collect();

  std::vector<KernelTiming> totals() const;

private:
  Result<cuda::Event *> nextEvent();

  struct Pending {
    size_t start, end;
    std::string kernel;
    const char *op;
    double bytes, flops;
  };
  cuda::Device &device_;
  std::vector<cuda::Event> events_;
  size_t used_ = 0;
  std::vector<Pending> pending_;
  std::map<std::string, KernelTiming> totals_;
};

} // namespace vlmc::exec
