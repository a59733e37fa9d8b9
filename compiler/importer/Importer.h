#ifndef VLMC_COMPILER_IMPORTER_IMPORTER_H
#define VLMC_COMPILER_IMPORTER_IMPORTER_H

// Checkpoint directory (config.json + safetensors, Hugging Face or MLX
// format) -> `vlm` module with @vision_encoder (VLMs), @prefill and
// @decode_step. Weights stay in the checkpoint: the graph names them.

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <string>

namespace vlmc::compiler {

struct ImportOptions {
  /// Compile from config.json alone: every weight is taken to exist with the
  /// shape the graph asks for (benchmarks on shapes of models not on disk).
  bool syntheticWeights = false;
  /// Element type of activations and float weights: f32, f16 or bf16.
  std::string computeType = "f32";
  /// @prefill also returns the hidden states (checks against transformers).
  bool hiddenStates = false;
};

mlir::FailureOr<mlir::OwningOpRef<mlir::ModuleOp>>
importModel(mlir::MLIRContext *context, const std::string &modelDir,
            const ImportOptions &options);

} // namespace vlmc::compiler

#endif
