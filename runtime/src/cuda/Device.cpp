#include "vlmc/cuda/Device.h"

#include <cstdio>
#include <utility>
#include <vector>

namespace vlmc::cuda {
namespace {

// Makes a context current for one scope and restores the caller's afterwards,
// so vlmc never leaves its context behind on an application's thread.
class ContextScope {
public:
  ContextScope(const Driver &driver, CUcontext context) : driver_(driver) {
    status_ = VLMC_CU(driver, cuCtxPushCurrent, context);
  }
  ~ContextScope() {
    CUcontext popped = nullptr;
    if (status_.isOk())
      driver_.cuCtxPopCurrent(&popped);
  }
  const Status &status() const { return status_; }

private:
  const Driver &driver_;
  Status status_;
};

#define VLMC_CONTEXT_SCOPE(driver, context)                                    \
  ContextScope contextScope_(driver, context);                                 \
  VLMC_RETURN_IF_ERROR(contextScope_.status())

std::string formatBytes(size_t bytes) {
  static const char *kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  char text[64];
  snprintf(text, sizeof(text), "%zu bytes (%.1f %s)", bytes, value,
           kUnits[unit]);
  return text;
}

Status checkRange(const char *what, const DeviceBuffer &buffer, size_t offset,
                  size_t bytes) {
  if (offset > buffer.size() || bytes > buffer.size() - offset)
    return outOfRange(std::string(what) + ": range [" + std::to_string(offset) +
                      ", +" + std::to_string(bytes) +
                      ") lies outside a buffer of " +
                      std::to_string(buffer.size()) + " bytes");
  return Status::ok();
}

std::string dimString(Dim3 d) {
  return "(" + std::to_string(d.x) + "," + std::to_string(d.y) + "," +
         std::to_string(d.z) + ")";
}

// Moves a handle out of `from`, leaving it empty.
template <typename T> T take(T &from) { return std::exchange(from, T{}); }

} // namespace

std::string archForComputeCapability(int major, int minor) {
  std::string arch = "sm_" + std::to_string(major) + std::to_string(minor);
  if (major >= 9)
    arch += "a";
  return arch;
}

std::string DeviceProperties::arch() const {
  return archForComputeCapability(ccMajor, ccMinor);
}

// ---- DeviceBuffer ----------------------------------------------------------

DeviceBuffer &DeviceBuffer::operator=(DeviceBuffer &&other) noexcept {
  if (this != &other) {
    (void)reset();
    driver_ = take(other.driver_);
    context_ = take(other.context_);
    ptr_ = take(other.ptr_);
    size_ = take(other.size_);
  }
  return *this;
}

Status DeviceBuffer::reset() {
  Status status;
  if (ptr_) {
    ContextScope scope(*driver_, context_);
    status = scope.status().isOk() ? VLMC_CU(*driver_, cuMemFree, ptr_)
                                   : scope.status();
  }
  driver_ = nullptr;
  context_ = nullptr;
  ptr_ = 0;
  size_ = 0;
  return status;
}

// ---- Module ----------------------------------------------------------------

Module::~Module() {
  if (module_) {
    ContextScope scope(*driver_, context_);
    if (scope.status().isOk())
      driver_->cuModuleUnload(module_);
  }
}

Module &Module::operator=(Module &&other) noexcept {
  if (this != &other) {
    Module old;
    old.driver_ = std::exchange(driver_, take(other.driver_));
    old.context_ = std::exchange(context_, take(other.context_));
    old.module_ = std::exchange(module_, take(other.module_));
  }
  return *this;
}

Result<Function> Module::function(const std::string &name) const {
  if (!module_)
    return invalidArgument("function '" + name +
                           "' requested from an empty Module");
  VLMC_CONTEXT_SCOPE(*driver_, context_);
  Function function;
  function.name = name;
  Status status = VLMC_CU(*driver_, cuModuleGetFunction, &function.handle,
                          module_, name.c_str());
  if (!status)
    return status.withContext("kernel '" + name + "' (is it extern \"C\"?)");
  return function;
}

// ---- Event -----------------------------------------------------------------

Event::~Event() {
  if (event_) {
    ContextScope scope(*driver_, context_);
    if (scope.status().isOk())
      driver_->cuEventDestroy(event_);
  }
}

Event &Event::operator=(Event &&other) noexcept {
  if (this != &other) {
    Event old;
    old.driver_ = std::exchange(driver_, take(other.driver_));
    old.context_ = std::exchange(context_, take(other.context_));
    old.event_ = std::exchange(event_, take(other.event_));
  }
  return *this;
}

Status Event::synchronize() const {
  if (!event_)
    return invalidArgument("synchronize on an empty Event");
  VLMC_CONTEXT_SCOPE(*driver_, context_);
  return VLMC_CU(*driver_, cuEventSynchronize, event_);
}

Result<float> Event::elapsedMs(const Event &start, const Event &end) {
  if (!start.event_ || !end.event_)
    return invalidArgument("elapsedMs on an empty Event");
  VLMC_CONTEXT_SCOPE(*start.driver_, start.context_);
  float ms = 0;
  VLMC_RETURN_IF_ERROR(VLMC_CU(*start.driver_, cuEventElapsedTime, &ms,
                               start.event_, end.event_));
  return ms;
}

// ---- Graph -----------------------------------------------------------------

Graph::~Graph() {
  if (exec_ || graph_) {
    ContextScope scope(*driver_, context_);
    if (scope.status().isOk()) {
      if (exec_)
        driver_->cuGraphExecDestroy(exec_);
      if (graph_)
        driver_->cuGraphDestroy(graph_);
    }
  }
}

Graph &Graph::operator=(Graph &&other) noexcept {
  if (this != &other) {
    Graph old;
    old.driver_ = std::exchange(driver_, take(other.driver_));
    old.context_ = std::exchange(context_, take(other.context_));
    old.graph_ = std::exchange(graph_, take(other.graph_));
    old.exec_ = std::exchange(exec_, take(other.exec_));
  }
  return *this;
}

// ---- Device ----------------------------------------------------------------

Result<std::unique_ptr<Device>> Device::open(int ordinal) {
  Result<const Driver *> driver = Driver::get();
  if (!driver)
    return driver.status();
  const Driver &d = **driver;
  if (ordinal < 0 || ordinal >= d.deviceCount())
    return invalidArgument("no CUDA device " + std::to_string(ordinal) +
                           ": the driver sees " +
                           std::to_string(d.deviceCount()) + " device(s)");

  std::unique_ptr<Device> device(new Device);
  device->driver_ = &d;
  VLMC_RETURN_IF_ERROR(VLMC_CU(d, cuDeviceGet, &device->device_, ordinal));
  // The primary context is the one the CUDA runtime and most libraries use,
  // so buffers and modules interoperate with them.
  VLMC_RETURN_IF_ERROR(
      VLMC_CU(d, cuDevicePrimaryCtxRetain, &device->context_, device->device_));
  VLMC_CONTEXT_SCOPE(d, device->context_);
  // Non-blocking: no implicit synchronisation with the legacy default stream
  // other libraries in the process may use.
  VLMC_RETURN_IF_ERROR(
      VLMC_CU(d, cuStreamCreate, &device->stream_, CU_STREAM_NON_BLOCKING));

  DeviceProperties &p = device->properties_;
  p.ordinal = ordinal;
  char name[256] = {};
  VLMC_RETURN_IF_ERROR(
      VLMC_CU(d, cuDeviceGetName, name, sizeof(name) - 1, device->device_));
  p.name = name;
  auto attribute = [&](CUdevice_attribute which, int *out) {
    return VLMC_CU(d, cuDeviceGetAttribute, out, which, device->device_);
  };
  VLMC_RETURN_IF_ERROR(
      attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, &p.ccMajor));
  VLMC_RETURN_IF_ERROR(
      attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, &p.ccMinor));
  VLMC_RETURN_IF_ERROR(
      attribute(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, &p.smCount));
  VLMC_RETURN_IF_ERROR(
      attribute(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN,
                &p.maxSharedPerBlockOptin));
  VLMC_RETURN_IF_ERROR(
      VLMC_CU(d, cuDeviceTotalMem, &p.totalMemory, device->device_));
  return device;
}

