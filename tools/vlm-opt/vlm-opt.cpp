// vlm-opt: runs vlmc passes and pipelines on `vlm` MLIR, for tests and debugging.
#include "compiler/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  vlmc::registerAllPasses();
  mlir::DialectRegistry registry;
  vlmc::registerAllDialects(registry);
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "vlmc optimizer driver: vlm dialect passes and pipelines\n",
      registry));
}
