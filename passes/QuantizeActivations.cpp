#include "dialects/vlm/IR/VlmOps.h"
#include "passes/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::vlm {
#define GEN_PASS_DEF_VLMQUANTIZEACTIVATIONS
#include "passes/Passes.h.inc"
} // namespace mlir::vlm

using namespace mlir;
using namespace mlir::vlm;

namespace {

struct QMatmulToQQMatmul : OpRewritePattern<QMatmulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(QMatmulOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.getQuant().supportsActivationQuantization())
      return rewriter.notifyMatchFailure(op, "mode has no activation quantization");
    // Same operands and attributes (quant spec, segment sizes, layer names):
    // only the op changes.
    rewriter.replaceOpWithNewOp<QQMatmulOp>(op, op->getResultTypes(),
                                            op->getOperands(), op->getAttrs());
    return success();
  }
};

struct QuantizeActivationsPass
    : mlir::vlm::impl::VlmQuantizeActivationsBase<QuantizeActivationsPass> {
  void runOnOperation() override {
    // Diagnose every unsupported layer, not just the first, so one run tells
    // the user the whole story.
    bool unsupported = false;
    getOperation()->walk([&](QMatmulOp op) {
      if (op.getQuant().supportsActivationQuantization())
        return;
      op.emitError() << "mode " << stringifyQuantMode(op.getQuant().getMode())
                     << " does not support activation quantization; supported "
                        "modes: mxfp8, nvfp4";
      unsupported = true;
    });
    if (unsupported)
      return signalPassFailure();

    RewritePatternSet patterns(&getContext());
    populateQuantizeActivationsPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::vlm::populateQuantizeActivationsPatterns(RewritePatternSet &patterns) {
  patterns.add<QMatmulToQQMatmul>(patterns.getContext());
}
