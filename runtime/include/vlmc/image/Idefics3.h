// The Idefics3 / SmolVLM image processor (transformers'
// Idefics3ImageProcessorPil) and the processor's image-token expansion.
//
// Steps: resize so the longest edge is size.longest_edge; with splitting,
// resize up to multiples of max_image_size.longest_edge, cut into rows x cols
// tiles (row-major) and append the whole image resized to one tile as the
// global image; without splitting, one square resize. Then rescale and
// normalize, and pad to the largest tile with a pixel mask.
#pragma once

#include "vlmc/image/Image.h"
#include "vlmc/image/Resize.h"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vlmc::image {

// Defaults are Idefics3ImageProcessorPil's / Idefics3Processor's.
struct Idefics3ProcessorConfig {
  int longestEdge = 4 * 364; // size.longest_edge
  int maxImageSize = 364;    // max_image_size.longest_edge (the tile side)
  bool doImageSplitting = true;
  bool doResize = true;
  bool doRescale = true;
  bool doNormalize = true;
  bool doPad = true;
  double rescaleFactor = 1.0 / 255.0;
  std::array<double, 3> imageMean = {0.5, 0.5, 0.5}; // IMAGENET_STANDARD
  std::array<double, 3> imageStd = {0.5, 0.5, 0.5};
  PilFilter resample = PilFilter::kLanczos;
  int imageSeqLen = 169; // <image> tokens per tile (processor_config.json)
};

// Parses one JSON document: the image-processor settings at the top level
// (preprocessor_config.json) or under "image_processor"
// (processor_config.json), and "image_seq_len" at the top level.
Result<Idefics3ProcessorConfig>
parseIdefics3ProcessorConfig(std::string_view json);
// Reads `modelDir`: preprocessor_config.json and/or processor_config.json
// (real SmolVLM keeps the image settings in the first and image_seq_len in
// the second; recent saves put everything in the second).
Result<Idefics3ProcessorConfig>
loadIdefics3ProcessorConfig(const std::string &modelDir);

struct Idefics3Image {
  // pixel_values [tiles, 3, tileSize, tileSize] and pixel_attention_mask
  // [tiles, tileSize, tileSize] (1 = real pixel, 0 = padding).
  std::vector<float> pixelValues;
  std::vector<uint8_t> pixelMask;
  int64_t tiles = 0;
  int tileSize = 0;
  // The split grid: rows x cols tiles + 1 global image, or 0 x 0 when the
  // image is a single tile (no splitting, or small enough).
  int rows = 0;
  int cols = 0;
};

Result<Idefics3Image> processIdefics3(const RgbImage &img,
                                      const Idefics3ProcessorConfig &cfg);

// The text that replaces one "<image>" in the prompt, exactly as
// Idefics3Processor builds it: per tile
// "<fake_token_around_image><row_r_col_c>"
// + imageSeqLen x "<image>", "\n" after each row, then
// "\n<fake_token_around_image><global-img>" + imageSeqLen x "<image>" +
// "<fake_token_around_image>"; for rows == cols == 0 only the global part
// (without the leading "\n").
std::string idefics3ImagePrompt(int rows, int cols, int imageSeqLen);

// Replaces every "<image>" in `text` by idefics3ImagePrompt for the images in
// order; kInvalidArgument when the counts differ.
Result<std::string>
expandIdefics3Prompt(std::string_view text,
                     const std::vector<Idefics3Image> &images, int imageSeqLen);

} // namespace vlmc::image
