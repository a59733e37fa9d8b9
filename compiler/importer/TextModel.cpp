// The decoder of every supported family (Qwen2 for Qwen2-VL/2.5-VL, Llama for
// SmolVLM and plain Llama): one function for prefill and one for a decode
// step, over an explicit KV cache passed in and returned per layer.
#include "compiler/importer/Families.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <cmath>

using namespace mlir;
using namespace mlir::vlm;

namespace vlmc::compiler {

namespace {

struct TextNames {
  std::string prefix; // of embed_tokens, layers, norm
  std::string lmHead;
};

TextNames textNames(model::Family family) {
  if (family == model::Family::kIdefics3)
    return {"language_model.", "language_model.lm_head"};
  return {"language_model.model.", "language_model.lm_head"};
}

struct DecoderFunction {
  bool prefill;           // else the decode step (S = 1)
  bool withImages;        // prefill of a VLM takes image embeddings
  bool hiddenStates;      // also return transformers' hidden_states tuple
};

FailureOr<Value> attentionBlock(GraphBuilder &g, const model::TextConfig &t,
                                const std::string &layer, Value h, Value positions,
                                Value kvOffset, Value kvLength, Value &kCache,
                                Value &vCache) {
  int64_t q = t.heads * t.headDim, kv = t.kvHeads * t.headDim;
  std::string attn = layer + "self_attn.";
  FailureOr<Value> qp = g.linear(h, attn + "q_proj", q, t.hidden, t.attentionBias);
  FailureOr<Value> kp = failed(qp) ? FailureOr<Value>(failure())
                                   : g.linear(h, attn + "k_proj", kv, t.hidden, t.attentionBias);
  FailureOr<Value> vp = failed(kp) ? FailureOr<Value>(failure())
                                   : g.linear(h, attn + "v_proj", kv, t.hidden, t.attentionBias);
  if (failed(vp))
    return failure();

  DenseI64ArrayAttr sections;
  if (!t.mropeSection.empty())
    sections = g.b.getDenseI64ArrayAttr(t.mropeSection);
  auto rope = [&](Value x, int64_t heads) {
    Value r = g.reshape(x, {g.sequenceLength(), heads, t.headDim});
    return RopeOp::create(g.b, g.loc(attn + "rotary_emb"), r.getType(), r, positions,
                          g.b.getF32FloatAttr(t.ropeTheta), sections, UnitAttr())
        .getResult();
  };
  Value qr = rope(*qp, t.heads), kr = rope(*kp, t.kvHeads);
  Value vr = g.reshape(*vp, {g.sequenceLength(), t.kvHeads, t.headDim});

  kCache =
      KVCacheWriteOp::create(g.b, g.loc(attn + "k_cache"), kCache.getType(), kr, kCache, kvOffset);
  vCache =
      KVCacheWriteOp::create(g.b, g.loc(attn + "v_cache"), vCache.getType(), vr, vCache, kvOffset);
  auto a = AttentionOp::create(
      g.b, g.loc(attn + "attention"), qr.getType(), qr, kCache, vCache, Value(), kvLength,
      g.b.getF32FloatAttr(1.0 / std::sqrt(double(t.headDim))), g.b.getUnitAttr());
  Value flat = g.reshape(a, {g.sequenceLength(), q});
  return g.linear(flat, attn + "o_proj", t.hidden, q, false);
}

FailureOr<Value> mlpBlock(GraphBuilder &g, const model::TextConfig &t,
                          const std::string &layer, Value h) {
  std::string mlp = layer + "mlp.";
  FailureOr<Value> gate = g.linear(h, mlp + "gate_proj", t.intermediate, t.hidden, t.mlpBias);
  FailureOr<Value> up = failed(gate) ? FailureOr<Value>(failure())
                                     : g.linear(h, mlp + "up_proj", t.intermediate, t.hidden, t.mlpBias);
  if (failed(up))
    return failure();
  FailureOr<Value> act = g.activation(*gate, t.hiddenAct);
  if (failed(act))
    return failure();
  return g.linear(g.mul(*act, *up), mlp + "down_proj", t.hidden, t.intermediate,
                  t.mlpBias);
}

LogicalResult buildDecoderFunction(GraphBuilder &g, ModuleOp module,
                                   const model::ModelConfig &config,
                                   const DecoderFunction &kind) {
  const model::TextConfig &t = config.text;
  TextNames names = textNames(config.family);
  MLIRContext *ctx = g.context();
  g.setSequenceLength(kind.prefill ? ShapedType::kDynamic : 1);
  int64_t s = g.sequenceLength();

  Type i32 = IntegerType::get(ctx, 32);
  auto scalar = RankedTensorType::get({}, i32);
  auto cacheType = g.tensor({ShapedType::kDynamic, t.kvHeads, t.headDim});
  SmallVector<Type> inputs{RankedTensorType::get({s}, i32)};
  SmallVector<std::string> inputNames{"input_ids"};
  bool mrope = !t.mropeSection.empty();
  inputs.push_back(mrope ? RankedTensorType::get(
                               {int64_t(t.mropeSection.size()), s}, i32)
                         : RankedTensorType::get({s}, i32));
  inputNames.push_back("position_ids");
  if (kind.withImages) {
    inputs.push_back(g.tensor({ShapedType::kDynamic, t.hidden}));
    inputNames.push_back("image_embeds");
  }
  inputs.append({scalar, scalar});
  inputNames.append({"kv_offset", "kv_length"});
  for (int64_t i = 0; i < t.layers; ++i) {
    inputs.append({cacheType, cacheType});
    inputNames.push_back("k_cache." + std::to_string(i));
    inputNames.push_back("v_cache." + std::to_string(i));
  }
  SmallVector<Type> results{g.tensor({s, t.vocab})};
  for (int64_t i = 0; i < 2 * t.layers; ++i)
    results.push_back(cacheType);
  if (kind.hiddenStates)
    for (int64_t i = 0; i <= t.layers; ++i)
      results.push_back(g.tensor({s, t.hidden}));

  OpBuilder::InsertionGuard guard(g.b);
  g.b.setInsertionPointToEnd(module.getBody());
  StringRef name = kind.prefill ? "prefill" : "decode_step";
  auto func = func::FuncOp::create(g.b, g.loc(name), name, g.b.getFunctionType(inputs, results));
  for (auto [i, argName] : llvm::enumerate(inputNames))
    func.setArgAttr(i, "vlm.name", g.b.getStringAttr(argName));
  Block *body = func.addEntryBlock();
  g.b.setInsertionPointToStart(body);

  unsigned arg = 0;
  Value ids = body->getArgument(arg++);
  Value positions = body->getArgument(arg++);
  Value imageEmbeds = kind.withImages ? body->getArgument(arg++) : Value();
  Value kvOffset = body->getArgument(arg++), kvLength = body->getArgument(arg++);
  SmallVector<Value> caches(body->getArguments().begin() + arg,
                            body->getArguments().end());

  FailureOr<Value> x = g.embedding(ids, names.prefix + "embed_tokens", t.vocab, t.hidden);
  if (failed(x))
    return failure();
  if (imageEmbeds)
    x = SpliceImageTokensOp::create(g.b, g.loc("image_splice"), (*x).getType(), imageEmbeds, *x,
                                    ids, g.b.getI64IntegerAttr(*config.imageTokenId))
            .getResult();

  // As transformers' output_hidden_states: the input embeddings, each
  // layer's output, and the last one after the final norm.
  SmallVector<Value> hidden{*x};
  for (int64_t i = 0; i < t.layers; ++i) {
    if (i > 0)
      hidden.push_back(*x);
    std::string layer = names.prefix + "layers." + std::to_string(i) + ".";
    FailureOr<Value> h = g.rmsNorm(*x, layer + "input_layernorm", t.hidden, t.rmsNormEps);
    if (failed(h))
      return failure();
    FailureOr<Value> a = attentionBlock(g, t, layer, *h, positions, kvOffset, kvLength,
                                        caches[2 * i], caches[2 * i + 1]);
    if (failed(a))
      return failure();
    x = g.add(*x, *a);
    h = g.rmsNorm(*x, layer + "post_attention_layernorm", t.hidden, t.rmsNormEps);
    FailureOr<Value> m = failed(h) ? FailureOr<Value>(failure()) : mlpBlock(g, t, layer, *h);
    if (failed(m))
      return failure();
    x = g.add(*x, *m);
  }
  FailureOr<Value> normed = g.rmsNorm(*x, names.prefix + "norm", t.hidden, t.rmsNormEps);
  if (failed(normed))
    return failure();
  // Tied heads reuse the embedding table (MLX: embed_tokens.as_linear).
  std::string head = t.tieWordEmbeddings ? names.prefix + "embed_tokens" : names.lmHead;
  FailureOr<Value> logits = g.linear(*normed, head, t.vocab, t.hidden, false);
  if (failed(logits))
    return failure();
  SmallVector<Value> returned{*logits};
  returned.append(caches.begin(), caches.end());
  if (kind.hiddenStates) {
    hidden.push_back(*normed);
    returned.append(hidden.begin(), hidden.end());
  }
  func::ReturnOp::create(g.b, g.loc(name), returned);
  return success();
}

} // namespace

LogicalResult buildTextModel(GraphBuilder &g, ModuleOp module,
                             const model::ModelConfig &config, bool hiddenStates) {
  bool vlm = config.vision.has_value();
  if (failed(buildDecoderFunction(g, module, config, {true, vlm, hiddenStates})) ||
      failed(buildDecoderFunction(g, module, config, {false, false, false})))
    return failure();
  return success();
}

} // namespace vlmc::compiler
