#include "compiler/artifact/KernelPrecompiler.h"

#include "vlmc/cuda/KernelCache.h"
#include "vlmc/cuda/Nvrtc.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace vlmc::compiler {

namespace {

// Checked once per arch up front: NVRTC would otherwise report an
// unsupported arch once for every kernel.
LogicalResult checkNvrtcTargets(Location loc, const cuda::NvrtcInfo &nvrtc,
                                llvm::ArrayRef<std::string> archs) {
  for (const std::string &arch : archs) {
    unsigned number = 0;
    if (StringRef(arch).drop_front(3).rtrim('a').getAsInteger(10, number) ||
        !llvm::is_contained(nvrtc.supportedArchs, int(number))) {
      std::string supported;
      for (int a : nvrtc.supportedArchs)
        supported += (supported.empty() ? "" : " ") + std::to_string(a);
      return emitError(loc) << "--cuda-arch " << arch << ": NVRTC "
                            << nvrtc.versionString() << " (" << nvrtc.library
                            << ") cannot compile for it (supported: " << supported << ")";
    }
  }
  return success();
}

} // namespace

FailureOr<std::vector<std::vector<codegen::KernelCubin>>>
precompileKernels(Location loc, llvm::ArrayRef<codegen::KernelSource> kernels,
                  llvm::ArrayRef<std::string> archs, bool progress) {
  std::vector<std::vector<codegen::KernelCubin>> cubins(kernels.size());
  if (archs.empty() || kernels.empty())
    return cubins;
  Result<const cuda::NvrtcInfo *> nvrtc = cuda::nvrtcInfo();
  if (!nvrtc)
    return emitError(loc) << "--cuda-arch needs NVRTC to precompile the CUDA kernels: "
                          << nvrtc.status().message();
  if (failed(checkNvrtcTargets(loc, **nvrtc, archs)))
    return failure();

  std::vector<cuda::KernelSpec> specs;
  for (const codegen::KernelSource &kernel : kernels)
    for (const std::string &arch : archs)
      specs.push_back(cuda::generatedKernelSpec(kernel.name, kernel.source, arch));
  std::string archList = llvm::join(archs, ", ");
  cuda::CompileProgress report;
  if (progress)
    report = [&](size_t finished, size_t total) {
      llvm::errs() << "\r[" << finished << "/" << total << "] CUDA kernels compiled for "
                   << archList << "\x1b[K";
    };
  Result<std::vector<std::string>> images = cuda::compileAllToCubin(specs, 0, report);
  if (progress)
    llvm::errs() << "\n";
  if (!images)
    return emitError(loc) << "precompiling the CUDA kernels for " << archList
                          << " failed: " << images.status().message();

  for (size_t k = 0; k < kernels.size(); ++k)
    for (size_t a = 0; a < archs.size(); ++a)
      cubins[k].push_back({archs[a], std::move((*images)[k * archs.size() + a])});
  return cubins;
}

} // namespace vlmc::compiler
