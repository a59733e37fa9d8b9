#ifndef VLMC_DIALECTS_VLM_IR_VLMDIALECT_H
#define VLMC_DIALECTS_VLM_IR_VLMDIALECT_H

#include "mlir/IR/Dialect.h"

#include "dialects/vlm/IR/VlmDialect.h.inc"

#endif
