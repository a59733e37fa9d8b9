// The Qwen2-VL / Qwen2.5-VL image processor (transformers'
// Qwen2VLImageProcessorPil): smart_resize to multiples of patch*merge, PIL
// resize, rescale + normalize in float32 exactly as numpy does, the still
// image repeated to temporal_patch_size frames, and the patches flattened in
// 2x2-merge-window order.
#pragma once

#include "vlmc/image/Image.h"
#include "vlmc/image/Resize.h"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vlmc::image {

// Defaults are Qwen2VLImageProcessorPil's.
struct QwenProcessorConfig {
  int64_t minPixels = 56 * 56;
  int64_t maxPixels = 28 * 28 * 1280;
  int patchSize = 14;
  int temporalPatchSize = 2;
  int mergeSize = 2;
  // OPENAI_CLIP_MEAN / OPENAI_CLIP_STD. Kept as the JSON's doubles; numpy
  // casts them to float32 before use and so do we.
  std::array<double, 3> imageMean = {0.48145466, 0.4578275, 0.40821073};
  std::array<double, 3> imageStd = {0.26862954, 0.26130258, 0.27577711};
  double rescaleFactor = 1.0 / 255.0;
  bool doResize = true;
  bool doRescale = true;
  bool doNormalize = true;
  PilFilter resample = PilFilter::kBicubic;
};

// Parses preprocessor_config.json (settings at the top level) or
// processor_config.json (settings under "image_processor"). Pixel limits come
// from "min_pixels"/"max_pixels" when present (they override, as in
// transformers), else from size.shortest_edge/longest_edge (legacy
// size.min_pixels/max_pixels are accepted too).
Result<QwenProcessorConfig> parseQwenProcessorConfig(std::string_view json);
// Reads preprocessor_config.json from `modelDir`, or processor_config.json
// when the former is absent.
Result<QwenProcessorConfig>
loadQwenProcessorConfig(const std::string &modelDir);

struct QwenSize {
  int height = 0;
  int width = 0;
};

// transformers' smart_resize: both sides multiples of `factor`, area within
// [minPixels, maxPixels], aspect ratio kept as well as possible. Python's
// round-half-even and float64 arithmetic are reproduced. kInvalidArgument
// for non-positive sides, an aspect ratio over 200 (as transformers) or
// invalid limits.
Result<QwenSize> smartResize(int height, int width, int factor,
                             int64_t minPixels, int64_t maxPixels);

// image_grid_thw: t frames of patches, h x w patches.
struct QwenImageGrid {
  int64_t t = 0;
  int64_t h = 0;
  int64_t w = 0;
};

struct QwenImage {
  // pixel_values [patches, patchDim] row-major; patches = t*h*w and
  // patchDim = C * temporalPatchSize * patchSize^2 (1176 for Qwen2-VL).
  std::vector<float> pixelValues;
  int64_t patches = 0;
  int64_t patchDim = 0;
  QwenImageGrid grid;
  QwenSize resized; // the image size after smart_resize
  // Number of <|image_pad|> tokens the processor expands the image into.
  int64_t numImageTokens = 0;
};

Result<QwenImage> processQwen(const RgbImage &img,
                              const QwenProcessorConfig &cfg);

} // namespace vlmc::image