Device::~Device() {
  if (!context_)
    return;
  if (stream_) {
    ContextScope scope(*driver_, context_);
    if (scope.status().isOk()) {
      driver_->cuStreamSynchronize(stream_);
      driver_->cuStreamDestroy(stream_);
    }
  }
  driver_->cuDevicePrimaryCtxRelease(device_);
}

Status Device::makeCurrent() const {
  return VLMC_CU(*driver_, cuCtxSetCurrent, context_);
}

Result<MemoryInfo> Device::memoryInfo() const {
  VLMC_CONTEXT_SCOPE(*driver_, context_);
  MemoryInfo info;
  VLMC_RETURN_IF_ERROR(
      VLMC_CU(*driver_, cuMemGetInfo, &info.free, &info.total));
  return info;
}

Result<DeviceBuffer> Device::allocate(size_t bytes) {
  DeviceBuffer buffer;
  if (bytes == 0)
    return buffer;
  VLMC_CONTEXT_SCOPE(*driver_, context_);
  CUdeviceptr ptr = 0;
  CUresult result = driver_->cuMemAlloc(&ptr, bytes);
  if (result == CUDA_ERROR_OUT_OF_MEMORY) {
    MemoryInfo info;
    std::string free =
        driver_->cuMemGetInfo(&info.free, &info.total) == CUDA_SUCCESS
            ? formatBytes(info.free) + " free of " + formatBytes(info.total)
            : "free memory unknown";
    return Status(
        StatusCode::kResourceExhausted,
        "cuMemAlloc: CUDA_ERROR_OUT_OF_MEMORY: out of device memory on " +
            properties_.name + " (device " +
            std::to_string(properties_.ordinal) + "): asked for " +
            formatBytes(bytes) + ", " + free);
  }
  VLMC_RETURN_IF_ERROR(driver_->check(result, "cuMemAlloc")
                           .withContext("allocating " + formatBytes(bytes)));
  buffer.driver_ = driver_;
  buffer.context_ = context_;
  buffer.ptr_ = ptr;
  buffer.size_ = bytes;
  return buffer;
}

