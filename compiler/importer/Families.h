#ifndef VLMC_COMPILER_IMPORTER_FAMILIES_H
#define VLMC_COMPILER_IMPORTER_FAMILIES_H

// One builder per model part; the importer calls those a family needs.

#include "compiler/importer/GraphBuilder.h"

#include "mlir/IR/BuiltinOps.h"

namespace vlmc::compiler {

/// @prefill and @decode_step of the language model (all families).
/// `hiddenStates` makes @prefill also return transformers' hidden_states
/// (embeddings, every layer's output, the final norm): for checks.
mlir::LogicalResult buildTextModel(GraphBuilder &g, mlir::ModuleOp module,
                                   const model::ModelConfig &config, bool hiddenStates);

/// @vision_encoder of Qwen2-VL and Qwen2.5-VL: patch embedding, 2-D RoPE
/// blocks (window attention for 2.5-VL) and the patch merger.
mlir::LogicalResult buildQwenVision(GraphBuilder &g, mlir::ModuleOp module,
                                    const model::ModelConfig &config);

/// @vision_encoder of Idefics3/SmolVLM: SigLIP tiles and the pixel-shuffle
/// connector.
mlir::LogicalResult buildIdefics3Vision(GraphBuilder &g, mlir::ModuleOp module,
                                        const model::ModelConfig &config);

} // namespace vlmc::compiler

#endif
