#include "passes/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::vlm;

void mlir::vlm::buildActivationQuantizationPipeline(
    OpPassManager &pm, const ActivationQuantizationPipelineOptions &options) {
  if (options.quantizeActivations)
    pm.addPass(createVlmQuantizeActivations());
  pm.addPass(createVlmCheckTarget(VlmCheckTargetOptions{options.target}));
  if (options.fuseOps)
    pm.addPass(createVlmFuseOps());
  pm.addPass(createCanonicalizerPass());
}

void mlir::vlm::registerVlmPassesAndPipelines() {
  registerVlmPasses();
  PassPipelineRegistration<ActivationQuantizationPipelineOptions>(
      "vlm-activation-quantization-pipeline",
      "Activation quantization (-qa), target check, fusion and canonicalization",
      buildActivationQuantizationPipeline);
}
