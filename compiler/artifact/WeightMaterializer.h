#ifndef VLMC_COMPILER_ARTIFACT_WEIGHTMATERIALIZER_H
#define VLMC_COMPILER_ARTIFACT_WEIGHTMATERIALIZER_H

// Turns a WeightRecipe into the bytes the artifact stores: reads the source
// tensor from the checkpoint, permutes it, takes its row range, casts it and,
// for quantized parts, quantizes it with the MLX-exact numerics library (the
// same code vlm-convert uses). One tensor in memory at a time; the three
// parts of a quantized layer share one quantization.

#include "compiler/artifact/ProgramEmitter.h"
#include "vlmc/io/Safetensors.h"

#include <cstdint>
#include <vector>

namespace vlmc::compiler {

size_t elementSize(fb::DType dtype);

class WeightMaterializer {
public:
  /// Synthetic weights never come here: the runtime generates them at load.
  explicit WeightMaterializer(const io::Checkpoint &checkpoint) : checkpoint(checkpoint) {}

  /// The stored bytes of `recipe` (numel(shape) * elementSize(dtype)).
  Result<std::vector<uint8_t>> materialize(const WeightRecipe &recipe);

private:
  // The float values of the source after permutation and row slicing, in
  // row-major order of the declared (possibly flattened) shape.
  Result<std::vector<float>> sourceFloats(const WeightRecipe &recipe,
                                          const std::vector<int64_t> &logicalShape);
  Result<std::vector<uint8_t>> rawSlice(const WeightRecipe &recipe,
                                        const io::TensorView &view);
  Result<std::vector<uint8_t>> quantizedPart(const WeightRecipe &recipe);

  const io::Checkpoint &checkpoint;
  // The last quantized layer, so .weight/.scales/.biases quantize once.
  std::string cachedKey;
  quant::QuantizedMatrix cached;
  float cachedGlobalScale = 0;
};

} // namespace vlmc::compiler

#endif
