#include "vlmc/model/QuantRecipe.h"

#include <map>
#include <string_view>
#include <utility>

namespace vlmc::model {

namespace {

bool isDigits(std::string_view s) {
  if (s.empty())
    return false;
  for (char c : s)
    if (c < '0' || c > '9')
      return false;
  return true;
}

std::vector<std::string_view> splitPath(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= path.size(); ++i)
    if (i == path.size() || path[i] == '.') {
      out.push_back(path.substr(start, i - start));
      start = i + 1;
    }
  return out;
}

bool contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

// mlx_vlm.convert.mixed_quant_predicate_builder's recipes: (low, high) bits.
const std::map<std::string, std::pair<int, int>> &recipes() {
  static const std::map<std::string, std::pair<int, int>> kRecipes = {
      {"mixed_2_6", {2, 6}}, {"mixed_3_4", {3, 4}}, {"mixed_3_5", {3, 5}},
      {"mixed_3_6", {3, 6}}, {"mixed_3_8", {3, 8}}, {"mixed_4_6", {4, 6}},
      {"mixed_4_8", {4, 8}}};
  return kRecipes;
}

} // namespace

Result<QuantRecipe> QuantRecipe::create(const QuantOptions &options) {
  Result<quant::Mode> mode = quant::parseMode(options.mode);
  if (!mode)
    return mode.status();
  QuantRecipe r;
  r.global_ = quant::defaultSpec(*mode);
  if (options.groupSize)
    r.global_.groupSize = *options.groupSize;
  if (options.bits)
    r.global_.bits = *options.bits;
  if (options.nvfp4GlobalScale) {
    if (*mode != quant::Mode::kNvfp4)
      return invalidArgument("--nvfp4-global-scale requires --q-mode nvfp4");
    if (!options.predicate.empty())
      return invalidArgument(
          "--nvfp4-global-scale cannot be combined with --quant-predicate "
          "(mixed recipes are affine)");
    r.global_.globalScale = true;
  }
  VLMC_RETURN_IF_ERROR(quant::validateSpec(r.global_));
  if (!options.predicate.empty()) {
    auto it = recipes().find(options.predicate);
    if (it == recipes().end())
      return invalidArgument("Invalid quant recipe " + options.predicate);
    r.mixed_ = true;
    r.low_ = it->second.first;
    r.high_ = it->second.second;
  }
  r.quantizeVision_ = options.quantizeVision;
  return r;
}

Status QuantRecipe::locateLayers(const std::vector<std::string> &modulePaths,
                                 int64_t numTextLayers) {
  if (!mixed_)
    return Status::ok();
  // mlx_vlm takes the first down_proj of the language model; vision towers
  // (Qwen2.5-VL's has down_proj too) do not count.
  const std::string *down = nullptr;
  for (const std::string &path : modulePaths)
    if (contains(path, "down_proj") && !isMultimodalPath(path)) {
      down = &path;
      break;
    }
  if (!down)
    return invalidArgument("Model does not have expected keys for mixed quant.");
  std::vector<std::string_view> parts = splitPath(*down);
  size_t location = 0;
  while (location < parts.size() && !isDigits(parts[location]))
    ++location;
  layerLocation_ = location;
  numLayers_ = numTextLayers;
  return Status::ok();
}

LayerChoice QuantRecipe::choose(const std::string &modulePath,
                                int64_t inputDim) const {
  LayerChoice choice;
  if (isMultimodalPath(modulePath) && !quantizeVision_)
    return choice; // never quantized (skip_multimodal_module)
  if (inputDim % global_.groupSize != 0 || (mixed_ && inputDim % 64 != 0)) {
    choice.notDivisible = true;
    return choice;
  }
  if (!mixed_) {
    choice.spec = global_;
    return choice;
  }
  // mixed_quant_predicate_builder: v_proj and down_proj of the first and last
  // eighth of the layers and of every third layer in between get the high
  // bits, as do lm_head and embed_tokens; everything else the low bits. All
  // affine with group size 64.
  std::vector<std::string_view> parts = splitPath(modulePath);
  int64_t index = 0;
  if (parts.size() > layerLocation_ && isDigits(parts[layerLocation_]) &&
      parts[layerLocation_].size() < 10)
    index = std::stoll(std::string(parts[layerLocation_]));
  const int64_t n = numLayers_;
  const bool useMoreBits =
      index < n / 8 || index >= 7 * n / 8 || (index - n / 8) % 3 == 2;
  int bits = low_;
  if (useMoreBits && (contains(modulePath, "v_proj") ||
                      contains(modulePath, "down_proj")))
    bits = high_;
  if (contains(modulePath, "lm_head") || contains(modulePath, "embed_tokens"))
    bits = high_;
  quant::QuantSpec spec = quant::defaultSpec(quant::Mode::kAffine);
  spec.groupSize = 64;
  spec.bits = bits;
  choice.spec = spec;
  choice.perLayerEntry = true;
  return choice;
}

bool isMultimodalPath(const std::string &modulePath) {
  static const char *const kModules[] = {
      "vision_model", "vision_tower",   "vl_connector",          "sam_model",
      "audio_model",  "audio_tower",    "code_predictor",        "img_projector",
      "multi_modal_projector", "patch_merge_mlp"};
  for (const char *m : kModules)
    if (contains(modulePath, m))
      return true;
  return false;
}

} // namespace vlmc::model
