// Runs a Program on the CPU backend. Intermediate storage comes from a pool
// that keeps its buffers across runs, so once a shape has been seen (every
// decode step after the first) a run allocates nothing.
#pragma once

#include "Program.h"
#include "vlmc/cpu/ThreadPool.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace vlmc::exec {

class BufferPool {
public:
  // A buffer of at least `bytes`, 64-byte aligned; the smallest free one that
  // fits, else a new one.
  int32_t acquire(size_t bytes);
  void release(int32_t buffer);
  void *data(int32_t buffer) const { return buffers_[size_t(buffer)].get(); }
  size_t totalBytes() const;

private:
  struct Deleter {
    void operator()(void *p) const;
  };
  std::vector<std::unique_ptr<void, Deleter>> buffers_;
  std::vector<size_t> capacity_;
  std::vector<bool> free_;
};

class CpuExecutor {
public:
  // `weights[i]` is the artifact's tensor i (zero-copy views of the mapped
  // weights segment); they must outlive the executor.
  CpuExecutor(cpu::ThreadPool &pool, const std::vector<TensorRef> &weights)
      : threads(pool), weights(weights) {}

  // Runs `program`. Every named input must be given (shapes checked against
  // the declared ones). Outputs are views into executor-owned storage, valid
  // until the next run, except outputs that alias an input (KV caches),
  // which point into the caller's buffer.
  Status run(const Program &program, const std::map<std::string, TensorRef> &inputs,
             std::vector<TensorRef> *outputs);

  size_t scratchBytes() const { return pool.totalBytes(); }

private:
  struct Slot {
    TensorRef tensor;
    int32_t buffer = -1; // pool buffer owned by this storage root, if any
  };

  Status runOp(const Program &program, const OpInfo &op);
  // Runs the CPU kernel of `op` into the allocated output `y`.
  Status compute(const OpInfo &op, const TensorRef &y);
  Status allocate(const Program &program, int32_t value, std::vector<int64_t> shape);
  const TensorRef &in(const OpInfo &op, size_t index) const {
    return slots[size_t(op.inputs[index])].tensor;
  }
  bool has(const OpInfo &op, size_t index) const {
    return index < op.inputs.size() && op.inputs[index] >= 0;
  }

  cpu::ThreadPool &threads;
  const std::vector<TensorRef> &weights;
  BufferPool pool;
  std::vector<Slot> slots;
};

} // namespace vlmc::exec
