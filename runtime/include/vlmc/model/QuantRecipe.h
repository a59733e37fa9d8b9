// Which layers a conversion or compilation quantizes, and how: the rules of
// mlx_vlm.convert, shared by vlm-convert and vlm-compile so one set of flags
// means the same thing in both tools.
#pragma once

#include "vlmc/model/ModelConfig.h"
#include "vlmc/quant/Quant.h"
#include "vlmc/support/Status.h"

#include <optional>
#include <string>
#include <vector>

namespace vlmc::model {

// The command-line flags of mlx_vlm.convert (and ours).
struct QuantOptions {
  std::string mode = "affine";  // --q-mode
  std::optional<int> bits;      // --q-bits (default: the mode's)
  std::optional<int> groupSize; // --q-group-size (default: the mode's)
  std::string predicate;        // --quant-predicate: "" or mixed_L_H
  bool quantizeVision = false;  // --quantize-vision (vlmc extension)
  bool nvfp4GlobalScale = false; // --nvfp4-global-scale (vlmc extension)
};

// What happens to one Linear/Embedding layer.
struct LayerChoice {
  // The spec to quantize with; nullopt leaves the layer in float.
  std::optional<quant::QuantSpec> spec;
  // Mixed recipes write a per-layer {"group_size", "bits"} entry into
  // config.json's quantization dict.
  bool perLayerEntry = false;
  // Left in float because the input dim is not a multiple of the group size
  // (MLX-VLM skips these silently; we report them).
  bool notDivisible = false;
};

class QuantRecipe {
public:
  // Validates the flags (MLX's error texts for a bad mode or bits/group
  // sizes; global scale only with nvfp4 and not with a mixed recipe; unknown
  // recipe), in that order.
  static Result<QuantRecipe> create(const QuantOptions &options);

  // Mixed recipes find the layer index in module paths from the first
  // `down_proj` among `modulePaths` (MLX names, in MLX module order) that is
  // not multimodal (isMultimodalPath: the text model's, not Qwen2.5-VL's
  // vision MLP), and need the number of text layers. "Model does not have
  // expected keys for mixed quant." when there is none. A no-op without a
  // recipe.
  Status locateLayers(const std::vector<std::string> &modulePaths,
                      int64_t numTextLayers);

  // The choice for the Linear/Embedding module at `modulePath` (MLX name,
  // without ".weight") whose weight has `inputDim` columns.
  LayerChoice choose(const std::string &modulePath, int64_t inputDim) const;

  // The top-level spec (config.json's quantization defaults).
  const quant::QuantSpec &global() const { return global_; }
  bool mixed() const { return mixed_; }

private:
  quant::QuantSpec global_;
  bool quantizeVision_ = false;
  bool mixed_ = false;
  int low_ = 0, high_ = 0;
  size_t layerLocation_ = 0;
  int64_t numLayers_ = 0;
};

// mlx_vlm.utils.skip_multimodal_module: module paths convert never quantizes
// unless --quantize-vision.
bool isMultimodalPath(const std::string &modulePath);

} // namespace vlmc::model
