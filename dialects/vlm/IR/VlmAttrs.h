#ifndef VLMC_DIALECTS_VLM_IR_VLMATTRS_H
#define VLMC_DIALECTS_VLM_IR_VLMATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectImplementation.h"

#include "dialects/vlm/IR/VlmEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/vlm/IR/VlmAttrs.h.inc"

namespace mlir::vlm {

/// MLX's defaults for a mode: affine 4/64, mxfp4 4/32, mxfp8 8/32, nvfp4 4/16.
std::pair<unsigned, unsigned> defaultBitsAndGroupSize(QuantMode mode);

} // namespace mlir::vlm

#endif
