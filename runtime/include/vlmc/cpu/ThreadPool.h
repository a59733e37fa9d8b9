// A fixed pool of worker threads for the CPU kernels.
//
// Threads are created once, in the constructor; parallelFor never creates a
// thread and never allocates (the callable is passed by pointer, not wrapped
// in a std::function). The calling thread takes part in every loop, so a pool
// of N threads owns N - 1 workers and a pool of 1 runs everything inline.
//
// The pool also owns the scratch memory the kernels reuse between calls
// (per-thread buffers and one staging buffer), which is what lets the kernels
// run without allocating in steady state. Consequently a pool serves one
// caller at a time -- the executor's model of one op after another. Loops
// submitted from several threads are serialized; a parallelFor issued from
// inside a running task runs inline on that thread (as thread 0, so a kernel
// that uses scratch must not be called from inside a task of its own pool).
//
// Idle workers block on a condition variable rather than spin: on small
// shared machines spinning steals the cores the work needs. The price is a
// wake-up per loop (~6 us measured on a loaded 2-core VM).
#pragma once

#include "vlmc/support/Status.h"

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace vlmc::cpu {

class ThreadPool {
public:
  // numThreads = 0 picks std::thread::hardware_concurrency() (1 if unknown).
  // Negative counts are treated as 1. If the system refuses to start a
  // thread, the pool keeps the ones it got (numThreads() tells).
  explicit ThreadPool(int numThreads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  // Threads taking part in a loop, the caller included (>= 1).
  int numThreads() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls fn(begin, end) on disjoint ranges covering [0, n), in parallel, and
  // returns when all are done. Ranges hold at least `grain` indices (except
  // the last). Which thread runs which range is not fixed, so fn must only
  // write state owned by its range. fn must not throw.
  template <typename F> void parallelFor(int64_t n, F &&fn) {
    parallelFor(n, 1, std::forward<F>(fn));
  }
  template <typename F> void parallelFor(int64_t n, int64_t grain, F &&fn) {
    using Fn = std::remove_reference_t<F>;
    run(
        n, grain,
        [](void *ctx, int64_t b, int64_t e, int) {
          (*static_cast<Fn *>(ctx))(b, e);
        },
        const_cast<void *>(static_cast<const void *>(&fn)));
  }
  // As parallelFor, with fn(begin, end, thread) where thread in
  // [0, numThreads()) names the executing thread: the index of its scratch().
  template <typename F>
  void parallelForThread(int64_t n, int64_t grain, F &&fn) {
    using Fn = std::remove_reference_t<F>;
    run(
        n, grain,
        [](void *ctx, int64_t b, int64_t e, int t) {
          (*static_cast<Fn *>(ctx))(b, e, t);
        },
        const_cast<void *>(static_cast<const void *>(&fn)));
  }

  // Grows every thread's scratch buffer to at least `floats` floats (64-byte
  // aligned, contents unspecified). Allocates only when growing; reports
  // ResourceExhausted instead of throwing. Call it before the loop that uses
  // scratch(thread); the pointers stay valid until the next growth.
  Status reserveScratch(size_t floats);
  float *scratch(int thread) {
    return scratch_[static_cast<size_t>(thread)].data;
  }

  // A staging buffer for the calling thread (e.g. quantized activations),
  // distinct from the per-thread scratch; same growth rules.
  Result<float *> workspace(size_t floats);

private:
  using Body = void (*)(void *ctx, int64_t begin, int64_t end, int thread);

  struct Buffer {
    float *data = nullptr;
    size_t floats = 0;
  };
  static Status grow(Buffer &buffer, size_t floats);
  static void release(Buffer &buffer);

  void run(int64_t n, int64_t grain, Body body, void *ctx);
  void workerLoop(int thread);
  void runChunks(int thread);

  std::vector<std::thread> workers_;
  std::vector<Buffer> scratch_; // one per thread, index 0 = caller
  Buffer workspace_;

  std::mutex submitMutex_; // one loop at a time

  // The current loop. Written by the submitting thread before the generation
  // is bumped (under mutex_), read by workers after they observe the bump.
  Body body_ = nullptr;
  void *ctx_ = nullptr;
  int64_t n_ = 0;
  int64_t chunk_ = 1;
  int64_t numChunks_ = 0;
  std::atomic<int64_t> nextChunk_{0};

  std::mutex mutex_;
  std::condition_variable wake_; // workers wait for a new generation
  std::condition_variable done_; // the caller waits for the workers
  uint64_t generation_ = 0;
  int finished_ = 0; // workers done with the current generation
  bool stop_ = false;
};

} // namespace vlmc::cpu
