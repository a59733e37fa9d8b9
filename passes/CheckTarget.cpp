#include "dialects/vlm/IR/LayerName.h"
#include "dialects/vlm/IR/VlmOps.h"
#include "passes/Passes.h"

namespace mlir::vlm {
#define GEN_PASS_DEF_VLMCHECKTARGET
#include "passes/Passes.h.inc"
} // namespace mlir::vlm

using namespace mlir;
using namespace mlir::vlm;

namespace {

std::string layerName(Operation *op) { return layerNameOf(op).value_or("<unnamed>"); }

// A bare name location already appears in the message; report at its child
// (the source position, if the importer recorded one) to avoid saying it twice.
Location reportLocation(Operation *op) {
  if (auto name = dyn_cast<NameLoc>(op->getLoc()))
    return name.getChildLoc();
  return op->getLoc();
}

struct CheckTargetPass : mlir::vlm::impl::VlmCheckTargetBase<CheckTargetPass> {
  using VlmCheckTargetBase::VlmCheckTargetBase;

  void runOnOperation() override {
    if (target != "cuda" && target != "cpu") {
      getOperation()->emitError() << "unknown target '" << target
                                  << "'; expected cuda or cpu";
      return signalPassFailure();
    }
    if (target == "cpu")
      return; // The CPU backend runs every mode weight-only.

    bool rejected = false;
    getOperation()->walk([&](QMatmulOp op) {
      if (!op.getQuant().supportsActivationQuantization())
        return;
      emitError(reportLocation(op)) << "layer '" << layerName(op) << "' uses "
                     << stringifyQuantMode(op.getQuant().getMode())
                     << " weights, which the cuda target runs only with "
                        "activation quantization; pass -qa/--quantize-activations "
                        "(or compile for the cpu target)";
      rejected = true;
    });
    if (rejected)
      signalPassFailure();
  }
};

} // namespace
