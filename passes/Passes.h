#ifndef VLMC_PASSES_PASSES_H
#define VLMC_PASSES_PASSES_H

#include "dialects/vlm/IR/VlmDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace mlir::vlm {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

/// qmatmul -> qqmatmul for the modes that support activation quantization.
/// Ops in other modes are not matched; the pass diagnoses them.
void populateQuantizeActivationsPatterns(RewritePatternSet &patterns);

/// rms_norm(add) -> add_rms_norm, mul(activation, x) -> gated_activation,
/// kv_cache_write(rope) -> rope_kv_cache_write.
void populateFuseOpsPatterns(RewritePatternSet &patterns);

struct ActivationQuantizationPipelineOptions
    : public PassPipelineOptions<ActivationQuantizationPipelineOptions> {
  PassOptions::Option<std::string> target{
      *this, "target", llvm::cl::desc("Execution target: cuda or cpu"),
      llvm::cl::init("cuda")};
  PassOptions::Option<bool> quantizeActivations{
      *this, "quantize-activations",
      llvm::cl::desc("Run vlm-quantize-activations (-qa)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> fuseOps{
      *this, "fuse-ops", llvm::cl::desc("Run vlm-fuse-ops"), llvm::cl::init(true)};
};

/// -qa (optional) -> target check -> fusion (optional) -> canonicalize.
void buildActivationQuantizationPipeline(
    OpPassManager &pm, const ActivationQuantizationPipelineOptions &options);

/// Registers every vlmc pass and pipeline; the one entry point for all tools.
void registerVlmPassesAndPipelines();

} // namespace mlir::vlm

#endif
