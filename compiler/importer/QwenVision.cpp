// The Qwen2-VL and Qwen2.5-VL vision towers. The host (the image front-end)
// supplies what depends on the image grid: flattened patches in the
// processor's order, each patch's (row, col) for the 2-D RoPE, the image
// boundaries (cumulative starts) and, for 2.5-VL, the window permutation of
// merge units, the window boundaries and the inverse permutation.
#include "compiler/importer/Families.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace mlir::vlm;

namespace vlmc::compiler {

namespace {

const std::string kTower = "vision_tower.";

FailureOr<Value> norm(GraphBuilder &g, bool rms, Value x, const std::string &path,
                      int64_t dim, double eps) {
  return rms ? g.rmsNorm(x, path, dim, eps) : g.layerNorm(x, path, dim, eps);
}

FailureOr<Value> visionBlock(GraphBuilder &g, const model::VisionConfig &v, bool qwen25,
                             int64_t index, Value x, Value ropePositions,
                             Value segments) {
  std::string block = kTower + "blocks." + std::to_string(index) + ".";
  int64_t w = v.width, heads = v.heads, d = w / heads;
  FailureOr<Value> h = norm(g, qwen25, x, block + "norm1", w, 1e-6);
  if (failed(h))
    return failure();
  // The fused qkv projection is split by row ranges: all q, then k, then v.
  SmallVector<Value, 3> qkv;
  for (int64_t part = 0; part < 3; ++part) {
    FailureOr<Value> p = g.linear(*h, block + "attn.qkv", w, w, true,
                                  RowRange{part * w, (part + 1) * w});
    if (failed(p))
      return failure();
    qkv.push_back(g.reshape(*p, {g.sequenceLength(), heads, d}));
  }
  DenseI64ArrayAttr sections = g.b.getDenseI64ArrayAttr({d / 4, d / 4});
  auto rope = [&](Value t) {
    return RopeOp::create(g.b, g.loc(block + "attn.rotary"), t.getType(), t, ropePositions,
                          g.b.getF32FloatAttr(v.ropeTheta), sections, g.b.getUnitAttr())
        .getResult();
  };
  Value q = rope(qkv[0]), k = rope(qkv[1]);
  auto attn =
      AttentionOp::create(g.b, g.loc(block + "attn"), q.getType(), q, k, qkv[2], segments, Value(),
                          g.b.getF32FloatAttr(1.0 / std::sqrt(double(d))), UnitAttr());
  FailureOr<Value> proj =
      g.linear(g.reshape(attn, {g.sequenceLength(), w}), block + "attn.proj", w, w, true);
  if (failed(proj))
    return failure();
  x = g.add(x, *proj);

  h = norm(g, qwen25, x, block + "norm2", w, 1e-6);
  if (failed(h))
    return failure();
  FailureOr<Value> mlp;
  if (qwen25) { // gated MLP with biases
    FailureOr<Value> gate = g.linear(*h, block + "mlp.gate_proj", v.intermediate, w, true);
    FailureOr<Value> up = failed(gate) ? FailureOr<Value>(failure())
                                       : g.linear(*h, block + "mlp.up_proj", v.intermediate, w, true);
    FailureOr<Value> act = failed(up) ? FailureOr<Value>(failure()) : g.activation(*gate, v.hiddenAct);
    mlp = failed(act) ? FailureOr<Value>(failure())
                      : g.linear(g.mul(*act, *up), block + "mlp.down_proj", w,
                                 v.intermediate, true);
  } else {
    FailureOr<Value> fc1 = g.linear(*h, block + "mlp.fc1", v.intermediate, w, true);
    FailureOr<Value> act = failed(fc1) ? FailureOr<Value>(failure()) : g.activation(*fc1, v.hiddenAct);
    mlp = failed(act) ? FailureOr<Value>(failure())
                      : g.linear(*act, block + "mlp.fc2", w, v.intermediate, true);
  }
  if (failed(mlp))
    return failure();
  return g.add(x, *mlp);
}

// Gathers merge units (groups of merge² consecutive patches) by `index`.
Value permuteMergeUnits(GraphBuilder &g, Value x, Value index, int64_t unit,
                        int64_t width) {
  Value grouped = g.reshape(x, {ShapedType::kDynamic, unit * width});
  auto type = g.tensor({ShapedType::kDynamic, unit * width});
  Value gathered = EmbeddingOp::create(g.b, g.loc(kTower + "window_order"), type, index, grouped);
  return g.reshape(gathered, {ShapedType::kDynamic, width});
}

} // namespace

LogicalResult buildQwenVision(GraphBuilder &g, ModuleOp module,
                              const model::ModelConfig &config) {
  const model::VisionConfig &v = *config.vision;
  bool qwen25 = config.family == model::Family::kQwen2_5VL;
  MLIRContext *ctx = g.context();
  g.setSequenceLength(ShapedType::kDynamic);
  int64_t patchDim = v.inChannels * v.temporalPatchSize * v.patchSize * v.patchSize;
  int64_t unit = v.spatialMergeSize * v.spatialMergeSize;
  Type i32 = IntegerType::get(ctx, 32);
  auto indexVector = RankedTensorType::get({ShapedType::kDynamic}, i32);

  SmallVector<Type> inputs{g.rows({patchDim}),
                           RankedTensorType::get({2, ShapedType::kDynamic}, i32),
                           indexVector};
  SmallVector<StringRef> names{"patches", "rope_positions", "image_segments"};
  if (qwen25) {
    inputs.append({indexVector, indexVector, indexVector});
    names.append({"window_index", "window_segments", "window_reverse_index"});
  }
  OpBuilder::InsertionGuard guard(g.b);
  g.b.setInsertionPointToEnd(module.getBody());
  auto func = func::FuncOp::create(g.b, g.loc("vision_encoder"), "vision_encoder",
                                   g.b.getFunctionType(inputs, {g.rows({v.outHidden})}));
  for (auto [i, name] : llvm::enumerate(names))
    func.setArgAttr(i, "vlm.name", g.b.getStringAttr(name));
  Block *body = func.addEntryBlock();
  g.b.setInsertionPointToStart(body);
  Value patches = body->getArgument(0), rope = body->getArgument(1),
        imageSegments = body->getArgument(2);

  // Conv3d with stride = kernel over flattened patches is a matmul.
  FailureOr<Value> x =
      g.linear(patches, kTower + "patch_embed.proj", v.width, patchDim, false);
  if (failed(x))
    return failure();
  if (qwen25)
    x = permuteMergeUnits(g, *x, body->getArgument(3), unit, v.width);

  for (int64_t i = 0; i < v.depth; ++i) {
    bool full = !qwen25 || std::count(v.fullAttentionBlocks.begin(),
                                      v.fullAttentionBlocks.end(), i);
    Value segments = full ? imageSegments : body->getArgument(4);
    x = visionBlock(g, v, qwen25, i, *x, rope, segments);
    if (failed(x))
      return failure();
  }

  // Patch merger: norm, fold each 2x2 merge unit into one row, 2-layer MLP.
  std::string merger = kTower + "merger.";
  x = norm(g, qwen25, *x, merger + "ln_q", v.width, 1e-6);
  if (failed(x))
    return failure();
  Value merged = g.reshape(*x, {ShapedType::kDynamic, unit * v.width});
  FailureOr<Value> h =
      g.linear(merged, merger + "mlp.0", unit * v.width, unit * v.width, true);
  FailureOr<Value> act = failed(h) ? FailureOr<Value>(failure()) : g.activation(*h, "gelu");
  FailureOr<Value> out =
      failed(act) ? FailureOr<Value>(failure())
                  : g.linear(*act, merger + "mlp.2", v.outHidden, unit * v.width, true);
  if (failed(out))
    return failure();
  Value result = *out;
  if (qwen25) {
    auto type = g.rows({v.outHidden});
    result = EmbeddingOp::create(g.b, g.loc(kTower + "window_restore"), type, body->getArgument(5),
                                 result);
  }
  func::ReturnOp::create(g.b, g.loc("vision_encoder"), result);
  return success();
}

} // namespace vlmc::compiler