Status Device::copyToDevice(DeviceBuffer &dst, const void *src, size_t bytes,
                            size_t dstOffset) {
  VLMC_RETURN_IF_ERROR(checkRange("copyToDevice", dst, dstOffset, bytes));
  if (bytes == 0)
    return Status::ok();
  VLMC_CONTEXT_SCOPE(*driver_, context_);
  return VLMC_CU(*driver_, cuMemcpyHtoDAsync, dst.ptr() + dstOffset, src, bytes,
                 stream_);
}

Status Device::download(void *dst, CUdeviceptr src, size_t bytes) {
  if (bytes == 0)
    return Status::ok();
  {
    VLMC_CONTEXT_SCOPE(*driver_, context_);
    VLMC_RETURN_IF_ERROR(VLMC_CU(*driver_, cuMemcpyDtoHAsync, dst, src, bytes, stream_));
  }
  return synchronize();
}

Status Device::copyToHost(void *dst, const DeviceBuffer &src, size_t bytes,
                          size_t srcOffset) {
  VLMC_RETURN_IF_ERROR(checkRange("copyToHost", src, srcOffset, bytes));
  if (bytes == 0)
    return Status::ok();
  VLMC_CONTEXT_SCOPE(*driver_, context_);
  return VLMC_CU(*driver_, cuMemcpyDtoHAsync, dst, src.ptr() + srcOffset, bytes,
                 stream_);
}

Status Device::copyDeviceToDevice(DeviceBuffer &dst, const DeviceBuffer &src,
                                  size_t bytes, size_t dstOffset,
                                  size_t srcOffset) {
  VLMC_RETURN_IF_ERROR(
      checkRange("copyDeviceToDevice (destination)", dst, dstOffset, bytes));
  VLMC_RETURN_IF_ERROR(
      checkRange("copyDeviceToDevice (source)", src, srcOffset, bytes));
  if (bytes == 0)
    return Status::ok();
  VLMC_CONTEXT_SCOPE(*driver_, context_);
  return VLMC_CU(*driver_, cuMemcpyDtoDAsync, dst.ptr() + dstOffset,
                 src.ptr() + srcOffset, bytes, stream_);
}

Status Device::fill(DeviceBuffer &dst, uint8_t value, size_t bytes,
                    size_t offset) {
  VLMC_RETURN_IF_ERROR(checkRange("fill", dst, offset, bytes));
  if (bytes == 0)
    return Status::ok();
  VLMC_CONTEXT_SCOPE(*driver_, context_);
  return VLMC_CU(*driver_, cuMemsetD8Async, dst.ptr() + offset, value, bytes,
                 stream_);
}

Status Device::synchronize() {
  VLMC_CONTEXT_SCOPE(*driver_, context_);
  return VLMC_CU(*driver_, cuStreamSynchronize, stream_);
}

