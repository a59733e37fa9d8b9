// Rescale + normalize as transformers' numpy path computes it, as a lookup
// table: an 8-bit input has only 256 possible outputs per channel.
//   rescale:   float32(float64(v) * rescale_factor)
//   normalize: (x - float32(mean)) / float32(std), each step rounded to float32
// Without rescale the uint8 value is cast to float32 first (as normalize does).
#pragma once

#include <array>

namespace vlmc::image::detail {

using ChannelLut = std::array<std::array<float, 256>, 3>;

inline ChannelLut makeNormalizeLut(bool doRescale, double rescaleFactor,
                                   bool doNormalize,
                                   const std::array<double, 3> &mean,
                                   const std::array<double, 3> &stdDev) {
  ChannelLut lut;
  for (int c = 0; c < 3; ++c) {
    const float m = static_cast<float>(mean[c]);
    const float s = static_cast<float>(stdDev[c]);
    for (int v = 0; v < 256; ++v) {
      float x = doRescale
                    ? static_cast<float>(static_cast<double>(v) * rescaleFactor)
                    : static_cast<float>(v);
      if (doNormalize) {
        const float centered = x - m;
        x = centered / s;
      }
      lut[c][v] = x;
    }
  }
  return lut;
}

} // namespace vlmc::image::detail
