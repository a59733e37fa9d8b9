// ThreadPool: workers sleep on a condition variable between loops; a loop is
// split into chunks that the caller and the workers claim through an atomic
// counter, so a slow or descheduled thread (2-core VMs shared with other
// processes) only delays its current chunk.
#include "vlmc/cpu/ThreadPool.h"

#include <algorithm>
#include <cstdlib>
#include <new>
#include <system_error>

namespace vlmc::cpu {
namespace {

// Set while a thread runs a task of some pool: nested loops then run inline
// instead of waiting on workers that are busy running the outer loop.
thread_local bool tInsideTask = false;

// Chunks per thread: enough to even out uneven work (causal attention rows)
// without paying for many tiny chunks.
constexpr int64_t kChunksPerThread = 4;

} // namespace

ThreadPool::ThreadPool(int numThreads) {
  if (numThreads == 0) {
    unsigned hw = std::thread::hardware_concurrency();
    numThreads = hw == 0 ? 1 : static_cast<int>(hw);
  }
  numThreads = std::max(numThreads, 1);
  workers_.reserve(static_cast<size_t>(numThreads - 1));
  for (int t = 1; t < numThreads; ++t) {
    try {
      workers_.emplace_back([this, t] { workerLoop(t); });
    } catch (const std::system_error &) {
      break; // keep the threads we got
    }
  }
  scratch_.resize(workers_.size() + 1);
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (std::thread &w : workers_)
    w.join();
  for (Buffer &b : scratch_)
    release(b);
  release(workspace_);
}

Status ThreadPool::grow(Buffer &buffer, size_t floats) {
  if (buffer.floats >= floats)
    return Status::ok();
  if (floats > SIZE_MAX / sizeof(float) - 16)
    return Status(StatusCode::kResourceExhausted, "CPU scratch request of " +
                                                      std::to_string(floats) +
                                                      " floats is too large");
  // Whole cache lines (aligned_alloc wants a multiple of the alignment).
  const size_t rounded = (std::max<size_t>(floats, 16) + 15) / 16 * 16;
  void *p = std::aligned_alloc(64, rounded * sizeof(float));
  if (!p)
    return Status(StatusCode::kResourceExhausted, "out of memory allocating " +
                                                      std::to_string(rounded) +
                                                      " floats of CPU scratch");
  release(buffer);
  buffer.data = static_cast<float *>(p);
  buffer.floats = rounded;
  return Status::ok();
}

void ThreadPool::release(Buffer &buffer) {
  std::free(buffer.data);
  buffer.data = nullptr;
  buffer.floats = 0;
}

Status ThreadPool::reserveScratch(size_t floats) {
  for (Buffer &b : scratch_)
    VLMC_RETURN_IF_ERROR(grow(b, floats));
  return Status::ok();
}

Result<float *> ThreadPool::workspace(size_t floats) {
  Status s = grow(workspace_, floats);
  if (!s.isOk())
    return s;
  return workspace_.data;
}

void ThreadPool::runChunks(int thread) {
  const bool outer = tInsideTask;
  tInsideTask = true;
  for (;;) {
    const int64_t c = nextChunk_.fetch_add(1, std::memory_order_relaxed);
    if (c >= numChunks_)
      break;
    const int64_t begin = c * chunk_;
    body_(ctx_, begin, std::min(n_, begin + chunk_), thread);
  }
  tInsideTask = outer;
}

void ThreadPool::run(int64_t n, int64_t grain, Body body, void *ctx) {
  if (n <= 0)
    return;
  grain = std::max<int64_t>(grain, 1);
  const int64_t threads = numThreads();
  // Nested loop, a single thread, or too little work to split: inline.
  if (tInsideTask || threads == 1 || n <= grain) {
    body(ctx, 0, n, 0);
    return;
  }
  std::lock_guard<std::mutex> submit(submitMutex_);
  const int64_t target = threads * kChunksPerThread;
  chunk_ = std::max(grain, (n + target - 1) / target);
  numChunks_ = (n + chunk_ - 1) / chunk_;
  n_ = n;
  body_ = body;
  ctx_ = ctx;
  nextChunk_.store(0, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    finished_ = 0;
    ++generation_;
  }
  wake_.notify_all();
  runChunks(0);
  // Every worker acknowledges every generation, so none can still be reading
  // this loop's fields when the next one overwrites them.
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock,
             [&] { return finished_ == static_cast<int>(workers_.size()); });
}

void ThreadPool::workerLoop(int thread) {
  uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_)
        return;
      seen = generation_;
    }
    runChunks(thread);
    bool last;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      last = ++finished_ == static_cast<int>(workers_.size());
    }
    if (last)
      done_.notify_one();
  }
}

} // namespace vlmc::cpu
