#ifndef VLMC_COMPILER_ARTIFACT_OPDESCRIPTION_H
#define VLMC_COMPILER_ARTIFACT_OPDESCRIPTION_H

// What the CUDA kernel generator needs to know about a `vlm` op: its static
// shapes, element type, quantization and attributes.

#include "compiler/codegen/Codegen.h"
#include "dialects/vlm/IR/VlmAttrs.h"

#include "mlir/IR/Operation.h"

#include <optional>

namespace vlmc::compiler {

/// The artifact's spelling of a quantization mode.
fb::QuantMode toFbMode(mlir::vlm::QuantMode mode);

/// nullopt for ops that need no kernel (parameters, reshapes); failure (with
/// a diagnostic on the op) for ops the generator cannot handle.
mlir::FailureOr<std::optional<codegen::OpDesc>> describeOp(mlir::Operation *op);

} // namespace vlmc::compiler

#endif
