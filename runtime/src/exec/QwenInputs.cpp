#include "vlmc/exec/ModelInputs.h"

#include <algorithm>
#include <numeric>

namespace vlmc::exec {

namespace {

Status checkGrid(const QwenGrid &g, int64_t merge) {
  if (g.t <= 0 || g.h <= 0 || g.w <= 0 || g.h % merge != 0 || g.w % merge != 0)
    return invalidArgument("image grid (" + std::to_string(g.t) + ", " + std::to_string(g.h) +
                           ", " + std::to_string(g.w) + ") must be positive with h and w "
                           "multiples of the merge size " + std::to_string(merge));
  return Status::ok();
}

// Qwen2.5-VL's get_window_index for one image, appended to the outputs.
void appendWindows(const QwenGrid &g, int64_t merge, int64_t windowUnits, int64_t unitOffset,
                   std::vector<int32_t> &windowIndex, std::vector<int32_t> &cuWindows) {
  int64_t gh = g.h / merge, gw = g.w / merge;
  int64_t padH = windowUnits - gh % windowUnits, padW = windowUnits - gw % windowUnits;
  int64_t windowsH = (gh + padH) / windowUnits, windowsW = (gw + padW) / windowUnits;
  for (int64_t t = 0; t < g.t; ++t)
    for (int64_t wy = 0; wy < windowsH; ++wy)
      for (int64_t wx = 0; wx < windowsW; ++wx) {
        int64_t count = 0;
        for (int64_t y = wy * windowUnits; y < (wy + 1) * windowUnits; ++y)
          for (int64_t x = wx * windowUnits; x < (wx + 1) * windowUnits; ++x)
            if (y < gh && x < gw) {
              windowIndex.push_back(int32_t(unitOffset + (t * gh + y) * gw + x));
              ++count;
            }
        // Empty (all-padding) windows repeat the boundary; deduplicated below
        // as unique_consecutive does.
        int32_t next = cuWindows.back() + int32_t(count * merge * merge);
        if (next != cuWindows.back())
          cuWindows.push_back(next);
      }
}

} // namespace

Result<QwenVisionInputs> qwenVisionInputs(const model::VisionConfig &vision,
                                          const std::vector<QwenGrid> &grids,
                                          bool windowAttention) {
  int64_t merge = vision.spatialMergeSize;
  if (merge <= 0)
    return invalidArgument("the vision config has no spatial_merge_size");
  QwenVisionInputs in;
  std::vector<int32_t> rows, cols;
  in.imageSegments.push_back(0);
  for (const QwenGrid &g : grids) {
    VLMC_RETURN_IF_ERROR(checkGrid(g, merge));
    // Patches come in merge-window order: merged row, merged column, then the
    // merge x merge block row-major (the processor's flattening).
    for (int64_t t = 0; t < g.t; ++t) {
      for (int64_t by = 0; by < g.h / merge; ++by)
        for (int64_t bx = 0; bx < g.w / merge; ++bx)
          for (int64_t dy = 0; dy < merge; ++dy)
            for (int64_t dx = 0; dx < merge; ++dx) {
              rows.push_back(int32_t(by * merge + dy));
              cols.push_back(int32_t(bx * merge + dx));
            }
      in.imageSegments.push_back(in.imageSegments.back() + int32_t(g.h * g.w));
    }
  }
  in.numPatches = int64_t(rows.size());

  if (windowAttention) {
    int64_t unit = merge * merge;
    int64_t windowUnits = vision.windowSize / merge / vision.patchSize;
    if (windowUnits <= 0)
      return invalidArgument("window_size " + std::to_string(vision.windowSize) +
                             " is smaller than a merge unit");
    in.windowSegments.push_back(0);
    int64_t unitOffset = 0;
    for (const QwenGrid &g : grids) {
      appendWindows(g, merge, windowUnits, unitOffset, in.windowIndex, in.windowSegments);
      unitOffset += g.t * (g.h / merge) * (g.w / merge);
    }
    in.windowReverseIndex.resize(in.windowIndex.size());
    for (size_t i = 0; i < in.windowIndex.size(); ++i)
      in.windowReverseIndex[size_t(in.windowIndex[i])] = int32_t(i);
    // The RoPE positions follow the patches into window order.
    std::vector<int32_t> r2, c2;
    for (int32_t u : in.windowIndex)
      for (int64_t k = 0; k < unit; ++k) {
        r2.push_back(rows[size_t(u * unit + k)]);
        c2.push_back(cols[size_t(u * unit + k)]);
      }
    rows.swap(r2);
    cols.swap(c2);
  }
  in.ropePositions = rows;
  in.ropePositions.insert(in.ropePositions.end(), cols.begin(), cols.end());
  return in;
}

Result<QwenRopeIndex> qwenRopeIndex(const std::vector<int32_t> &ids, int64_t imageTokenId,
                                    const std::vector<QwenGrid> &grids,
                                    int64_t spatialMergeSize) {
  int64_t n = int64_t(ids.size());
  const size_t count = static_cast<size_t>(n);
  std::vector<int32_t> t(count), h(count), w(count);
  int64_t next = 0; // the next free position (max so far + 1)
  size_t image = 0;
  for (int64_t i = 0; i < n;) {
    if (ids[size_t(i)] != imageTokenId) {
      t[size_t(i)] = h[size_t(i)] = w[size_t(i)] = int32_t(next++);
      ++i;
      continue;
    }
    if (image >= grids.size())
      return invalidArgument("the prompt has more image placeholders than images (" +
                             std::to_string(grids.size()) + ")");
    const QwenGrid &g = grids[image++];
    int64_t gh = g.h / spatialMergeSize, gw = g.w / spatialMergeSize;
    int64_t tokens = g.t * gh * gw;
    if (i + tokens > n)
      return invalidArgument("image " + std::to_string(image - 1) + " needs " +
                             std::to_string(tokens) + " image tokens but the prompt ends first");
    int64_t maxPos = next;
    for (int64_t k = 0; k < tokens; ++k) {
      int64_t ti = k / (gh * gw), hi = (k / gw) % gh, wi = k % gw;
      size_t at = size_t(i + k);
      t[at] = int32_t(next + ti);
      h[at] = int32_t(next + hi);
      w[at] = int32_t(next + wi);
      maxPos = std::max({maxPos, next + ti, next + hi, next + wi});
    }
    next = maxPos + 1;
    i += tokens;
  }
  if (image != grids.size())
    return invalidArgument("the prompt has " + std::to_string(image) +
                           " image placeholder runs but " + std::to_string(grids.size()) +
                           " images were given");
  QwenRopeIndex out;
  out.positions = t;
  out.positions.insert(out.positions.end(), h.begin(), h.end());
  out.positions.insert(out.positions.end(), w.begin(), w.end());
  out.ropeDelta = next - n;
  return out;
}

} // namespace vlmc::exec
