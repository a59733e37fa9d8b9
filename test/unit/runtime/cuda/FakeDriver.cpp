// A stand-in for libcuda.so.1, so Driver::load's paths (old driver, no
// device, missing entry point, error formatting) run on machines without a
// GPU. Built twice:
//  - with VLMC_FAKE_CUDA_12: exports the CUDA 12 cuGetProcAddress_v2; what it
//    reports follows $VLMC_FAKE_CUDA, read on every call: "old" (a 11.8
//    driver), "nodevice" (cuInit fails with CUDA_ERROR_NO_DEVICE), "zero" (no
//    devices), "missing" (no cuGraphLaunch); otherwise one device.
//  - without: exports only the 4-argument pre-12 cuGetProcAddress (11.8).
#include <cuda.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace {

std::string mode() {
  const char *m = std::getenv("VLMC_FAKE_CUDA");
  return m ? m : "";
}

CUresult fakeDriverGetVersion(int *version) {
#ifdef VLMC_FAKE_CUDA_12
  *version = mode() == "old" ? 11080 : 12080;
#else
  *version = 11080;
#endif
  return CUDA_SUCCESS;
}

CUresult fakeInit(unsigned) {
  return mode() == "nodevice" ? CUDA_ERROR_NO_DEVICE : CUDA_SUCCESS;
}

CUresult fakeDeviceGetCount(int *count) {
  *count = mode() == "zero" ? 0 : 1;
  return CUDA_SUCCESS;
}

CUresult fakeMemAlloc(CUdeviceptr *, size_t) {
  return CUDA_ERROR_OUT_OF_MEMORY;
}

CUresult fakeGetErrorName(CUresult result, const char **name) {
  switch (result) {
  case CUDA_ERROR_OUT_OF_MEMORY:
    *name = "CUDA_ERROR_OUT_OF_MEMORY";
    return CUDA_SUCCESS;
  case CUDA_ERROR_NO_DEVICE:
    *name = "CUDA_ERROR_NO_DEVICE";
    return CUDA_SUCCESS;
  case CUDA_ERROR_INVALID_VALUE:
    *name = "CUDA_ERROR_INVALID_VALUE";
    return CUDA_SUCCESS;
  default:
    *name = nullptr;
    return CUDA_ERROR_INVALID_VALUE;
  }
}

CUresult fakeGetErrorString(CUresult result, const char **text) {
  switch (result) {
  case CUDA_ERROR_OUT_OF_MEMORY:
    *text = "out of memory";
    return CUDA_SUCCESS;
  case CUDA_ERROR_NO_DEVICE:
    *text = "no CUDA-capable device is detected";
    return CUDA_SUCCESS;
  case CUDA_ERROR_INVALID_VALUE:
    *text = "invalid argument";
    return CUDA_SUCCESS;
  default:
    *text = nullptr;
    return CUDA_ERROR_INVALID_VALUE;
  }
}

// Every other entry point: resolvable, never called by the tests.
CUresult fakeUnsupported() { return CUDA_ERROR_NOT_SUPPORTED; }

void *lookup(const char *symbol) {
  struct Entry {
    const char *name;
    void *fn;
  };
  static const Entry kTable[] = {
      {"cuDriverGetVersion", reinterpret_cast<void *>(&fakeDriverGetVersion)},
      {"cuInit", reinterpret_cast<void *>(&fakeInit)},
      {"cuDeviceGetCount", reinterpret_cast<void *>(&fakeDeviceGetCount)},
      {"cuMemAlloc", reinterpret_cast<void *>(&fakeMemAlloc)},
      {"cuGetErrorName", reinterpret_cast<void *>(&fakeGetErrorName)},
      {"cuGetErrorString", reinterpret_cast<void *>(&fakeGetErrorString)},
  };
  for (const Entry &entry : kTable)
    if (std::strcmp(entry.name, symbol) == 0)
      return entry.fn;
  return reinterpret_cast<void *>(&fakeUnsupported);
}

} // namespace

extern "C" {

CUresult CUDAAPI cuDriverGetVersion(int *version) {
  return fakeDriverGetVersion(version);
}

#ifdef VLMC_FAKE_CUDA_12
// cuda.h spells this cuGetProcAddress; the macro makes it _v2.
CUresult CUDAAPI cuGetProcAddress(const char *symbol, void **fn, int,
                                  cuuint64_t,
                                  CUdriverProcAddressQueryResult *found) {
  *fn = nullptr;
  *found = CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND;
  // A real driver knows only unversioned names ("cuMemAlloc"); a versioned
  // one here means the caller stringified a cuda.h macro expansion.
  if (std::strstr(symbol, "_v") != nullptr)
    return CUDA_ERROR_NOT_FOUND;
  if (mode() == "missing" && std::strcmp(symbol, "cuGraphLaunch") == 0)
    return CUDA_ERROR_NOT_FOUND;
  *fn = lookup(symbol);
  *found = CU_GET_PROC_ADDRESS_SUCCESS;
  return CUDA_SUCCESS;
}
#else
#undef cuGetProcAddress
CUresult CUDAAPI cuGetProcAddress(const char *symbol, void **fn, int,
                                  cuuint64_t) {
  *fn = lookup(symbol);
  return CUDA_SUCCESS;
}
#endif

} // extern "C"
