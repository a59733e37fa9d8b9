// One GPU: its primary context, one stream, and RAII wrappers for what lives
// on it (memory, modules, events, graphs).
//
// Device::open works on any machine: without a driver or GPU it returns the
// Status from Driver::get() ("no NVIDIA driver: ..."). Every operation runs
// on the device's single non-blocking stream, in order.
//
// Threads: each method makes the device's context current for its own
// duration (push/pop), so a Device may be used from any thread, but one
// thread at a time. Objects created from a Device (DeviceBuffer, Module,
// Function, Event, Graph) must be destroyed before it.
#pragma once

#include "vlmc/cuda/Driver.h"
#include "vlmc/support/Status.h"

#include <cuda.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace vlmc::cuda {

struct Dim3 {
  unsigned x = 1, y = 1, z = 1;
};

struct DeviceProperties {
  int ordinal = 0;
  std::string name;
  int ccMajor = 0, ccMinor = 0;
  int smCount = 0;
  size_t totalMemory = 0;
  // Largest dynamic shared memory a block may opt into (cuFuncSetAttribute).
  int maxSharedPerBlockOptin = 0;

  // The NVRTC target for this device: "sm_80", "sm_86", and with the
  // arch-specific "a" suffix from Hopper on ("sm_90a", "sm_100a"), which
  // wgmma/tcgen05 code needs. Such cubins run only on that exact arch.
  std::string arch() const;
};

// DeviceProperties::arch() of a device of compute capability major.minor:
// the one arch whose embedded cubins the runtime loads there, so the
// compiler names precompiled cubins with it.
std::string archForComputeCapability(int major, int minor);

struct MemoryInfo {
  size_t free = 0, total = 0;
};

// Device memory. Move-only; freed on destruction. An empty buffer (size 0,
// ptr 0) is valid and is what allocate(0) returns.
class DeviceBuffer {
public:
  DeviceBuffer() = default;
  ~DeviceBuffer() { (void)reset(); }
  DeviceBuffer(DeviceBuffer &&other) noexcept { *this = std::move(other); }
  DeviceBuffer &operator=(DeviceBuffer &&other) noexcept;

  CUdeviceptr ptr() const { return ptr_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Frees now and reports the driver's answer (the destructor can't).
  Status reset();

private:
  friend class Device;
  const Driver *driver_ = nullptr;
  CUcontext context_ = nullptr;
  CUdeviceptr ptr_ = 0;
  size_t size_ = 0;
};

// A kernel entry point. Not owning: valid while its Module lives.
struct Function {
  CUfunction handle = nullptr;
  std::string name;
};

// A loaded cubin (or PTX). Move-only; unloaded on destruction.
class Module {
public:
  Module() = default;
  ~Module();
  Module(Module &&other) noexcept { *this = std::move(other); }
  Module &operator=(Module &&other) noexcept;

  Result<Function> function(const std::string &name) const;
  CUmodule handle() const { return module_; }

private:
  friend class Device;
  const Driver *driver_ = nullptr;
  CUcontext context_ = nullptr;
  CUmodule module_ = nullptr;
};

// A timing event. Move-only.
class Event {
public:
  Event() = default;
  ~Event();
  Event(Event &&other) noexcept { *this = std::move(other); }
  Event &operator=(Event &&other) noexcept;

  // Waits until the work recorded before this event has finished.
  Status synchronize() const;
  // Milliseconds between two recorded, completed events of the same device.
  static Result<float> elapsedMs(const Event &start, const Event &end);
  CUevent handle() const { return event_; }

private:
  friend class Device;
  const Driver *driver_ = nullptr;
  CUcontext context_ = nullptr;
  CUevent event_ = nullptr;
};

// A captured stream, instantiated for replay. Move-only.
class Graph {
public:
  Graph() = default;
  ~Graph();
  Graph(Graph &&other) noexcept { *this = std::move(other); }
  Graph &operator=(Graph &&other) noexcept;

  CUgraphExec handle() const { return exec_; }

private:
  friend class Device;
  const Driver *driver_ = nullptr;
  CUcontext context_ = nullptr;
  CUgraph graph_ = nullptr;
  CUgraphExec exec_ = nullptr;
};

// Kernel arguments for Device::launch: the addresses of the arguments, in
// order. Takes lvalues only, because the array stores their addresses:
//   auto args = kernelArgs(a, b, n); device.launch(f, grid, block, 0,
//   args.data());
template <typename... Args>
std::array<void *, sizeof...(Args)> kernelArgs(Args &...args) {
  return {{static_cast<void *>(&args)...}};
}

class Device {
public:
  static Result<std::unique_ptr<Device>> open(int ordinal = 0);
  ~Device();
  Device(const Device &) = delete;
  Device &operator=(const Device &) = delete;

  const DeviceProperties &properties() const { return properties_; }
  const Driver &driver() const { return *driver_; }
  CUcontext context() const { return context_; }
  CUstream stream() const { return stream_; }
  // Makes the context current on the calling thread and leaves it there,
  // for code that calls the driver table directly.
  Status makeCurrent() const;

  Result<MemoryInfo> memoryInfo() const;

  // Out of memory is kResourceExhausted, with the bytes asked and free.
  Result<DeviceBuffer> allocate(size_t bytes);

  // Asynchronous on the device stream; ranges are checked against the
  // buffers. Host memory must stay valid until the stream is synchronized
  // (pageable memory makes the driver stage or block; pin it for overlap).
  Status copyToDevice(DeviceBuffer &dst, const void *src, size_t bytes,
                      size_t dstOffset = 0);
  Status copyToHost(void *dst, const DeviceBuffer &src, size_t bytes,
                    size_t srcOffset = 0);
  // Copies `bytes` from a device address (a view into some buffer) and waits
  // for the stream, so `dst` is ready when this returns.
  Status download(void *dst, CUdeviceptr src, size_t bytes);
  Status copyDeviceToDevice(DeviceBuffer &dst, const DeviceBuffer &src,
                            size_t bytes, size_t dstOffset = 0,
                            size_t srcOffset = 0);
  Status fill(DeviceBuffer &dst, uint8_t value, size_t bytes,
              size_t offset = 0);
  // Waits for everything queued on the stream.
  Status synchronize();

  // Loads cubin (or NUL-terminated PTX) bytes; errors carry the driver's JIT
  // log and a hint when the image was built for another arch.
  Result<Module> loadModule(std::string_view image);
  // Raises a kernel's dynamic shared memory limit above the default 48 KiB.
  Status setMaxDynamicSharedBytes(const Function &function, int bytes);
  // Queues function<<<grid, block, sharedBytes, stream>>>(args). `args` holds
  // one pointer per kernel parameter (see kernelArgs). Errors name the kernel.
  Status launch(const Function &function, Dim3 grid, Dim3 block,
                unsigned sharedBytes, void **args);

  Result<Event> createEvent();
  // Records `event` at the current end of the stream.
  Status record(Event &event);

  // Stream capture: work queued between beginCapture and endCapture is
  // recorded, not run; endCapture instantiates it for replay(). Capture is
  // thread-local, so other threads may keep allocating meanwhile.
  Status beginCapture();
  Result<Graph> endCapture();
  Status replay(const Graph &graph);

private:
  Device() = default;

  const Driver *driver_ = nullptr;
  CUdevice device_ = 0;
  CUcontext context_ = nullptr;
  CUstream stream_ = nullptr;
  DeviceProperties properties_;
};

} // namespace vlmc::cuda
