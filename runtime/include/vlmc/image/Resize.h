// Pillow's Image.resize for 8-bit images, reproduced bit for bit.
//
// Pillow (libImaging/Resample.c) resizes separably: precomputed filter
// weights per output pixel (support scaled by the reduction factor when
// shrinking, i.e. antialiased), normalized to sum 1, turned into 22-bit fixed
// point; a horizontal pass first, rounded and clamped to uint8, then a
// vertical pass over that intermediate. A pass is skipped when its dimension
// does not change, and an unchanged size is a plain copy. We do the same
// arithmetic in the same order, so the uint8 results are identical.
#pragma once

#include "vlmc/image/Image.h"

namespace vlmc::image {

// PIL.Image.Resampling values (what "resample" holds in processor configs).
// NEAREST (0) goes through a different code path in Pillow and is not
// supported here.
enum class PilFilter : int {
  kLanczos = 1,
  kBilinear = 2,
  kBicubic = 3,
  kBox = 4,
  kHamming = 5,
};

// Maps a config's "resample" integer; kUnimplemented for NEAREST or unknown.
Result<PilFilter> pilFilterFromInt(int resample);

// Resizes to width x height (both >= 1). kInvalidArgument for an empty input
// or a non-positive or too large target.
Result<RgbImage> resizePil(const RgbImage &img, int width, int height,
                           PilFilter filter);
Result<RgbImage> resizeBicubicPil(const RgbImage &img, int width, int height);
Result<RgbImage> resizeLanczosPil(const RgbImage &img, int width, int height);

} // namespace vlmc::image
