#include "dialects/vlm/IR/VlmOps.h"
#include "passes/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::vlm {
#define GEN_PASS_DEF_VLMFUSEOPS
#include "passes/Passes.h.inc"
} // namespace mlir::vlm

using namespace mlir;
using namespace mlir::vlm;

namespace {

// True when `value` is available at `point` (same block: defined before it,
// or a block argument).
bool availableAt(Value value, Operation *point) {
  Operation *def = value.getDefiningOp();
  if (!def)
    return value.getParentBlock() == point->getBlock();
  return def->getBlock() == point->getBlock() && def->isBeforeInBlock(point);
}

// rms_norm(add(a, b)) -> add_rms_norm(a, b): the sum stays a result for the
// add's other users (the residual stream).
struct FuseAddRmsNorm : OpRewritePattern<RmsNormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(RmsNormOp norm, PatternRewriter &rewriter) const override {
    auto add = norm.getInput().getDefiningOp<AddOp>();
    if (!add)
      return rewriter.notifyMatchFailure(norm, "input is not a vlm.add");
    if (add->getBlock() != norm->getBlock())
      return rewriter.notifyMatchFailure(norm, "add and norm in different blocks");
    // The fused op must come before every user of the sum and after the
    // norm's weight: at the norm when no other user precedes it, else at the
    // add when the weight is already defined there.
    Operation *point = norm;
    for (Operation *user : add->getUsers())
      if (user != norm.getOperation() && user->isBeforeInBlock(norm))
        point = add;
    if (point == add.getOperation() && !availableAt(norm.getWeight(), add))
      return rewriter.notifyMatchFailure(norm, "no point dominates both the weight and the sum's users");

    rewriter.setInsertionPoint(point);
    auto fused = AddRmsNormOp::create(
        rewriter, rewriter.getFusedLoc({norm.getLoc(), add.getLoc()}),
        add.getType(), norm.getType(), add.getLhs(), add.getRhs(), norm.getWeight(),
        norm.getEpsilonAttr());
    rewriter.replaceOp(norm, fused.getNormed());
    rewriter.replaceOp(add, fused.getSum());
    return success();
  }
};

// mul(activation(g), u) -> gated_activation(g, u) when the activation has no
// other user.
struct FuseGatedActivation : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MulOp mul, PatternRewriter &rewriter) const override {
    for (unsigned gateIndex : {0u, 1u}) {
      auto act = mul->getOperand(gateIndex).getDefiningOp<ActivationOp>();
      if (!act || !act->hasOneUse())
        continue;
      Value up = mul->getOperand(1 - gateIndex);
      rewriter.setInsertionPoint(mul);
      rewriter.replaceOpWithNewOp<GatedActivationOp>(
          mul, mul.getType(), act.getInput(), up, act.getKindAttr());
      rewriter.eraseOp(act);
      return success();
    }
    return rewriter.notifyMatchFailure(mul, "no operand is a single-use vlm.activation");
  }
};

// kv_cache_write(rope(x)) -> rope_kv_cache_write(x) when the rotated rows
// have no other user: they go straight into the cache.
struct FuseRopeKVCacheWrite : OpRewritePattern<KVCacheWriteOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(KVCacheWriteOp write, PatternRewriter &rewriter) const override {
    auto rope = write.getUpdate().getDefiningOp<RopeOp>();
    if (!rope || !rope->hasOneUse())
      return rewriter.notifyMatchFailure(write, "the update is not a single-use vlm.rope");
    rewriter.setInsertionPoint(write);
    rewriter.replaceOpWithNewOp<RopeKVCacheWriteOp>(
        write, write.getType(), rope.getInput(), rope.getPositions(), write.getCache(),
        write.getOffset(), rope.getThetaAttr(), rope.getSectionsAttr(), rope.getAxialAttr());
    rewriter.eraseOp(rope);
    return success();
  }
};

// rope_kv_cache_write(k) and kv_cache_write(v) at one offset, whose results
// one attention reads as its keys and values, -> rope_kv_pair_cache_write:
// the layer's new keys and values go into the cache in one op. Attention
// pairs the writes: every layer's writes share the offset.
struct FuseKVPairCacheWrite : OpRewritePattern<RopeKVCacheWriteOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(RopeKVCacheWriteOp keys, PatternRewriter &rewriter) const override {
    KVCacheWriteOp values;
    for (Operation *user : keys->getUsers()) {
      auto attention = dyn_cast<AttentionOp>(user);
      if (!attention || attention.getKey() != keys.getResult())
        continue;
      auto write = attention.getValue().getDefiningOp<KVCacheWriteOp>();
      if (write && write.getOffset() == keys.getOffset() &&
          write.getUpdate().getType() == keys.getUpdate().getType() &&
          write.getCache().getType() == keys.getCache().getType() &&
          write->getBlock() == keys->getBlock()) {
        values = write;
        break;
      }
    }
    if (!values)
      return rewriter.notifyMatchFailure(keys, "no attention reads it with a value write of its shape at its offset");
    // At the later write: both writes' operands are defined there; the
    // earlier one's users must all come after it.
    Operation *first = keys, *later = values;
    if (values->isBeforeInBlock(keys))
      std::swap(first, later);
    for (Operation *user : first->getUsers())
      if (user->getBlock() != later->getBlock() || user->isBeforeInBlock(later))
        return rewriter.notifyMatchFailure(keys, "a user of the earlier write precedes the later one");

    rewriter.setInsertionPoint(later);
    auto fused = RopeKVPairCacheWriteOp::create(
        rewriter, rewriter.getFusedLoc({keys.getLoc(), values.getLoc()}), keys.getType(),
        values.getType(), keys.getUpdate(), keys.getPositions(), keys.getCache(), keys.getOffset(),
        values.getUpdate(), values.getCache(), keys.getThetaAttr(), keys.getSectionsAttr(),
        keys.getAxialAttr());
    rewriter.replaceOp(keys, fused.getKeyResult());
    rewriter.replaceOp(values, fused.getValueResult());
    return success();
  }
};

struct FuseOpsPass : mlir::vlm::impl::VlmFuseOpsBase<FuseOpsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateFuseOpsPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::vlm::populateFuseOpsPatterns(RewritePatternSet &patterns) {
  patterns.add<FuseAddRmsNorm, FuseGatedActivation, FuseRopeKVCacheWrite, FuseKVPairCacheWrite>(
      patterns.getContext());
}
