#ifndef VLMC_COMPILER_DRIVER_COMPILEDRIVER_H
#define VLMC_COMPILER_DRIVER_COMPILEDRIVER_H

// The whole compile (import -> quantize -> -qa -> target check -> artifact or
// MLIR), for vlm-compile and for tools that compile a checkpoint directory
// in-process (vlm-generate, the Python module). No MLIR types in this header:
// callers need not be compiler code.

#include <string>
#include <vector>

namespace vlmc::compiler {

struct CompileOptions {
  std::string modelDir;
  std::string target = "cuda"; // cuda | cpu
  bool quantizeActivations = false;
  // Weight quantization, with vlm-convert's flags and defaults.
  bool quantize = false;
  std::string qMode = "affine";
  int qBits = 0;      // 0: the mode's default
  int qGroupSize = 0; // 0: the mode's default
  std::string quantPredicate;
  bool quantizeVision = false;
  bool nvfp4GlobalScale = false;
  bool syntheticWeights = false;
  // Activations and float weights: f32, f16 or bf16; empty picks the
  // target's (bf16 on cuda, f32 on cpu).
  std::string computeType;
  std::string emit = "artifact"; // artifact | mlir
  // Archs ("sm_90a", "sm_86", ...) to precompile every kernel for with NVRTC
  // and embed in the artifact (cuda target, artifact only). Each is named as
  // the runtime names a device's arch: the "a" suffix from sm_90 on.
  std::vector<std::string> cudaArchs;
  // vlm-fuse-ops: residual add + RMSNorm and activation · mul as one op each.
  bool fuseOps = true;
  bool hiddenStates = false;     // @prefill also returns the hidden states
  bool progress = false;
};

/// Compiles to `output` ("-" writes MLIR to stdout). Written atomically. On
/// failure returns false with the diagnostics in `error`.
bool compileModel(const CompileOptions &options, const std::string &output,
                  std::string *error);

} // namespace vlmc::compiler

#endif
