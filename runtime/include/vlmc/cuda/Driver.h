// The CUDA driver API, loaded at run time.
//
// vlmc binaries must start on machines without a GPU or driver, so nothing
// links libcuda (on such a machine CUDA::cuda_driver is only the toolkit's
// stub). Driver::get() dlopens libcuda.so.1 once per process and resolves
// each entry point below through cuGetProcAddress at one pinned API version
// (IREE's discipline), so the function types from cuda.h match what the
// driver hands back whatever the installed driver's version is.
//
// Calls go through the table: `driver.cuMemAlloc(&ptr, n)`. cuda.h maps some
// names to versioned symbols (cuMemAlloc -> cuMemAlloc_v2); the table member
// is spelled through the same macro, so that stays consistent.
#pragma once

#include "vlmc/support/Status.h"

#include <cuda.h>

#include <memory>
#include <string>
#include <string_view>

// Every driver entry point vlmc uses, by its unversioned API name. Add a line
// here to use a new one; its type comes from cuda.h's prototype.
#define VLMC_CUDA_DRIVER_FUNCTIONS(X)                                          \
  X(cuGetErrorName)                                                            \
  X(cuGetErrorString)                                                          \
  X(cuDriverGetVersion)                                                        \
  X(cuInit)                                                                    \
  X(cuDeviceGet)                                                               \
  X(cuDeviceGetCount)                                                          \
  X(cuDeviceGetAttribute)                                                      \
  X(cuDeviceGetName)                                                           \
  X(cuDeviceTotalMem)                                                          \
  X(cuDevicePrimaryCtxRetain)                                                  \
  X(cuDevicePrimaryCtxRelease)                                                 \
  X(cuCtxSetCurrent)                                                           \
  X(cuCtxPushCurrent)                                                          \
  X(cuCtxPopCurrent)                                                           \
  X(cuStreamCreate)                                                            \
  X(cuStreamDestroy)                                                           \
  X(cuStreamSynchronize)                                                       \
  X(cuMemAlloc)                                                                \
  X(cuMemFree)                                                                 \
  X(cuMemGetInfo)                                                              \
  X(cuMemcpyHtoDAsync)                                                         \
  X(cuMemcpyDtoHAsync)                                                         \
  X(cuMemcpyDtoDAsync)                                                         \
  X(cuMemsetD8Async)                                                           \
  X(cuModuleLoadDataEx)                                                        \
  X(cuModuleUnload)                                                            \
  X(cuModuleGetFunction)                                                       \
  X(cuFuncSetAttribute)                                                        \
  X(cuLaunchKernel)                                                            \
  X(cuEventCreate)                                                             \
  X(cuEventRecord)                                                             \
  X(cuEventSynchronize)                                                        \
  X(cuEventElapsedTime)                                                        \
  X(cuEventDestroy)                                                            \
  X(cuStreamBeginCapture)                                                      \
  X(cuStreamEndCapture)                                                        \
  X(cuGraphInstantiateWithFlags)                                               \
  X(cuGraphLaunch)                                                             \
  X(cuGraphExecDestroy)                                                        \
  X(cuGraphDestroy)

namespace vlmc::cuda {

class Driver {
public:
  // The API version every entry point is resolved at. 12.0 is the oldest
  // driver vlmc supports; none of the functions above changed signature
  // between 12.0 and 13.0, so a 13.x driver gives the same ABI.
  static constexpr int kApiVersion = 12000;

  // The process-wide driver: libcuda.so.1, loaded and cuInit'ed on first use.
  // A failure is remembered and returned again; it never aborts. Messages:
  //   "no NVIDIA driver: libcuda.so.1 could not be loaded (<dlerror>)"
  //   "driver too old (needs CUDA 12.x): ..."
  //   "no CUDA device ..."
  static Result<const Driver *> get();

  // Loads a driver from `library` (a soname or a path), independently of
  // get(). For tests and for pointing at a specific libcuda; the library is
  // closed when the Driver is destroyed.
  static Result<std::unique_ptr<Driver>> load(const std::string &library);

  ~Driver();
  Driver(const Driver &) = delete;
  Driver &operator=(const Driver &) = delete;

  // CUDA version the driver reports, e.g. 12080 for 12.8.
  int version() const { return version_; }
  int deviceCount() const { return deviceCount_; }
  const std::string &library() const { return library_; }

  // "CUDA_ERROR_OUT_OF_MEMORY" etc.; "CUDA error <n>" if the driver has no
  // name for it.
  std::string errorName(CUresult result) const;
  // Ok for CUDA_SUCCESS; otherwise "<call>: CUDA_ERROR_X (<description>)"
  // with a StatusCode derived from the result (out of memory ->
  // kResourceExhausted, no device -> kUnavailable, ...).
  Status check(CUresult result, std::string_view call) const;

#define VLMC_CUDA_DECLARE_MEMBER(name) decltype(&::name) name = nullptr;
  VLMC_CUDA_DRIVER_FUNCTIONS(VLMC_CUDA_DECLARE_MEMBER)
#undef VLMC_CUDA_DECLARE_MEMBER

private:
  Driver() = default;

  void *handle_ = nullptr;
  std::string library_;
  int version_ = 0;
  int deviceCount_ = 0;
};

// Maps a CUresult to the StatusCode used by Driver::check.
StatusCode statusCodeFor(CUresult result);

} // namespace vlmc::cuda

// Calls driver.fn(args...) and turns the result into a Status naming fn
// (unversioned, as written: "cuMemAlloc", not "cuMemAlloc_v2").
#define VLMC_CU(driver, fn, ...) (driver).check((driver).fn(__VA_ARGS__), #fn)
