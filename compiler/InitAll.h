#ifndef VLMC_COMPILER_INITALL_H
#define VLMC_COMPILER_INITALL_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace vlmc {

/// The dialects vlmc programs use: vlm plus the upstream func/arith/tensor.
void registerAllDialects(mlir::DialectRegistry &registry);

/// Every vlmc pass and pipeline.
void registerAllPasses();

} // namespace vlmc

#endif
