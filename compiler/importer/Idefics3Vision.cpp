// The Idefics3 / SmolVLM vision tower (SigLIP over tiles) and its
// pixel-shuffle connector. The host supplies each tile's patches flattened in
// Conv2d weight order (c, y, x), the position id of every patch, and tile
// boundaries (every tile attends only within itself).
#include "compiler/importer/Families.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <cmath>

using namespace mlir;
using namespace mlir::vlm;

namespace vlmc::compiler {

LogicalResult buildIdefics3Vision(GraphBuilder &g, ModuleOp module,
                                  const model::ModelConfig &config) {
  const model::VisionConfig &v = *config.vision;
  MLIRContext *ctx = g.context();
  g.setSequenceLength(ShapedType::kDynamic);
  int64_t w = v.width, heads = v.heads, d = w / heads;
  int64_t patchDim = v.inChannels * v.patchSize * v.patchSize;
  int64_t grid = v.imageSize / v.patchSize, s = v.scaleFactor;
  if (grid % s != 0) {
    g.error("connector") << "image_size / patch_size = " << grid
                         << " is not divisible by scale_factor " << s;
    return failure();
  }
  Type i32 = IntegerType::get(ctx, 32);
  auto indexVector = RankedTensorType::get({ShapedType::kDynamic}, i32);

  OpBuilder::InsertionGuard guard(g.b);
  g.b.setInsertionPointToEnd(module.getBody());
  auto func =
      func::FuncOp::create(g.b, g.loc("vision_encoder"), "vision_encoder",
                           g.b.getFunctionType({g.rows({patchDim}), indexVector, indexVector},
                                               {g.rows({config.text.hidden})}));
  SmallVector<StringRef> names{"patches", "position_ids", "tile_segments"};
  for (auto [i, name] : llvm::enumerate(names))
    func.setArgAttr(i, "vlm.name", g.b.getStringAttr(name));
  Block *body = func.addEntryBlock();
  g.b.setInsertionPointToStart(body);
  Value patches = body->getArgument(0), positions = body->getArgument(1),
        segments = body->getArgument(2);

  const std::string tower = "vision_model.";
  FailureOr<Value> x = g.linear(patches, tower + "embeddings.patch_embedding", w,
                                patchDim, true);
  FailureOr<Value> pos = failed(x) ? FailureOr<Value>(failure())
                                   : g.embedding(positions, tower + "embeddings.position_embedding",
                                                 grid * grid, w);
  if (failed(pos))
    return failure();
  x = g.add(*x, *pos);

  for (int64_t i = 0; i < v.depth; ++i) {
    std::string layer = tower + "encoder.layers." + std::to_string(i) + ".";
    FailureOr<Value> h = g.layerNorm(*x, layer + "layer_norm1", w, v.layerNormEps);
    SmallVector<Value, 3> qkv;
    for (const char *proj : {"q_proj", "k_proj", "v_proj"}) {
      FailureOr<Value> p = failed(h) ? FailureOr<Value>(failure())
                                     : g.linear(*h, layer + "self_attn." + proj, w, w, true);
      if (failed(p))
        return failure();
      qkv.push_back(g.reshape(*p, {ShapedType::kDynamic, heads, d}));
    }
    auto attn = AttentionOp::create(g.b, g.loc(layer + "self_attn"), qkv[0].getType(), qkv[0],
                                    qkv[1], qkv[2], segments, Value(),
                                    g.b.getF32FloatAttr(1.0 / std::sqrt(double(d))), UnitAttr());
    FailureOr<Value> out = g.linear(g.reshape(attn, {ShapedType::kDynamic, w}),
                                    layer + "self_attn.out_proj", w, w, true);
    if (failed(out))
      return failure();
    x = g.add(*x, *out);
    h = g.layerNorm(*x, layer + "layer_norm2", w, v.layerNormEps);
    FailureOr<Value> fc1 = failed(h) ? FailureOr<Value>(failure())
                                     : g.linear(*h, layer + "mlp.fc1", v.intermediate, w, true);
    FailureOr<Value> act = failed(fc1) ? FailureOr<Value>(failure()) : g.activation(*fc1, v.hiddenAct);
    FailureOr<Value> fc2 = failed(act) ? FailureOr<Value>(failure())
                                       : g.linear(*act, layer + "mlp.fc2", w, v.intermediate, true);
    if (failed(fc2))
      return failure();
    x = g.add(*x, *fc2);
  }
  x = g.layerNorm(*x, tower + "post_layernorm", w, v.layerNormEps);
  if (failed(x))
    return failure();

  // Connector: per tile, fold s x s patch blocks into channels, then project.
  Value tiles = g.reshape(*x, {ShapedType::kDynamic, grid * grid, w});
  auto shuffledType =
      g.tensor({ShapedType::kDynamic, grid * grid / (s * s), w * s * s});
  Value shuffled = PixelShuffleOp::create(g.b, g.loc("connector.pixel_shuffle"), shuffledType,
                                          tiles, g.b.getI64IntegerAttr(s));
  Value flat = g.reshape(shuffled, {ShapedType::kDynamic, w * s * s});
  FailureOr<Value> projected = g.linear(flat, "connector.modality_projection.proj",
                                        config.text.hidden, w * s * s, false);
  if (failed(projected))
    return failure();
  func::ReturnOp::create(g.b, g.loc("vision_encoder"), *projected);
  return success();
}

} // namespace vlmc::compiler
