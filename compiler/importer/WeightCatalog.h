#ifndef VLMC_COMPILER_IMPORTER_WEIGHTCATALOG_H
#define VLMC_COMPILER_IMPORTER_WEIGHTCATALOG_H

// The tensors a checkpoint holds, under their canonical names. Canonical
// names are MLX-VLM's module paths (`language_model.model.layers.0...`), so
// Hugging Face checkpoints (either prefix layout) and MLX checkpoints written
// by mlx_vlm.convert or vlm-convert resolve to the same graph.

#include "vlmc/io/Safetensors.h"
#include "vlmc/model/ModelConfig.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vlmc::compiler {

struct StoredTensor {
  std::string source;             // the name in the checkpoint
  io::DType dtype = io::DType::kF32;
  std::vector<int64_t> shape;     // as stored
  std::vector<int64_t> permutation; // to PyTorch layout; empty if none
};

class WeightCatalog {
public:
  /// Indexes an opened checkpoint. Tensors the model does not use (rotary
  /// buffers, a tied lm_head) are dropped, as MLX-VLM's sanitize does.
  static Result<WeightCatalog> fromCheckpoint(const io::Checkpoint &checkpoint,
                                              const model::ModelConfig &config);
  /// Answers every lookup with the shape asked for, in `dtype`, and reports
  /// no pre-quantized layers: lets a model compile from its config alone.
  static WeightCatalog synthetic(io::DType dtype);

  bool isSynthetic() const { return synthetic_; }
  const StoredTensor *find(const std::string &canonical) const;
  bool contains(const std::string &canonical) const;
  /// For a synthetic catalog: a tensor of `shape` in the synthetic dtype.
  StoredTensor syntheticTensor(const std::vector<int64_t> &shape) const;

private:
  bool synthetic_ = false;
  io::DType syntheticDType_ = io::DType::kBF16;
  std::map<std::string, StoredTensor> byCanonical_;
};

} // namespace vlmc::compiler

#endif
