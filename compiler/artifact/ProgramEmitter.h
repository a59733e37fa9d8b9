#ifndef VLMC_COMPILER_ARTIFACT_PROGRAMEMITTER_H
#define VLMC_COMPILER_ARTIFACT_PROGRAMEMITTER_H

// Lowers a compiled `vlm` module to the artifact's program: one Function per
// entry point, its values and ops, and the table of weights the ops read.
// Weights are described (where their bytes come from and what to do to them),
// not loaded: the writer materializes them one at a time.

#include "compiler/codegen/Codegen.h"
#include "vlmc/artifact/vlmc_generated.h"
#include "vlmc/quant/Quant.h"

#include "mlir/IR/BuiltinOps.h"

#include <optional>
#include <string>
#include <vector>

namespace vlmc::compiler {

/// How one artifact tensor is made from the checkpoint.
struct WeightRecipe {
  std::string name;   // the parameter key (unique per recipe)
  std::string source; // checkpoint tensor name
  std::vector<int64_t> permutation;
  std::optional<std::pair<int64_t, int64_t>> rows;
  fb::DType dtype = fb::DType::F32; // stored element type
  std::vector<int64_t> shape;       // stored shape
  // Quantized parts: the layer spec, which part ("weight", "scales", "biases"
  // or "global_scale"), and the float type the source is cast to first (as
  // vlm-convert casts to the model dtype before quantizing).
  std::optional<quant::QuantSpec> quantize;
  std::string part;
  quant::DType quantizeFrom = quant::DType::kF32;
};

struct EmittedProgram {
  std::vector<flatbuffers::Offset<fb::Function>> functions;
  std::vector<WeightRecipe> weights;
  // CUDA target: one kernel per distinct op specialization, in the order of
  // the ops' kernel indices.
  std::vector<codegen::KernelSource> kernels;
  // CUDA target: the ArgMax kernel over the decode step's logits rows
  // (Artifact.greedy_kernel); -1 without one.
  int32_t greedyKernel = -1;
  // CUDA target: the Sample kernel over the same logits
  // (Artifact.sample_kernel); -1 without one.
  int32_t sampleKernel = -1;
};

/// Fails (with a diagnostic on the offending op) on ops or types the
/// artifact cannot express. For the cuda target every op gets its
/// generated kernel.
mlir::FailureOr<EmittedProgram> emitProgram(mlir::ModuleOp module,
                                            flatbuffers::FlatBufferBuilder &fbb,
                                            bool cudaKernels);

} // namespace vlmc::compiler

#endif
