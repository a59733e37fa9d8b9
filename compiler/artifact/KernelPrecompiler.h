#ifndef VLMC_COMPILER_ARTIFACT_KERNELPRECOMPILER_H
#define VLMC_COMPILER_ARTIFACT_KERNELPRECOMPILER_H

// vlm-compile --cuda-arch: the generated kernels compiled to cubins at compile
// time with NVRTC (no GPU needed), exactly as the runtime's JIT would compile
// them, so a device of a listed arch loads them instead of compiling.

#include "compiler/codegen/Codegen.h"

#include "mlir/IR/Location.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/ADT/ArrayRef.h"

#include <string>
#include <vector>

namespace vlmc::compiler {

/// Element k holds kernel k's cubins, one per arch in the order of `archs`
/// (each named as the runtime names a device's arch, e.g. "sm_90a"). Fails,
/// with diagnostics at `loc`, when NVRTC cannot be loaded, cannot target an
/// arch, or fails on any kernel (naming it, with NVRTC's log).
mlir::FailureOr<std::vector<std::vector<codegen::KernelCubin>>>
precompileKernels(mlir::Location loc, llvm::ArrayRef<codegen::KernelSource> kernels,
                  llvm::ArrayRef<std::string> archs, bool progress);

} // namespace vlmc::compiler

#endif
