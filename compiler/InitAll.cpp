#include "compiler/InitAll.h"

#include "dialects/vlm/IR/VlmDialect.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Transforms/Passes.h"

void vlmc::registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<mlir::vlm::VlmDialect, mlir::func::FuncDialect,
                  mlir::arith::ArithDialect, mlir::tensor::TensorDialect>();
}

void vlmc::registerAllPasses() {
  mlir::vlm::registerVlmPassesAndPipelines();
  // Upstream passes our pipelines use, so they can also be run one by one.
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
}
