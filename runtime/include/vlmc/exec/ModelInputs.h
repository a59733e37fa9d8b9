// The inputs a model's graph takes besides tokens and pixels, computed on the
// host from the image grids and the prompt: what transformers computes in
// Python around the network (Qwen's rot_pos_emb, get_window_index and
// get_rope_index; Idefics3's patch positions).
#pragma once

#include "vlmc/model/ModelConfig.h"
#include "vlmc/support/Status.h"

#include <cstdint>
#include <vector>

namespace vlmc::exec {

// One image's patch grid as Qwen's processor reports it (image_grid_thw):
// t frames of h x w patches.
struct QwenGrid {
  int64_t t = 1, h = 0, w = 0;
};

struct QwenVisionInputs {
  std::vector<int32_t> ropePositions; // [2, N]: patch row, then patch column
  std::vector<int32_t> imageSegments; // cu_seqlens over frames: [0, ..., N]
  // Qwen2.5-VL window attention (empty for Qwen2-VL).
  std::vector<int32_t> windowIndex;   // merge-unit permutation into window order
  std::vector<int32_t> windowSegments; // cu_seqlens over windows (deduplicated)
  std::vector<int32_t> windowReverseIndex; // argsort(windowIndex)
  int64_t numPatches = 0;
};

Result<QwenVisionInputs> qwenVisionInputs(const model::VisionConfig &vision,
                                          const std::vector<QwenGrid> &grids,
                                          bool windowAttention);

// M-RoPE position ids [3, L] for a prompt (get_rope_index): text runs count
// up on all three streams; an image's tokens take (t, row, col) of its merged
// grid offset by the position before it. `ropeDelta` is what decode steps add
// to the cache position.
struct QwenRopeIndex {
  std::vector<int32_t> positions; // [3, L]
  int64_t ropeDelta = 0;
};
Result<QwenRopeIndex> qwenRopeIndex(const std::vector<int32_t> &ids, int64_t imageTokenId,
                                    const std::vector<QwenGrid> &grids,
                                    int64_t spatialMergeSize);

} // namespace vlmc::exec
