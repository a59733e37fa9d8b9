#include "compiler/artifact/OpDescription.h"

#include "dialects/vlm/IR/VlmOps.h"
#include "vlmc/artifact/Format.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::vlm;

namespace vlmc::compiler {

namespace {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

std::optional<fb::DType> floatDType(Type t) {
  if (t.isBF16())
    return fb::DType::BF16;
  if (t.isF32())
    return fb::DType::F32;
  if (t.isF16())
    return fb::DType::F16;
  return std::nullopt;
}

codegen::QuantDesc quantOf(QuantSpecAttr spec, Value scales) {
  codegen::QuantDesc q;
  q.mode = toFbMode(spec.getMode());
  q.bits = int(spec.getBits());
  q.groupSize = int(spec.getGroupSize());
  q.globalScale = spec.getGlobalScale();
  q.scaleDtype = floatDType(typeOf(scales).getElementType()).value_or(fb::DType::U8);
  return q;
}

} // namespace

FailureOr<std::optional<codegen::OpDesc>> describeOp(Operation *op) {
  if (isa<ParameterOp, ReshapeOp>(op))
    return std::optional<codegen::OpDesc>();
  codegen::OpDesc d;
  auto result = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  std::optional<fb::DType> dtype = result ? floatDType(result.getElementType()) : std::nullopt;
  if (!dtype) {
    op->emitError() << "the CUDA target cannot compute in " << op->getResult(0).getType();
    return failure();
  }
  d.dtype = *dtype;
  bool ok =
      llvm::TypeSwitch<Operation *, bool>(op)
          .Case([&](MatmulOp m) {
            d.code = fb::OpCode::Matmul;
            d.k = typeOf(m.getInput()).getShape().back();
            d.n = typeOf(m.getWeight()).getDimSize(0);
            d.hasBias = bool(m.getBias());
            return true;
          })
          .Case<QMatmulOp, QQMatmulOp>([&](auto m) {
            d.code = isa<QMatmulOp>(op) ? fb::OpCode::QMatmul : fb::OpCode::QQMatmul;
            d.k = typeOf(m.getInput()).getShape().back();
            d.n = typeOf(m.getWeight()).getDimSize(0);
            d.hasBias = bool(m.getBias());
            d.quant = quantOf(m.getQuant(), m.getScales());
            return true;
          })
          .Case([&](EmbeddingOp e) {
            d.code = fb::OpCode::Embedding;
            // A table of activations may have its rows at run time only.
            d.vocab = typeOf(e.getTable()).isDynamicDim(0)
                          ? -1
                          : typeOf(e.getTable()).getDimSize(0);
            d.width = typeOf(e.getTable()).getDimSize(1);
            return true;
          })
          .Case([&](QEmbeddingOp e) {
            d.code = fb::OpCode::QEmbedding;
            d.vocab = typeOf(e.getWeight()).getDimSize(0);
            d.width = result.getShape().back();
            d.quant = quantOf(e.getQuant(), e.getScales());
            return true;
          })
          .Case([&](RmsNormOp n) {
            d.code = fb::OpCode::RmsNorm;
            d.width = result.getShape().back();
            d.f32Attrs = {n.getEpsilon().convertToFloat()};
            return true;
          })
          .Case([&](AddRmsNormOp n) {
            d.code = fb::OpCode::AddRmsNorm;
            d.width = result.getShape().back();
            d.f32Attrs = {n.getEpsilon().convertToFloat()};
            return true;
          })
          .Case([&](GatedActivationOp g) {
            d.code = fb::OpCode::GatedActivation;
            d.i64Attrs = {int64_t(g.getKind())};
            return true;
          })
          .Case([&](LayerNormOp n) {
            d.code = fb::OpCode::LayerNorm;
            d.width = result.getShape().back();
            d.f32Attrs = {n.getEpsilon().convertToFloat()};
            return true;
          })
          .Case<RopeOp, RopeKVCacheWriteOp, RopeKVPairCacheWriteOp>([&](auto r) {
            // The rotated rows [S, heads, headDim]: operand 0 of all three.
            const bool cache = !isa<RopeOp>(op);
            d.code = isa<RopeOp>(op)               ? fb::OpCode::Rope
                     : isa<RopeKVCacheWriteOp>(op) ? fb::OpCode::RopeKVCacheWrite
                                                   : fb::OpCode::RopeKVPairCacheWrite;
            d.heads = typeOf(op->getOperand(0)).getDimSize(1);
            d.kvHeads = cache ? d.heads : 0;
            d.headDim = typeOf(op->getOperand(0)).getDimSize(2);
            d.f32Attrs = {r.getTheta().convertToFloat()};
            if (auto sections = r.getSections())
              d.i64Attrs.assign(sections->begin(), sections->end());
            if (r.getAxial())
              d.flags |= artifact::kFlagAxial;
            return true;
          })
          .Case([&](AttentionOp a) {
            d.code = fb::OpCode::Attention;
            d.heads = typeOf(a.getQuery()).getDimSize(1);
            d.kvHeads = typeOf(a.getKey()).getDimSize(1);
            d.headDim = typeOf(a.getQuery()).getDimSize(2);
            d.f32Attrs = {a.getScale().convertToFloat()};
            if (a.getCausal())
              d.flags |= artifact::kFlagCausal;
            d.hasSegments = bool(a.getSegmentStarts());
            d.hasKvLength = bool(a.getKvLength());
            return true;
          })
          .Case([&](KVCacheWriteOp w) {
            d.code = fb::OpCode::KVCacheWrite;
            d.kvHeads = typeOf(w.getUpdate()).getDimSize(1);
            d.headDim = typeOf(w.getUpdate()).getDimSize(2);
            return true;
          })
          .Case([&](ActivationOp a) {
            d.code = fb::OpCode::Activation;
            d.i64Attrs = {int64_t(a.getKind())};
            return true;
          })
          .Case([&](AddOp) {
            d.code = fb::OpCode::Add;
            return true;
          })
          .Case([&](MulOp) {
            d.code = fb::OpCode::Mul;
            return true;
          })
          .Case([&](PixelShuffleOp p) {
            d.code = fb::OpCode::PixelShuffle;
            d.width = typeOf(p.getInput()).getDimSize(2);
            d.i64Attrs = {int64_t(p.getScale())};
            return true;
          })
          .Case([&](SpliceImageTokensOp s) {
            d.code = fb::OpCode::SpliceImageTokens;
            d.width = result.getShape().back();
            d.i64Attrs = {int64_t(s.getImageTokenId())};
            return true;
          })
          .Default([](Operation *) { return false; });
  if (!ok) {
    op->emitError() << "no CUDA kernel for '" << op->getName() << "'";
    return failure();
  }
  return std::optional<codegen::OpDesc>(d);
}

fb::QuantMode toFbMode(QuantMode mode) {
  switch (mode) {
  case QuantMode::affine: return fb::QuantMode::Affine;
  case QuantMode::mxfp4: return fb::QuantMode::Mxfp4;
  case QuantMode::mxfp8: return fb::QuantMode::Mxfp8;
  case QuantMode::nvfp4: return fb::QuantMode::Nvfp4;
  }
  llvm_unreachable("unknown mode");
}

} // namespace vlmc::compiler
