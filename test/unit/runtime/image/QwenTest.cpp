// Qwen2-VL / Qwen2.5-VL image processor: the fixtures' pixel_values and
// image_grid_thw (transformers' Qwen2VLImageProcessorPil), smart_resize edge
// cases and config parsing.
#include "TestUtil.h"
#include "vlmc/image/Qwen.h"

#include <cmath>

using namespace vlmc;
using namespace vlmc::image;
using namespace vlmc::image::testing;

namespace {

struct QwenCase {
  const char *fixture;
  const char *image;
};

class ImageQwenFixture : public ::testing::TestWithParam<QwenCase> {};

TEST_P(ImageQwenFixture, MatchesTransformers) {
  const QwenCase &c = GetParam();
  const std::string dir = dataPath(c.fixture);
  Result<QwenProcessorConfig> cfg = loadQwenProcessorConfig(dir);
  ASSERT_TRUE(cfg.isOk()) << cfg.status().message();
  EXPECT_EQ(cfg->minPixels, 3136);
  EXPECT_EQ(cfg->maxPixels, 31360);

  RgbImage img = mustDecode(std::string("images/") + c.image + ".png");
  Result<QwenImage> q = processQwen(img, *cfg);
  ASSERT_TRUE(q.isOk()) << q.status().message();

  Result<io::SafetensorsFile> ref = io::SafetensorsFile::open(
      dir + "/ref_img_" + (std::string(c.image) == "astronaut" ? "astronaut"
                                                               : "chelsea") +
      ".safetensors");
  ASSERT_TRUE(ref.isOk()) << ref.status().message();
  std::vector<int64_t> shape;
  std::vector<float> want = tensorAs<float>(*ref, "pixel_values", &shape);
  std::vector<int64_t> grid = tensorAs<int64_t>(*ref, "image_grid_thw");
  ASSERT_EQ(grid.size(), 3u);
  EXPECT_EQ(q->grid.t, grid[0]);
  EXPECT_EQ(q->grid.h, grid[1]);
  EXPECT_EQ(q->grid.w, grid[2]);
  ASSERT_EQ(shape.size(), 2u);
  EXPECT_EQ(q->patches, shape[0]);
  EXPECT_EQ(q->patchDim, shape[1]);
  const double diff = maxAbsDiff(q->pixelValues, want);
  std::printf("[%s %s] max |ours - transformers| = %g over %zu values\n",
              c.fixture, c.image, diff, want.size());
  EXPECT_LE(diff, 1e-6);
  EXPECT_EQ(q->numImageTokens, grid[0] * grid[1] * grid[2] / 4);
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, ImageQwenFixture,
    ::testing::Values(QwenCase{"qwen2vl-tiny", "chelsea"},
                      QwenCase{"qwen2vl-tiny", "astronaut"},
                      QwenCase{"qwen2_5vl-tiny", "chelsea"},
                      QwenCase{"qwen2_5vl-tiny", "astronaut"}),
    [](const ::testing::TestParamInfo<QwenCase> &info) {
      std::string n = std::string(info.param.fixture) + "_" + info.param.image;
      for (char &ch : n)
        if (!std::isalnum(static_cast<unsigned char>(ch)))
          ch = '_';
      return n;
    });

} // namespace
