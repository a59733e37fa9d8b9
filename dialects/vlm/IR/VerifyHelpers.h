#ifndef VLMC_DIALECTS_VLM_IR_VERIFYHELPERS_H
#define VLMC_DIALECTS_VLM_IR_VERIFYHELPERS_H

// Shape rules shared by the op verifiers of the vlm dialect.

#include "dialects/vlm/IR/VlmAttrs.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"

namespace mlir::vlm::detail {

inline bool isStatic(int64_t dim) { return !ShapedType::isDynamic(dim); }

/// Fails with "<what> is <dim> but must be <expected> (<rule>)" when both
/// sizes are static and differ.
LogicalResult expectDim(Operation *op, const Twine &what, int64_t dim,
                        int64_t expected, StringRef rule);

/// Checks an MLX-packed weight of logical shape [N, K] with its scales,
/// affine biases and optional global scale against `spec`; returns N.
FailureOr<int64_t> verifyQuantizedWeight(Operation *op, QuantSpecAttr spec,
                                         Value weight, Value scales,
                                         Value biases, Value globalScale,
                                         int64_t k);

} // namespace mlir::vlm::detail

#endif
