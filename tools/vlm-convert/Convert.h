// vlm-convert: the C++ counterpart of `mlx_vlm.convert`. Reads an HF
// checkpoint directory and writes a directory MLX-VLM loads (renamed tensors,
// optional quantization, MLX config.json), or dequantizes an MLX checkpoint.
#pragma once

#include "vlmc/support/Status.h"

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace vlmc::convert {

struct ConvertOptions {
  std::string hfPath;  // source directory
  std::string mlxPath; // destination directory (must not exist unless force)
  bool quantize = false;
  bool dequantize = false;
  std::optional<int> bits;      // default: the mode's default
  std::optional<int> groupSize; // default: the mode's default
  std::string mode = "affine";  // affine | mxfp4 | mxfp8 | nvfp4
  std::string quantPredicate;   // "" or mixed_L_H
  std::string dtype;            // "" | float16 | bfloat16 | float32
  bool quantizeVision = false;  // vlmc extension: also quantize vision/projector
  bool nvfp4GlobalScale = false; // vlmc extension: two-level nvfp4
  bool force = false;
  // Progress bar target (nullptr = none). The CLI passes stderr when it is a
  // TTY.
  std::ostream *progress = nullptr;
  int numThreads = 0;
};

struct ConvertSummary {
  // "affine 4-bit g64" -> number of layers
  std::map<std::string, int> quantizedLayers;
  // Linear/Embedding layers left in float because their input dim is not a
  // multiple of the group size (MLX-VLM skips them silently).
  std::vector<std::string> notDivisible;
  int dequantizedLayers = 0;
  int tensorsWritten = 0;
  std::vector<std::string> dropped; // source tensors not carried over
  uint64_t bytesIn = 0, bytesOut = 0;
  double bitsPerWeight = 0; // as mlx_vlm's compute_bits_per_weight
  double seconds = 0;

  // One human-readable line.
  std::string line() const;
};

// Runs the whole conversion. On error nothing is left at mlxPath (an existing
// directory is untouched) and the Status names the file and tensor involved.
Result<ConvertSummary> convert(const ConvertOptions &options);

} // namespace vlmc::convert
