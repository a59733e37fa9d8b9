// A minimal fork-join loop for compiling kernels concurrently. Compiles are
// seconds long and few, so threads are started per call rather than pooled.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <system_error>
#include <thread>
#include <vector>

namespace vlmc::cuda {

// Calls fn(i) for every i in [0, n) on up to `threads` threads, the caller
// included (0: hardware concurrency, capped at 8 -- NVRTC uses a few hundred
// MB per compile). If the system refuses a thread, the ones started (or the
// caller alone) do the work. fn must not throw.
template <typename Fn> void parallelFor(size_t n, unsigned threads, Fn &&fn) {
  if (threads == 0)
    threads = std::min(8u, std::max(1u, std::thread::hardware_concurrency()));
  threads = static_cast<unsigned>(std::min<size_t>(threads, n));
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < n;)
      fn(i);
  };
  std::vector<std::thread> workers;
  for (unsigned t = 1; t < threads; ++t) {
    try {
      workers.emplace_back(work);
    } catch (const std::system_error &) {
      break;
    }
  }
  work();
  for (std::thread &worker : workers)
    worker.join();
}

} // namespace vlmc::cuda
