// Images to vision-encoder inputs with the model's own image processor (the
// config embedded in the artifact): what the generator does before it
// expands the prompt's image placeholders, shared with vlm-bench.
#pragma once

#include "vlmc/exec/Model.h"
#include "vlmc/image/Idefics3.h"
#include "vlmc/image/Image.h"
#include "vlmc/support/Status.h"

#include <cstdint>
#include <vector>

namespace vlmc::generate {

struct PreparedImages {
  std::vector<exec::ImageInput> inputs;
  // Per image: the rows the vision encoder produces for it, i.e. how many
  // image tokens the prompt must hold for it.
  std::vector<int64_t> imageTokens;
  // Idefics3 only: the tile grids and image_seq_len, for the prompt text.
  std::vector<image::Idefics3Image> idefics3;
  int imageSeqLen = 0;
};

Result<PreparedImages> prepareImages(const exec::Model &model,
                                     const std::vector<image::RgbImage> &images);

} // namespace vlmc::generate
