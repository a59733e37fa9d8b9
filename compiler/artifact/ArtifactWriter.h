#ifndef VLMC_COMPILER_ARTIFACT_ARTIFACTWRITER_H
#define VLMC_COMPILER_ARTIFACT_ARTIFACTWRITER_H

// Compiled `vlm` module -> .vlmc artifact: the program, the weights (streamed
// from the checkpoint one tensor at a time, transformed and quantized as the
// parameters say) and the files the front-end needs.

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace vlmc::compiler {

struct ArtifactOptions {
  std::string modelDir;  // the checkpoint the module was imported from
  std::string target;    // cpu or cuda
  bool quantizeActivations = false;
  bool syntheticWeights = false;
  // Precompile every kernel for these archs ("sm_90a", ...) and embed the
  // cubins (cuda target only); empty: the runtime compiles them.
  std::vector<std::string> cudaArchs;
  bool progress = false; // per-tensor progress on stderr
};

/// Writes atomically: on failure nothing is left at `path`.
mlir::LogicalResult writeArtifact(mlir::ModuleOp module, const ArtifactOptions &options,
                                  const std::string &path);

} // namespace vlmc::compiler

#endif
