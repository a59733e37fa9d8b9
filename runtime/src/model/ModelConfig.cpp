#include "vlmc/model/ModelConfig.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

namespace vlmc::model {

using json = nlohmann::json;

const char *familyName(Family family) {
  switch (family) {
  case Family::kQwen2VL: return "qwen2_vl";
  case Family::kQwen2_5VL: return "qwen2_5_vl";
  case Family::kIdefics3: return "idefics3";
  case Family::kLlama: return "llama";
  }
  return "?";
}

namespace {

// Looks a key up in the first object that has it (non-null).
class Fields {
public:
  Fields(std::vector<const json *> scopes) : scopes_(std::move(scopes)) {}

  const json *find(const char *key) const {
    for (const json *s : scopes_) {
      if (!s || !s->is_object())
        continue;
      auto it = s->find(key);
      if (it != s->end() && !it->is_null())
        return &*it;
    }
    return nullptr;
  }
  int64_t integer(const char *key, int64_t fallback = 0) const {
    const json *v = find(key);
    return v && v->is_number_integer() ? v->get<int64_t>() : fallback;
  }
  double number(const char *key, double fallback) const {
    const json *v = find(key);
    return v && v->is_number() ? v->get<double>() : fallback;
  }
  bool boolean(const char *key, bool fallback) const {
    const json *v = find(key);
    return v && v->is_boolean() ? v->get<bool>() : fallback;
  }
  std::string string(const char *key, std::string fallback = "") const {
    const json *v = find(key);
    return v && v->is_string() ? v->get<std::string>() : fallback;
  }
  std::vector<int64_t> integers(const char *key) const {
    std::vector<int64_t> out;
    const json *v = find(key);
    if (v && v->is_number_integer())
      out.push_back(v->get<int64_t>());
    else if (v && v->is_array())
      for (const json &e : *v)
        if (e.is_number_integer())
          out.push_back(e.get<int64_t>());
    return out;
  }

private:
  std::vector<const json *> scopes_;
};

const json *member(const json &j, const char *key) {
  if (!j.is_object())
    return nullptr;
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? &*it : nullptr;
}

Result<Family> familyOf(const std::string &modelType, const std::string &label) {
  if (modelType == "qwen2_vl")
    return Family::kQwen2VL;
  if (modelType == "qwen2_5_vl")
    return Family::kQwen2_5VL;
  if (modelType == "idefics3" || modelType == "smolvlm")
    return Family::kIdefics3;
  if (modelType == "llama")
    return Family::kLlama;
  return Status(StatusCode::kUnimplemented,
                label + ": unsupported architecture '" + modelType +
                    "' (supported: qwen2_vl, qwen2_5_vl, idefics3, smolvlm, llama)");
}

// rope_parameters (transformers 5), rope_scaling (4.x) or top-level fields.
void readRope(const json &root, const json *textConfig, TextConfig &text) {
  for (const json *scope : {textConfig, &root}) {
    if (!scope)
      continue;
    for (const char *key : {"rope_parameters", "rope_scaling"}) {
      const json *rope = member(*scope, key);
      if (!rope)
        continue;
      Fields f({rope});
      text.ropeTheta = f.number("rope_theta", text.ropeTheta);
      if (text.mropeSection.empty())
        text.mropeSection = f.integers("mrope_section");
    }
  }
  Fields f({textConfig, &root});
  text.ropeTheta = f.number("rope_theta", text.ropeTheta);
}

Status readText(const json &root, ModelConfig &config, const std::string &label) {
  const json *tc = member(root, "text_config");
  Fields f({tc, &root});
  TextConfig &t = config.text;
  t.hidden = f.integer("hidden_size");
  t.intermediate = f.integer("intermediate_size");
  t.layers = f.integer("num_hidden_layers");
  t.heads = f.integer("num_attention_heads");
  t.kvHeads = f.integer("num_key_value_heads", t.heads);
  t.vocab = f.integer("vocab_size");
  if (t.hidden <= 0 || t.intermediate <= 0 || t.layers <= 0 || t.heads <= 0 ||
      t.vocab <= 0)
    return invalidArgument(label + ": missing or invalid text dimensions (need "
                           "hidden_size, intermediate_size, num_hidden_layers, "
                           "num_attention_heads, vocab_size)");
  t.headDim = f.integer("head_dim", t.hidden / t.heads);
  if (t.kvHeads <= 0 || t.heads % t.kvHeads != 0)
    return invalidArgument(label + ": num_attention_heads (" +
                           std::to_string(t.heads) +
                           ") is not a multiple of num_key_value_heads (" +
                           std::to_string(t.kvHeads) + ")");
  if (t.headDim <= 0 || t.headDim % 2 != 0)
    return invalidArgument(label + ": head_dim " + std::to_string(t.headDim) +
                           " must be positive and even");
  t.rmsNormEps = f.number("rms_norm_eps", t.rmsNormEps);
  t.hiddenAct = f.string("hidden_act", t.hiddenAct);
  readRope(root, tc, t);
  if (!t.mropeSection.empty()) {
    int64_t sum = 0;
    for (int64_t s : t.mropeSection)
      sum += s;
    if (sum != t.headDim / 2)
      return invalidArgument(label + ": mrope_section sums to " +
                             std::to_string(sum) + " but head_dim / 2 is " +
                             std::to_string(t.headDim / 2));
  }
  bool qwen = config.family == Family::kQwen2VL || config.family == Family::kQwen2_5VL;
  t.attentionBias = f.boolean("attention_bias", qwen);
  t.mlpBias = f.boolean("mlp_bias", false);
  // transformers 5 keeps tie_word_embeddings on the composite config; Llama's
  // default is to tie.
  auto top = root.find("tie_word_embeddings");
  t.tieWordEmbeddings = top != root.end() && top->is_boolean()
                            ? top->get<bool>()
                            : f.boolean("tie_word_embeddings",
                                        config.family == Family::kLlama);
  t.eosTokenIds = f.integers("eos_token_id");
  if (const json *bos = f.find("bos_token_id"); bos && bos->is_number_integer())
    t.bosTokenId = bos->get<int64_t>();
  return Status::ok();
}

Status readVision(const json &root, ModelConfig &config, const std::string &label) {
  const json *vc = member(root, "vision_config");
  if (config.family == Family::kLlama)
    return Status::ok();
  if (!vc)
    return invalidArgument(label + ": " + familyName(config.family) +
                           " needs a vision_config");
  Fields f({vc});
  VisionConfig v;
  v.heads = f.integer("num_heads", f.integer("num_attention_heads"));
  v.patchSize = f.integer("patch_size");
  v.inChannels = f.integer("in_channels", f.integer("in_chans", f.integer("num_channels", 3)));
  v.layerNormEps = f.number("layer_norm_eps", 1e-6);
  v.hiddenAct = f.string("hidden_act");
  switch (config.family) {
  case Family::kQwen2VL:
    v.depth = f.integer("depth");
    v.width = f.integer("embed_dim");
    v.intermediate = v.width * f.integer("mlp_ratio", 4);
    v.outHidden = f.integer("hidden_size", config.text.hidden);
    if (v.hiddenAct.empty())
      v.hiddenAct = "quick_gelu";
    break;
  case Family::kQwen2_5VL:
    v.depth = f.integer("depth");
    v.width = f.integer("hidden_size");
    v.intermediate = f.integer("intermediate_size");
    v.outHidden = f.integer("out_hidden_size", config.text.hidden);
    v.windowSize = f.integer("window_size");
    v.fullAttentionBlocks = f.integers("fullatt_block_indexes");
    if (v.hiddenAct.empty())
      v.hiddenAct = "silu";
    break;
  case Family::kIdefics3:
    v.depth = f.integer("num_hidden_layers");
    v.width = f.integer("hidden_size");
    v.intermediate = f.integer("intermediate_size");
    v.imageSize = f.integer("image_size");
    v.scaleFactor = Fields({&root}).integer("scale_factor", 2);
    if (v.hiddenAct.empty())
      v.hiddenAct = "gelu_pytorch_tanh";
    break;
  case Family::kLlama:
    break;
  }
  if (config.family != Family::kIdefics3) {
    v.temporalPatchSize = f.integer("temporal_patch_size", 2);
    v.spatialMergeSize = f.integer("spatial_merge_size", 2);
    if (const json *rope = member(*vc, "rope_parameters"))
      v.ropeTheta = Fields({rope}).number("rope_theta", v.ropeTheta);
  }
  if (v.depth <= 0 || v.width <= 0 || v.heads <= 0 || v.intermediate <= 0 ||
      v.patchSize <= 0 || v.width % v.heads != 0)
    return invalidArgument(label + ": missing or invalid vision dimensions "
                           "(depth/num_hidden_layers, width, heads, "
                           "intermediate size, patch_size)");
  config.vision = v;
  return Status::ok();
}

// MLX defaults per mode (mlx/ops.cpp quantization_params_from_mode).
LayerQuantization modeDefaults(const std::string &mode) {
  if (mode == "mxfp4")
    return {mode, 4, 32};
  if (mode == "mxfp8")
    return {mode, 8, 32};
  if (mode == "nvfp4")
    return {mode, 4, 16};
  return {"affine", 4, 64};
}

Result<LayerQuantization> parseLayerQuantization(const json &entry,
                                                 const std::string &where) {
  Fields f({&entry});
  std::string mode = f.string("mode", "affine");
  if (mode != "affine" && mode != "mxfp4" && mode != "mxfp8" && mode != "nvfp4")
    return invalidArgument(where + ": unknown quantization mode '" + mode + "'");
  LayerQuantization q = modeDefaults(mode);
  q.bits = int(f.integer("bits", q.bits));
  q.groupSize = int(f.integer("group_size", q.groupSize));
  return q;
}

Status readQuantization(const json &root, ModelConfig &config, const std::string &label) {
  const json *q = member(root, "quantization");
  if (!q)
    q = member(root, "quantization_config");
  // HF quantization_config of other tools (bitsandbytes, GPTQ, ...) carries a
  // quant_method; only MLX's dict (group_size/bits/mode) is ours.
  if (!q || q->contains("quant_method"))
    return Status::ok();
  Result<LayerQuantization> defaults = parseLayerQuantization(*q, label + ": quantization");
  if (!defaults)
    return defaults.status();
  QuantizationConfig qc;
  qc.defaults = *defaults;
  for (auto it = q->begin(); it != q->end(); ++it) {
    if (it.value().is_boolean()) {
      if (!it.value().get<bool>())
        qc.layers[it.key()] = std::nullopt;
    } else if (it.value().is_object()) {
      Result<LayerQuantization> layer = parseLayerQuantization(
          it.value(), label + ": quantization entry '" + it.key() + "'");
      if (!layer)
        return layer.status();
      qc.layers[it.key()] = *layer;
    }
  }
  config.quantization = std::move(qc);
  return Status::ok();
}

} // namespace

std::optional<LayerQuantization>
QuantizationConfig::lookup(const std::string &path) const {
  static const std::string kPrefix = "language_model.";
  for (const std::string &key :
       {path, path.rfind(kPrefix, 0) == 0 ? path.substr(kPrefix.size()) : path}) {
    auto it = layers.find(key);
    if (it != layers.end())
      return it->second;
  }
  return defaults;
}

Result<ModelConfig> parseModelConfig(const std::string &jsonText,
                                     const std::string &label) {
  json root = json::parse(jsonText, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object())
    return invalidArgument(label + ": not a JSON object");
  ModelConfig config;
  Fields top({&root});
  config.modelType = top.string("model_type");
  if (config.modelType.empty())
    return invalidArgument(label + ": no \"model_type\"");
  Result<Family> family = familyOf(config.modelType, label);
  if (!family)
    return family.status();
  config.family = *family;
  VLMC_RETURN_IF_ERROR(readText(root, config, label));
  VLMC_RETURN_IF_ERROR(readVision(root, config, label));

  Fields ids({&root, member(root, "text_config")});
  if (const json *v = ids.find("image_token_id"); v && v->is_number_integer())
    config.imageTokenId = v->get<int64_t>();
  else if (const json *v2 = ids.find("image_token_index"); v2 && v2->is_number_integer())
    config.imageTokenId = v2->get<int64_t>();
  if (const json *v = ids.find("vision_start_token_id"); v && v->is_number_integer())
    config.visionStartTokenId = v->get<int64_t>();
  if (const json *v = ids.find("vision_end_token_id"); v && v->is_number_integer())
    config.visionEndTokenId = v->get<int64_t>();
  if (config.vision && !config.imageTokenId)
    return invalidArgument(label + ": a vision model needs image_token_id");

  VLMC_RETURN_IF_ERROR(readQuantization(root, config, label));

  Fields dtype({&root, member(root, "text_config")});
  config.dtype = dtype.string("torch_dtype", dtype.string("dtype", "float32"));
  if (config.dtype != "float32" && config.dtype != "float16" &&
      config.dtype != "bfloat16")
    return invalidArgument(label + ": unsupported dtype '" + config.dtype + "'");
  return config;
}

Result<ModelConfig> loadModelConfig(const std::string &modelDir) {
  std::string path = modelDir + "/config.json";
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return notFound(path + ": cannot open (is this a model directory?)");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parseModelConfig(buffer.str(), path);
}

} // namespace vlmc::model
