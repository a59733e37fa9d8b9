#include "CudaProfiler.h"

#include <algorithm>

namespace vlmc::exec {

Result<cuda::Event *> CudaProfiler::nextEvent() {
  if (used_ == events_.size()) {
    Result<cuda::Event> event = device_.createEvent();
    if (!event)
      return event.status();
    events_.push_back(std::move(*event));
  }
  return &events_[used_++];
}

Status CudaProfiler::begin() {
  Result<cuda::Event *> event = nextEvent();
  if (!event)
    return event.status();
  return device_.record(**event);
}

Status CudaProfiler::end(const std::string &kernel, const char *op, double bytes,
                         double flops) {
  size_t start = used_ - 1;
  Result<cuda::Event *> event = nextEvent();
  if (!event)
    return event.status();
  VLMC_RETURN_IF_ERROR(device_.record(**event));
  pending_.push_back(Pending{start, used_ - 1, kernel, op, bytes, flops});
  return Status::ok();
}

Status CudaProfiler::collect() {
  if (!pending_.empty())
    VLMC_RETURN_IF_ERROR(events_[pending_.back().end].synchronize());
  for (const Pending &p : pending_) {
    Result<float> ms = cuda::Event::elapsedMs(events_[p.start], events_[p.end]);
    if (!ms)
      return ms.status();
    KernelTiming &t = totals_[p.kernel];
    t.kernel = p.kernel;
    t.op = p.op;
    ++t.launches;
    t.milliseconds += *ms;
    t.bytes += p.bytes;
    t.flops += p.flops;
  }
  pending_.clear();
  used_ = 0;
  return Status::ok();
}

std::vector<KernelTiming> CudaProfiler::totals() const {
  std::vector<KernelTiming> out;
  for (const auto &[name, t] : totals_)
    out.push_back(t);
  std::sort(out.begin(), out.end(), [](const KernelTiming &a, const KernelTiming &b) {
    return a.milliseconds > b.milliseconds;
  });
  return out;
}

} // namespace vlmc::exec
