// NVRTC: CUDA C++ source to CUBIN, at run time, without a GPU.
//
// libnvrtc is dlopened on first use, never linked, so a machine with a
// driver but no toolkit still starts and runs ahead-of-time cubins. Search
// order: $VLMC_CUDA_ROOT/lib64 when set (an explicit choice wins), then
// libnvrtc.so.13 and libnvrtc.so through the loader's path, then lib64 under
// the build's VLMC_CUDA_ROOT and /usr/local/cuda. Nothing here needs libcuda.
#pragma once

#include "vlmc/support/Status.h"

#include <string>
#include <string_view>
#include <vector>

namespace vlmc::cuda {

struct NvrtcInfo {
  int major = 0, minor = 0;
  // Real architectures NVRTC can compile for, e.g. {75, 80, ..., 90, 100, ...}.
  std::vector<int> supportedArchs;
  // What was dlopened, e.g. "libnvrtc.so.13".
  std::string library;
  // Toolkit headers passed as -I (cuda_fp8.h, cuda_bf16.h, ...); empty if
  // none was found, in which case only self-contained sources compile.
  std::string includeDir;

  std::string versionString() const;
};

// Loads NVRTC once per process; a failure is remembered.
Result<const NvrtcInfo *> nvrtcInfo();

// The options compileToCubin passes ahead of the caller's: -std=c++17,
// --gpu-architecture=<arch>, -default-device and -I<includeDir>. Exposed so
// a cache key hashes exactly what is compiled.
std::vector<std::string> baseCompileOptions(const NvrtcInfo &nvrtc,
                                            const std::string &arch);

// Compiles `source` (its kernels extern "C") for a real arch ("sm_90a",
// "sm_80", ...) and returns the CUBIN bytes. `name` names the program in
// messages and NVRTC's log ("<name>.cu(12): error ..."). Compile errors are
// kInvalidArgument with the kernel name, arch and NVRTC's log; an arch NVRTC
// cannot target is kInvalidArgument listing the ones it can.
Result<std::string>
compileToCubin(std::string_view source, const std::string &name,
               const std::string &arch,
               const std::vector<std::string> &options = {});

// The same for PTX, for inspection and debugging: `arch` may also be virtual
// ("compute_90a"). The runtime loads CUBINs, never PTX, in normal operation.
Result<std::string> compileToPtx(std::string_view source,
                                 const std::string &name,
                                 const std::string &arch,
                                 const std::vector<std::string> &options = {});

} // namespace vlmc::cuda
