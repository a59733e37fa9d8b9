// MLX-VLM's names for a model's tensors: how HF tensor names map to MLX-VLM
// module paths (mirroring each model's sanitize() in mlx-vlm 0.6.15), the MLX
// module order, and the text-model shapes a config implies. Shared by
// vlm-convert (writing MLX checkpoints) and the compiler's importer (reading
// HF or MLX checkpoints under one set of canonical names).
#pragma once

#include "vlmc/io/Safetensors.h"
#include "vlmc/model/ModelConfig.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vlmc::model {

// How a source tensor becomes an MLX tensor.
struct NameMapping {
  std::string mlxName;
  // Permutation to apply (PyTorch conv -> MLX channels-last), empty if none.
  std::vector<int> transpose;
};

// HF name -> MLX name. nullopt: the tensor is dropped (unused buffers such as
// position_ids / rotary inv_freq, or lm_head of a tied model). `shape` is the
// source shape (conv weights are transposed only when not already MLX layout,
// using mlx-vlm's check_array_shape heuristic). MLX names map to themselves.
std::optional<NameMapping> mapName(const ModelConfig &config,
                                   const std::string &hfName,
                                   const std::vector<int64_t> &shape);

// A tensor name of a checkpoint and the stored tensor holding its data.
struct SourceTensor {
  std::string name;     // as the model sees it
  std::string storedAs; // the tensor in the checkpoint (== name unless aliased)
};

// Every stored tensor, then the aliases recorded in safetensors metadata
// (HF's shared-tensor convention: TinyStories stores only lm_head.weight and
// records {"model.embed_tokens.weight": "lm_head.weight"}). An alias counts
// when it is not itself stored and its target is; "format" is not an alias.
std::vector<SourceTensor> sourceTensors(const io::Checkpoint &checkpoint);

// Strict-weak order of MLX parameter names in the order mlx-vlm's module tree
// declares them (what nn.quantize and tree_flatten(model.parameters()) visit).
// Used for the per-layer quantization entries and for shard assignment.
bool mlxModuleLess(Family family, const std::string &a, const std::string &b);

// The MLX prefix of the text model's parameters: "language_model." for
// Idefics3, "language_model.model." for the others (lm_head is always
// "language_model.lm_head").
std::string textModelPrefix(Family family);

// Expected shape of a text-model parameter (MLX name), if we know it.
std::optional<std::vector<int64_t>> expectedTextShape(const ModelConfig &config,
                                                      const std::string &mlxName);
// Text-model parameters that must exist (MLX names), for missing-tensor errors.
std::vector<std::string> requiredTextTensors(const ModelConfig &config);
// Layer index of a text-model parameter path, or -1.
int64_t textLayerIndex(const ModelConfig &config, const std::string &mlxName);

} // namespace vlmc::model