Result<Module> Device::loadModule(std::string_view image) {
  if (image.empty())
    return invalidArgument("loadModule: empty image");
  VLMC_CONTEXT_SCOPE(*driver_, context_);
  // The driver writes why an image was rejected (wrong arch, bad PTX) into
  // this buffer; without it the error is a bare CUDA_ERROR_INVALID_IMAGE.
  std::vector<char> log(8192, '\0');
  CUjit_option options[] = {CU_JIT_ERROR_LOG_BUFFER,
                            CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  void *values[] = {log.data(), reinterpret_cast<void *>(log.size() - 1)};
  Module module;
  CUresult result = driver_->cuModuleLoadDataEx(&module.module_, image.data(),
                                                2, options, values);
  if (result != CUDA_SUCCESS) {
    Status status = driver_->check(result, "cuModuleLoadDataEx");
    std::string detail = "loading a " + std::to_string(image.size()) +
                         "-byte module on " + properties_.name + " (" +
                         properties_.arch() + ")";
    if (result == CUDA_ERROR_NO_BINARY_FOR_GPU ||
        result == CUDA_ERROR_INVALID_IMAGE)
      detail += "; was it compiled for another arch?";
    std::string jitLog(log.data());
    if (!jitLog.empty())
      detail += "; driver log: " + jitLog;
    return status.withContext(detail);
  }
  module.driver_ = driver_;
  module.context_ = context_;
  return module;
}

Status Device::setMaxDynamicSharedBytes(const Function &function, int bytes) {
  VLMC_CONTEXT_SCOPE(*driver_, context_);
  return VLMC_CU(*driver_, cuFuncSetAttribute, function.handle,
                 CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes)
      .withContext("kernel '" + function.name + "', " + std::to_string(bytes) +
                   " bytes of dynamic shared memory (device allows " +
                   std::to_string(properties_.maxSharedPerBlockOptin) + ")");
}

Status Device::launch(const Function &function, Dim3 grid, Dim3 block,
                      unsigned sharedBytes, void **args) {
  if (!function.handle)
    return invalidArgument("launch of an unresolved kernel '" + function.name +
                           "'");
  VLMC_CONTEXT_SCOPE(*driver_, context_);
  CUresult result = driver_->cuLaunchKernel(
      function.handle, grid.x, grid.y, grid.z, block.x, block.y, block.z,
      sharedBytes, stream_, args, nullptr);
  if (result == CUDA_SUCCESS)
    return Status::ok();
  std::string detail = "grid " + dimString(grid) + ", block " +
                       dimString(block) + ", " + std::to_string(sharedBytes) +
                       " bytes of shared memory";
  if (sharedBytes > 48 * 1024)
    detail += " (above 48 KiB needs setMaxDynamicSharedBytes)";
  Status status =
      driver_->check(result, "cuLaunchKernel(" + function.name + ")");
  return Status(status.code(), status.message() + "; " + detail);
}

Result<Event> Device::createEvent() {
  VLMC_CONTEXT_SCOPE(*driver_, context_);
  Event event;
  VLMC_RETURN_IF_ERROR(
      VLMC_CU(*driver_, cuEventCreate, &event.event_, CU_EVENT_DEFAULT));
  event.driver_ = driver_;
  event.context_ = context_;
  return event;
}

Status Device::record(Event &event) {
  if (!event.event_)
    return invalidArgument("record of an empty Event");
  VLMC_CONTEXT_SCOPE(*driver_, context_);
  return VLMC_CU(*driver_, cuEventRecord, event.event_, stream_);
}

Status Device::beginCapture() {
  VLMC_CONTEXT_SCOPE(*driver_, context_);
  return VLMC_CU(*driver_, cuStreamBeginCapture, stream_,
                 CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
}

Result<Graph> Device::endCapture() {
  VLMC_CONTEXT_SCOPE(*driver_, context_);
  Graph graph;
  graph.driver_ = driver_;
  graph.context_ = context_;
  // On failure (e.g. an illegal call invalidated the capture) the driver may
  // still hand back a graph; `graph` owns it either way and frees it.
  VLMC_RETURN_IF_ERROR(
      VLMC_CU(*driver_, cuStreamEndCapture, stream_, &graph.graph_));
  VLMC_RETURN_IF_ERROR(VLMC_CU(*driver_, cuGraphInstantiateWithFlags,
                               &graph.exec_, graph.graph_, 0));
  return graph;
}

Status Device::replay(const Graph &graph) {
  if (!graph.exec_)
    return invalidArgument("replay of an empty Graph");
  VLMC_CONTEXT_SCOPE(*driver_, context_);
  return VLMC_CU(*driver_, cuGraphLaunch, graph.exec_, stream_);
}

} // namespace vlmc::cuda
