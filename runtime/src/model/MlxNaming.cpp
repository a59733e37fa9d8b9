#include "vlmc/model/MlxNaming.h"

#include <algorithm>
#include <string_view>

namespace vlmc::model {

namespace {

bool startsWith(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

// Python's str.replace: every occurrence (mlx-vlm's Qwen sanitize uses it).
std::string replaceAll(std::string s, const std::string &from,
                       const std::string &to) {
  size_t pos = 0;
  while ((pos = s.find(from, pos)) != std::string::npos) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
  return s;
}

bool contains(std::string_view s, std::string_view p) {
  return s.find(p) != std::string_view::npos;
}

// mlx-vlm check_array_shape (qwen2_vl/vision.py): is a 5-D Conv3d weight
// already [O, T, H, W, C]?
bool conv3dIsMlxLayout(const std::vector<int64_t> &s) {
  if (s.size() != 5)
    return false;
  if (s[4] == 3)
    return true;
  return s[1] >= s[2] && s[1] >= s[3] && s[2] == s[3];
}

// idefics3/vision.py check_array_shape: is a 4-D Conv2d weight [O, H, W, C]?
bool conv2dIsMlxLayout(const std::vector<int64_t> &s) {
  return s.size() == 4 && s[0] >= s[1] && s[0] >= s[2] && s[1] == s[2];
}

} // namespace

std::string textModelPrefix(Family family) {
  return family == Family::kIdefics3 ? "language_model." : "language_model.model.";
}

std::optional<NameMapping> mapName(const ModelConfig &config,
                                   const std::string &hfName,
                                   const std::vector<int64_t> &shape) {
  // Buffers the MLX models do not have (sanitize drops them).
  if (contains(hfName, "position_ids") ||
      contains(hfName, "rotary_emb.inv_freq"))
    return std::nullopt;
  NameMapping m;
  std::string k = hfName;
  switch (config.family) {
  case Family::kQwen2VL:
  case Family::kQwen2_5VL:
    // vlmc extension: transformers >= 4.52 writes model.language_model.* and
    // model.visual.*, which mlx-vlm's sanitize does not handle; fold them
    // back to the Hub layout first.
    if (startsWith(k, "model.language_model."))
      k = "model." + k.substr(21);
    else if (startsWith(k, "model.visual."))
      k = k.substr(6);
    // qwen2_vl.py / qwen2_5_vl.py Model.sanitize, literally.
    if (!contains(k, "vision_tower"))
      k = replaceAll(k, "visual", "vision_tower");
    if (!contains(k, "language_model")) {
      if (contains(k, "model"))
        k = replaceAll(k, "model", "language_model.model");
      else if (contains(k, "lm_head"))
        k = replaceAll(k, "lm_head", "language_model.lm_head");
    }
    // The MLX LanguageModel has no lm_head when embeddings are tied.
    if (config.text.tieWordEmbeddings && k == "language_model.lm_head.weight")
      return std::nullopt;
    // vision.py sanitize: Conv3d [O, C, T, H, W] -> [O, T, H, W, C].
    if (contains(k, "patch_embed.proj.weight") && shape.size() == 5 &&
        !conv3dIsMlxLayout(shape))
      m.transpose = {0, 2, 3, 4, 1};
    break;
  case Family::kIdefics3:
    // idefics3.py Model.sanitize: drop "model.", lm_head under
    // language_model, text_model -> language_model.
    if (startsWith(k, "model."))
      k = k.substr(6);
    else if (startsWith(k, "lm_head."))
      k = "language_model." + k;
    if (startsWith(k, "text_model."))
      k = "language_model." + k.substr(11);
    // vision.py sanitize: Conv2d [O, C, H, W] -> [O, H, W, C].
    if (contains(k, "patch_embedding.weight") && shape.size() == 4 &&
        !conv2dIsMlxLayout(shape))
      m.transpose = {0, 2, 3, 1};
    break;
  case Family::kLlama:
    // llama.py Model.sanitize: prefix language_model. unless already there;
    // LanguageModel.sanitize drops lm_head when tied.
    if (!startsWith(k, "language_model.")) {
      if (config.text.tieWordEmbeddings && k == "lm_head.weight")
        return std::nullopt;
      k = "language_model." + k;
    } else if (config.text.tieWordEmbeddings && k == "language_model.lm_head.weight") {
      return std::nullopt;
    }
    break;
  }
  m.mlxName = std::move(k);
  return m;
}

std::vector<SourceTensor> sourceTensors(const io::Checkpoint &checkpoint) {
  std::vector<SourceTensor> out;
  for (const std::string &name : checkpoint.names())
    out.push_back({name, name});
  for (const auto &file : checkpoint.files())
    for (const auto &[alias, target] : file.metadata()) {
      if (alias == "format" || checkpoint.find(alias) || !checkpoint.find(target))
        continue;
      out.push_back({alias, target});
    }
  return out;
}

namespace {

// Attribute order of the mlx-vlm modules (their __init__ order). Only the
// relative order of siblings matters, so one list serves all families, except
// the text MLP: llama declares gate, down, up; the SwiGLU MLP of the others
// gate, up, down.
int rankOf(Family family, std::string_view name) {
  static const char *kOrder[] = {
      "vision_tower", "vision_model", "language_model", "connector",
      // Qwen vision tower
      "patch_embed", "rotary_pos_emb", "blocks", "merger", "norm1", "norm2",
      "attn", "qkv", "proj", "ln_q",
      // Idefics3 vision model
      "embeddings", "patch_embedding", "position_embedding", "encoder",
      "post_layernorm",
      // text models
      "model", "embed_tokens", "layers", "norm", "lm_head", "self_attn",
      "layer_norm1", "mlp", "layer_norm2", "input_layernorm",
      "post_attention_layernorm", "q_proj", "k_proj", "v_proj", "o_proj",
      "out_proj", "gate_proj", "up_proj", "down_proj", "fc1", "fc2",
      "modality_projection",
      // parameters of (quantized) Linear / Embedding / norms
      "weight", "scales", "biases", "bias", "global_scale"};
  if (family == Family::kLlama) { // llama's MLP: gate, down, up
    if (name == "up_proj")
      name = "down_proj";
    else if (name == "down_proj")
      name = "up_proj";
  }
  for (size_t i = 0; i < sizeof kOrder / sizeof *kOrder; ++i)
    if (name == kOrder[i])
      return int(i);
  return 1 << 20;
}

bool isNumber(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::vector<std::string_view> split(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == '.') {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  return out;
}

} // namespace

bool mlxModuleLess(Family family, const std::string &a, const std::string &b) {
  auto pa = split(a), pb = split(b);
  for (size_t i = 0; i < pa.size() && i < pb.size(); ++i) {
    if (pa[i] == pb[i])
      continue;
    if (isNumber(pa[i]) && isNumber(pb[i])) {
      if (pa[i].size() != pb[i].size())
        return pa[i].size() < pb[i].size();
      return pa[i] < pb[i];
    }
    int ra = rankOf(family, pa[i]), rb = rankOf(family, pb[i]);
    if (ra != rb)
      return ra < rb;
    return pa[i] < pb[i];
  }
  return pa.size() < pb.size();
}

int64_t textLayerIndex(const ModelConfig &config, const std::string &name) {
  std::string prefix = textModelPrefix(config.family) + "layers.";
  if (!startsWith(name, prefix))
    return -1;
  size_t end = name.find('.', prefix.size());
  std::string idx = name.substr(prefix.size(), end - prefix.size());
  if (!isNumber(idx) || idx.size() > 9)
    return -1;
  return std::stoll(idx);
}

std::optional<std::vector<int64_t>>
expectedTextShape(const ModelConfig &config, const std::string &name) {
  const TextConfig &d = config.text;
  const std::string pre = textModelPrefix(config.family);
  const int64_t q = d.heads * d.headDim, kv = d.kvHeads * d.headDim;
  if (name == pre + "embed_tokens.weight" ||
      name == "language_model.lm_head.weight")
    return std::vector<int64_t>{d.vocab, d.hidden};
  if (name == pre + "norm.weight")
    return std::vector<int64_t>{d.hidden};
  if (textLayerIndex(config, name) < 0)
    return std::nullopt;
  auto endsWith = [&](const char *s) {
    std::string_view n(name), suffix(s);
    return n.size() >= suffix.size() &&
           n.substr(n.size() - suffix.size()) == suffix;
  };
  if (endsWith(".self_attn.q_proj.weight"))
    return std::vector<int64_t>{q, d.hidden};
  if (endsWith(".self_attn.k_proj.weight") ||
      endsWith(".self_attn.v_proj.weight"))
    return std::vector<int64_t>{kv, d.hidden};
  if (endsWith(".self_attn.o_proj.weight"))
    return std::vector<int64_t>{d.hidden, q};
  if (endsWith(".self_attn.q_proj.bias"))
    return std::vector<int64_t>{q};
  if (endsWith(".self_attn.k_proj.bias") || endsWith(".self_attn.v_proj.bias"))
    return std::vector<int64_t>{kv};
  if (d.intermediate > 0 &&
      (endsWith(".mlp.gate_proj.weight") || endsWith(".mlp.up_proj.weight")))
    return std::vector<int64_t>{d.intermediate, d.hidden};
  if (d.intermediate > 0 && endsWith(".mlp.down_proj.weight"))
    return std::vector<int64_t>{d.hidden, d.intermediate};
  if (endsWith("_layernorm.weight"))
    return std::vector<int64_t>{d.hidden};
  return std::nullopt;
}

std::vector<std::string> requiredTextTensors(const ModelConfig &config) {
  const std::string pre = textModelPrefix(config.family);
  std::vector<std::string> out = {pre + "embed_tokens.weight",
                                  pre + "norm.weight"};
  if (!config.text.tieWordEmbeddings || config.family == Family::kIdefics3)
    out.push_back("language_model.lm_head.weight");
  for (int64_t i = 0; i < config.text.layers; ++i) {
    std::string l = pre + "layers." + std::to_string(i) + ".";
    for (const char *p :
         {"self_attn.q_proj.weight", "self_attn.k_proj.weight",
          "self_attn.v_proj.weight", "self_attn.o_proj.weight",
          "mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight",
          "input_layernorm.weight", "post_attention_layernorm.weight"})
      out.push_back(l + p);
  }
  return out;
}

} // namespace vlmc::model
