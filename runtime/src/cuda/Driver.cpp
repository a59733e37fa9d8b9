#include "vlmc/cuda/Driver.h"

#include <dlfcn.h>

namespace vlmc::cuda {
namespace {

// The CUDA 12 signature of cuGetProcAddress (exported as cuGetProcAddress_v2).
using GetProcAddressFn = CUresult (*)(const char *, void **, int, cuuint64_t,
                                      CUdriverProcAddressQueryResult *);
using DriverGetVersionFn = CUresult (*)(int *);

std::string versionString(int version) {
  return std::to_string(version / 1000) + "." +
         std::to_string(version % 1000 / 10);
}

// The version an arbitrary libcuda reports, through the plain dlsym'ed
// symbol (exported with this signature by every driver since CUDA 2.2); for
// messages about drivers too old to resolve anything else.
std::string reportedVersion(void *handle) {
  auto fn =
      reinterpret_cast<DriverGetVersionFn>(dlsym(handle, "cuDriverGetVersion"));
  int version = 0;
  if (!fn || fn(&version) != CUDA_SUCCESS || version <= 0)
    return "an unknown version";
  return "CUDA " + versionString(version);
}

} // namespace

StatusCode statusCodeFor(CUresult result) {
  switch (result) {
  case CUDA_SUCCESS:
    return StatusCode::kOk;
  case CUDA_ERROR_OUT_OF_MEMORY:
    return StatusCode::kResourceExhausted;
  case CUDA_ERROR_NO_DEVICE:
  case CUDA_ERROR_NOT_INITIALIZED:
  case CUDA_ERROR_DEINITIALIZED:
  case CUDA_ERROR_SYSTEM_DRIVER_MISMATCH:
  case CUDA_ERROR_DEVICE_UNAVAILABLE:
  case CUDA_ERROR_DEVICE_NOT_LICENSED:
    return StatusCode::kUnavailable;
  case CUDA_ERROR_INVALID_VALUE:
  case CUDA_ERROR_INVALID_HANDLE:
  case CUDA_ERROR_INVALID_DEVICE:
  case CUDA_ERROR_INVALID_IMAGE:
  case CUDA_ERROR_INVALID_PTX:
  case CUDA_ERROR_NO_BINARY_FOR_GPU:
    return StatusCode::kInvalidArgument;
  case CUDA_ERROR_NOT_FOUND:
    return StatusCode::kNotFound;
  case CUDA_ERROR_NOT_SUPPORTED:
    return StatusCode::kUnimplemented;
  default:
    return StatusCode::kInternal;
  }
}

Result<std::unique_ptr<Driver>> Driver::load(const std::string &library) {
  dlerror();
  void *handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *why = dlerror();
    return unavailable("no NVIDIA driver: " + library +
                       " could not be loaded (" +
                       (why ? why : "unknown dlopen error") + ")");
  }
  std::unique_ptr<Driver> driver(new Driver);
  driver->handle_ = handle;
  driver->library_ = library;

  // Only drivers for CUDA 12.0 and later export cuGetProcAddress_v2, the
  // signature with a query result; older ones have just the 4-argument
  // cuGetProcAddress, whose lookups we cannot trust to match cuda.h 13.
  auto getProcAddress =
      reinterpret_cast<GetProcAddressFn>(dlsym(handle, "cuGetProcAddress_v2"));
  if (!getProcAddress) {
    if (!dlsym(handle, "cuGetProcAddress") && !dlsym(handle, "cuInit"))
      return unavailable("no NVIDIA driver: " + library +
                         " is not a CUDA driver library (no cuGetProcAddress)");
    return unavailable("driver too old (needs CUDA 12.x): " + library + " is " +
                       reportedVersion(handle) +
                       " and has no cuGetProcAddress_v2");
  }

  auto resolve = [&](const char *name, void **fn) -> Status {
    CUdriverProcAddressQueryResult found = CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND;
    *fn = nullptr;
    CUresult result = getProcAddress(name, fn, kApiVersion,
                                     CU_GET_PROC_ADDRESS_DEFAULT, &found);
    if (result == CUDA_SUCCESS && found == CU_GET_PROC_ADDRESS_SUCCESS && *fn)
      return Status::ok();
    std::string why = found == CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT
                          ? "needs a newer driver"
                          : "not found";
    return unavailable("driver too old (needs CUDA 12.x): " + library + " (" +
                       reportedVersion(handle) + ") cannot provide " + name +
                       " at API version " + versionString(kApiVersion) + " (" +
                       why + ")");
  };

  // The version first: a pre-12.0 driver would fail the lookups below with a
  // less helpful message.
  void *fn = nullptr;
  VLMC_RETURN_IF_ERROR(resolve("cuDriverGetVersion", &fn));
  int version = 0;
  if (reinterpret_cast<DriverGetVersionFn>(fn)(&version) != CUDA_SUCCESS ||
      version < kApiVersion)
    return unavailable("driver too old (needs CUDA 12.x): " + library + " is " +
                       reportedVersion(handle));
  driver->version_ = version;

  // `#name` is the unversioned spelling (cuGetProcAddress wants that); the
  // member is the cuda.h macro expansion, so its type is the versioned
  // prototype cuGetProcAddress returns at kApiVersion.
#define VLMC_CUDA_RESOLVE(name)                                                \
  VLMC_RETURN_IF_ERROR(resolve(#name, &fn));                                   \
  driver->name = reinterpret_cast<decltype(driver->name)>(fn);
  VLMC_CUDA_DRIVER_FUNCTIONS(VLMC_CUDA_RESOLVE)
#undef VLMC_CUDA_RESOLVE

  CUresult init = driver->cuInit(0);
  if (init == CUDA_ERROR_NO_DEVICE)
    return unavailable("no CUDA device: the driver (CUDA " +
                       versionString(version) + ", " + library +
                       ") reports CUDA_ERROR_NO_DEVICE");
  VLMC_RETURN_IF_ERROR(driver->check(init, "cuInit")
                           .withContext("CUDA driver " +
                                        versionString(version) +
                                        " failed to initialise"));
  int count = 0;
  VLMC_RETURN_IF_ERROR(VLMC_CU(*driver, cuDeviceGetCount, &count));
  if (count <= 0)
    return unavailable("no CUDA device: the driver (CUDA " +
                       versionString(version) + ") sees no GPU");
  driver->deviceCount_ = count;
  return driver;
}

Result<const Driver *> Driver::get() {
  // Loaded once and deliberately never unloaded: buffers and modules may be
  // released from static destructors after main returns.
  static const Result<const Driver *> driver = []() -> Result<const Driver *> {
    Result<std::unique_ptr<Driver>> loaded = load("libcuda.so.1");
    if (!loaded)
      return loaded.status();
    return std::move(loaded).value().release();
  }();
  return driver;
}

Driver::~Driver() {
  if (handle_)
    dlclose(handle_);
}

std::string Driver::errorName(CUresult result) const {
  const char *name = nullptr;
  if (cuGetErrorName && cuGetErrorName(result, &name) == CUDA_SUCCESS && name)
    return name;
  return "CUDA error " + std::to_string(static_cast<int>(result));
}

Status Driver::check(CUresult result, std::string_view call) const {
  if (result == CUDA_SUCCESS)
    return Status::ok();
  std::string message = std::string(call) + ": " + errorName(result);
  const char *description = nullptr;
  if (cuGetErrorString &&
      cuGetErrorString(result, &description) == CUDA_SUCCESS && description)
    message += std::string(" (") + description + ")";
  return Status(statusCodeFor(result), std::move(message));
}

} // namespace vlmc::cuda
