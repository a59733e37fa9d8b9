// A model's architecture, read from config.json in any of the layouts seen in
// the wild (flat or nested text_config/vision_config, rope_scaling or
// rope_parameters, torch_dtype or dtype, MLX-VLM's rewritten configs).
// Shared by the compiler (graph building) and the runtime (front-end).
#pragma once

#include "vlmc/support/Status.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vlmc::model {

enum class Family { kQwen2VL, kQwen2_5VL, kIdefics3, kLlama };

const char *familyName(Family family);

struct TextConfig {
  int64_t hidden = 0, intermediate = 0, layers = 0;
  int64_t heads = 0, kvHeads = 0, headDim = 0, vocab = 0;
  double rmsNormEps = 1e-6;
  double ropeTheta = 10000.0;
  // Qwen2-VL M-RoPE sections (t, h, w), summing to headDim / 2; empty for
  // plain 1-D RoPE.
  std::vector<int64_t> mropeSection;
  bool attentionBias = false; // q/k/v projections carry a bias
  bool mlpBias = false;
  bool tieWordEmbeddings = false;
  std::string hiddenAct = "silu";
  std::vector<int64_t> eosTokenIds;
  std::optional<int64_t> bosTokenId;
};

// The vision towers of the supported families. Fields a family does not use
// stay zero.
struct VisionConfig {
  int64_t depth = 0;        // transformer blocks
  int64_t width = 0;        // embedding width of the tower
  int64_t heads = 0;
  int64_t intermediate = 0; // MLP hidden width
  int64_t patchSize = 0;
  int64_t inChannels = 3;
  double layerNormEps = 1e-6;
  std::string hiddenAct;
  // Qwen2-VL / Qwen2.5-VL.
  int64_t temporalPatchSize = 0;
  int64_t spatialMergeSize = 0;
  int64_t outHidden = 0; // merger output = LLM hidden size
  double ropeTheta = 10000.0;
  // Qwen2.5-VL window attention.
  int64_t windowSize = 0;
  std::vector<int64_t> fullAttentionBlocks;
  // Idefics3 / SmolVLM.
  int64_t imageSize = 0;
  int64_t scaleFactor = 0; // pixel-shuffle factor of the connector
};

// How an MLX checkpoint's layers are quantized: config.json's "quantization"
// (mlx_vlm.convert writes the same dict as "quantization_config").
struct LayerQuantization {
  std::string mode = "affine"; // affine | mxfp4 | mxfp8 | nvfp4
  int bits = 4;
  int groupSize = 64;
};

struct QuantizationConfig {
  LayerQuantization defaults;
  // Per-path overrides; nullopt where the path is explicitly not quantized.
  std::map<std::string, std::optional<LayerQuantization>> layers;

  // The spec of the module at `path` (e.g. "language_model.model.layers.0.
  // mlp.up_proj"), looked up as MLX-VLM's loader does: the full path, then
  // the path without "language_model.". nullopt: explicitly not quantized.
  std::optional<LayerQuantization> lookup(const std::string &path) const;
};

struct ModelConfig {
  Family family = Family::kLlama;
  std::string modelType;
  TextConfig text;
  std::optional<VisionConfig> vision; // absent for text-only models
  std::optional<int64_t> imageTokenId;
  std::optional<int64_t> visionStartTokenId, visionEndTokenId;
  // "float32", "float16" or "bfloat16" from torch_dtype / dtype / text_config.
  std::string dtype = "float32";
  // Present for MLX-format quantized checkpoints.
  std::optional<QuantizationConfig> quantization;
};

// Parses config.json text; `label` names the file in errors. Unsupported
// architectures and missing or inconsistent dimensions are errors.
Result<ModelConfig> parseModelConfig(const std::string &jsonText,
                                     const std::string &label);
Result<ModelConfig> loadModelConfig(const std::string &modelDir);

} // namespace vlmc::model
