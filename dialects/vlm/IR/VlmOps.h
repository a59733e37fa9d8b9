#ifndef VLMC_DIALECTS_VLM_IR_VLMOPS_H
#define VLMC_DIALECTS_VLM_IR_VLMOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/vlm/IR/VlmAttrs.h"
#include "dialects/vlm/IR/VlmDialect.h"

#define GET_OP_CLASSES
#include "dialects/vlm/IR/VlmOps.h.inc"

#endif
