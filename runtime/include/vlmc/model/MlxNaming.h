// What vlm-convert knows about each supported architecture: how HF tensor
// names map to MLX-VLM module paths (mirroring each model's sanitize() in
// mlx-vlm 0.6.15), the MLX module order, and the text-model dimensions used to
// validate tensor shapes.
#pragma once

#include "vlmc/support/Status.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vlmc::convert {

enum class Family { kQwen2VL, kQwen2_5VL, kIdefics3, kLlama };

const char *familyName(Family family);

struct TextDims {
  int64_t hidden = 0, intermediate = 0, vocab = 0;
  int64_t heads = 0, kvHeads = 0, headDim = 0, layers = 0;
};

struct ModelSpec {
  Family family = Family::kLlama;
  std::string modelType;
  TextDims text;
  bool tieWordEmbeddings = false;
};

// Reads model_type and the text dimensions (text_config first, then top
// level, as transformers 4.x/5.x configs differ). Unsupported or missing
// model_type is an error naming `configPath`.
Result<ModelSpec> detectModel(const nlohmann::ordered_json &config,
                              const std::string &configPath);

// How a source tensor becomes an MLX tensor.
struct NameMapping {
  std::string mlxName;
  // Permutation to apply (PyTorch conv -> MLX channels-last), empty if none.
  std::vector<int> transpose;
};

// HF name -> MLX name. nullopt: the tensor is dropped (unused buffers such as
// position_ids / rotary inv_freq, or lm_head of a tied model). `shape` is the
// source shape (conv weights are transposed only when not already MLX layout,
// using mlx-vlm's check_array_shape heuristic).
std::optional<NameMapping> mapName(const ModelSpec &spec,
                                   const std::string &hfName,
                                   const std::vector<int64_t> &shape);

// Strict-weak order of MLX parameter names in the order mlx-vlm's module tree
// declares them (what nn.quantize and tree_flatten(model.parameters()) visit).
// Used for the per-layer quantization entries and for shard assignment.
bool mlxModuleLess(Family family, const std::string &a, const std::string &b);

// Expected shape of a text-model parameter (MLX name), if we know it.
std::optional<std::vector<int64_t>> expectedTextShape(const ModelSpec &spec,
                                                      const std::string &mlxName);
// Text-model parameters that must exist (MLX names), for missing-tensor errors.
std::vector<std::string> requiredTextTensors(const ModelSpec &spec);
// Layer index of a text-model parameter path, or -1.
int64_t textLayerIndex(const ModelSpec &spec, const std::string &mlxName);

} // namespace vlmc::convert
