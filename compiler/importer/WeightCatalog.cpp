#include "compiler/importer/WeightCatalog.h"

#include "vlmc/model/MlxNaming.h" // HF -> MLX naming (mlx-vlm sanitize)

namespace vlmc::compiler {

Result<WeightCatalog> WeightCatalog::fromCheckpoint(const io::Checkpoint &checkpoint,
                                                    const model::ModelConfig &config) {
  WeightCatalog catalog;
  for (const model::SourceTensor &source : model::sourceTensors(checkpoint)) {
    const std::string &name = source.name;
    const io::TensorView *view = checkpoint.find(source.storedAs);
    std::optional<model::NameMapping> mapped =
        model::mapName(config, name, view->shape);
    if (!mapped)
      continue;
    StoredTensor tensor{source.storedAs, view->dtype, view->shape, {}};
    // mapName transposes PyTorch conv weights to MLX's channels-last layout;
    // when it leaves a conv weight alone, the stored tensor is already
    // channels-last and the graph (which wants PyTorch order) permutes back.
    bool channelsLast = mapped->transpose.empty();
    if (channelsLast && name.find("patch_embed.proj.weight") != std::string::npos &&
        view->shape.size() == 5)
      tensor.permutation = {0, 4, 1, 2, 3};
    else if (channelsLast &&
             name.find("patch_embedding.weight") != std::string::npos &&
             view->shape.size() == 4)
      tensor.permutation = {0, 3, 1, 2};
    auto [it, inserted] = catalog.byCanonical_.emplace(mapped->mlxName, tensor);
    // A metadata alias never overrides a stored tensor.
    if (!inserted && source.storedAs == name)
      return invalidArgument(checkpoint.fileOf(name) + ": tensors '" +
                             it->second.source + "' and '" + name +
                             "' both map to " + mapped->mlxName);
  }
  // Tied embeddings stored only as lm_head without a metadata alias: the
  // embedding table is lm_head's weight.
  std::string embed = model::textModelPrefix(config.family) + "embed_tokens.weight";
  if (!catalog.contains(embed)) {
    for (const char *alias : {"lm_head.weight", "language_model.lm_head.weight"})
      if (const io::TensorView *view = checkpoint.find(alias)) {
        catalog.byCanonical_[embed] = {alias, view->dtype, view->shape, {}};
        break;
      }
  }
  return catalog;
}

WeightCatalog WeightCatalog::synthetic(io::DType dtype) {
  WeightCatalog catalog;
  catalog.synthetic_ = true;
  catalog.syntheticDType_ = dtype;
  return catalog;
}

const StoredTensor *WeightCatalog::find(const std::string &canonical) const {
  auto it = byCanonical_.find(canonical);
  return it == byCanonical_.end() ? nullptr : &it->second;
}

bool WeightCatalog::contains(const std::string &canonical) const {
  return byCanonical_.count(canonical) != 0;
}

StoredTensor WeightCatalog::syntheticTensor(const std::vector<int64_t> &shape) const {
  return StoredTensor{"", syntheticDType_, shape, {}};
}

} // namespace vlmc::compiler
