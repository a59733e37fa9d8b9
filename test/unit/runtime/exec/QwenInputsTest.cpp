// Host-side inputs of the Qwen graphs, against values worked out by hand from
// transformers' rot_pos_emb, get_window_index and get_rope_index.
#include "vlmc/exec/ModelInputs.h"

#include <gtest/gtest.h>

namespace vlmc::exec {
namespace {

model::VisionConfig qwenVision() {
  model::VisionConfig v;
  v.spatialMergeSize = 2;
  v.patchSize = 14;
  v.windowSize = 112; // 4 merge units per window side
  return v;
}

TEST(QwenInputsTest, RopePositionsFollowMergeWindowOrder) {
  Result<QwenVisionInputs> in = qwenVisionInputs(qwenVision(), {{1, 2, 4}}, false);
  ASSERT_TRUE(in.isOk()) << in.status().message();
  // Two merge units side by side: (rows, cols) of their 2x2 blocks.
  std::vector<int32_t> rows = {0, 0, 1, 1, 0, 0, 1, 1};
  std::vector<int32_t> cols = {0, 1, 0, 1, 2, 3, 2, 3};
  std::vector<int32_t> want = rows;
  want.insert(want.end(), cols.begin(), cols.end());
  EXPECT_EQ(in->ropePositions, want);
  EXPECT_EQ(in->imageSegments, (std::vector<int32_t>{0, 8}));
  EXPECT_TRUE(in->windowIndex.empty());
}

TEST(QwenInputsTest, FramesAndImagesEachStartASegment) {
  Result<QwenVisionInputs> in = qwenVisionInputs(qwenVision(), {{2, 2, 2}, {1, 4, 2}}, false);
  ASSERT_TRUE(in.isOk());
  EXPECT_EQ(in->imageSegments, (std::vector<int32_t>{0, 4, 8, 16}));
  EXPECT_EQ(in->numPatches, 16);
}

TEST(QwenInputsTest, WindowIndexGroupsMergeUnitsByWindow) {
  // A 2 x 6 grid of merge units, windows of 4 x 4 units: the first window
  // takes columns 0-3 of both rows, the second columns 4-5.
  Result<QwenVisionInputs> in = qwenVisionInputs(qwenVision(), {{1, 4, 12}}, true);
  ASSERT_TRUE(in.isOk()) << in.status().message();
  EXPECT_EQ(in->windowIndex, (std::vector<int32_t>{0, 1, 2, 3, 6, 7, 8, 9, 4, 5, 10, 11}));
  EXPECT_EQ(in->windowSegments, (std::vector<int32_t>{0, 32, 48}));
  for (size_t i = 0; i < in->windowIndex.size(); ++i)
    EXPECT_EQ(in->windowReverseIndex[size_t(in->windowIndex[i])], int32_t(i));
  // Merge unit 6 (row 1, col 0) comes fifth: its patches are rows 2-3, cols 0-1.
  const size_t n = 48, fifth = 4 * 4;
  EXPECT_EQ(in->ropePositions[fifth], 2);
  EXPECT_EQ(in->ropePositions[n + fifth + 1], 1);
}

TEST(QwenInputsTest, RopeIndexSpreadsImageTokensOverTheMergedGrid) {
  const int32_t img = 99;
  std::vector<int32_t> ids = {5, 6, img, img, img, img, 7};
  Result<QwenRopeIndex> r = qwenRopeIndex(ids, img, {{1, 4, 4}}, 2);
  ASSERT_TRUE(r.isOk()) << r.status().message();
  std::vector<int32_t> t = {0, 1, 2, 2, 2, 2, 4};
  std::vector<int32_t> h = {0, 1, 2, 2, 3, 3, 4};
  std::vector<int32_t> w = {0, 1, 2, 3, 2, 3, 4};
  std::vector<int32_t> want = t;
  want.insert(want.end(), h.begin(), h.end());
  want.insert(want.end(), w.begin(), w.end());
  EXPECT_EQ(r->positions, want);
  EXPECT_EQ(r->ropeDelta, 5 - 7);
}

TEST(QwenInputsTest, RopeIndexOfTextIsArange) {
  Result<QwenRopeIndex> r = qwenRopeIndex({1, 2, 3}, 99, {}, 2);
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ(r->positions, (std::vector<int32_t>{0, 1, 2, 0, 1, 2, 0, 1, 2}));
  EXPECT_EQ(r->ropeDelta, 0);
}

TEST(QwenInputsTest, MismatchedImagesAreErrors) {
  EXPECT_FALSE(qwenRopeIndex({99, 99}, 99, {}, 2).isOk());
  EXPECT_FALSE(qwenRopeIndex({1, 99}, 99, {{1, 4, 4}}, 2).isOk()); // needs 4 tokens
  EXPECT_FALSE(qwenRopeIndex({1, 2}, 99, {{1, 2, 2}}, 2).isOk());  // image not in prompt
  EXPECT_FALSE(qwenVisionInputs(qwenVision(), {{1, 3, 4}}, false).isOk());
}

} // namespace
} // namespace vlmc::exec
