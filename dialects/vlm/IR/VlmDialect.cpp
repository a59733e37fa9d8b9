#include "dialects/vlm/IR/VlmDialect.h"
#include "dialects/vlm/IR/VlmAttrs.h"
#include "dialects/vlm/IR/VlmOps.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::vlm;

#include "dialects/vlm/IR/VlmDialect.cpp.inc"

void VlmDialect::initialize() {
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "dialects/vlm/IR/VlmOps.cpp.inc"
      >();
}
