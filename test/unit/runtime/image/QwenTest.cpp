// Qwen2-VL / Qwen2.5-VL image processor: the fixtures' pixel_values and
// image_grid_thw (transformers' Qwen2VLImageProcessorPil), smart_resize edge
// cases and config parsing.
#include "vlmc/image/Qwen.h"
#include "TestUtil.h"

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
      dir + "/ref_img_" +
      (std::string(c.image) == "astronaut" ? "astronaut" : "chelsea") +
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

namespace {

// Expected values from transformers' smart_resize run in Python.
TEST(ImageQwenSmartResize, MatchesPython) {
  struct Case {
    int h, w;
    int64_t minPx, maxPx;
    int wantH, wantW;
  } cases[] = {
      {300, 451, 3136, 1003520, 308, 448}, // skimage chelsea, default limits
      {300, 451, 3136, 31360, 140, 196},   // the fixture's limits
      {512, 512, 3136, 31360, 168, 168},
      {1080, 1920, 3136, 1003520, 728, 1316},
      {4000, 3000, 3136, 1003520, 1148, 840},
      // Python's round() is half-to-even: 2.5 -> 2, 3.5 -> 4, 1.5 -> 2.
      {70, 70, 0, 1003520, 56, 56},
      {98, 98, 0, 1003520, 112, 112},
      {42, 42, 0, 1003520, 56, 56},
      // Tiny images are scaled up to min_pixels (older transformers refused
      // sides below the factor; current versions accept them).
      {1, 1, 3136, 1003520, 56, 56},
      {10, 10, 3136, 1003520, 56, 56},
      {13, 29, 3136, 1003520, 56, 84},
      // Extreme but allowed aspect ratios; a side never drops below one
      // factor, even if that overshoots max_pixels (as transformers does).
      {1, 200, 3136, 1003520, 28, 812},
      {200, 1, 3136, 1003520, 812, 28},
      {15, 3000, 3136, 1003520, 28, 2996},
      {28, 5000, 3136, 31360, 28, 2352},
      {3000, 15, 3136, 31360, 2492, 28},
  };
  for (const Case &c : cases) {
    Result<QwenSize> s = smartResize(c.h, c.w, 28, c.minPx, c.maxPx);
    ASSERT_TRUE(s.isOk()) << c.h << "x" << c.w << ": " << s.status().message();
    EXPECT_EQ(s->height, c.wantH) << c.h << "x" << c.w;
    EXPECT_EQ(s->width, c.wantW) << c.h << "x" << c.w;
  }
}

TEST(ImageQwenSmartResize, Errors) {
  // transformers raises "absolute aspect ratio must be smaller than 200".
  Result<QwenSize> s = smartResize(1, 201, 28, 3136, 1003520);
  ASSERT_FALSE(s.isOk());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("aspect ratio"), std::string::npos);
  EXPECT_FALSE(smartResize(5000, 20, 28, 3136, 1003520).isOk());
  EXPECT_FALSE(smartResize(0, 10, 28, 3136, 1003520).isOk());
  EXPECT_FALSE(smartResize(10, -1, 28, 3136, 1003520).isOk());
  EXPECT_FALSE(smartResize(10, 10, 0, 3136, 1003520).isOk());
  // processQwen passes the error on instead of producing a bogus grid.
  QwenProcessorConfig cfg;
  RgbImage strip(402, 2);
  Result<QwenImage> q = processQwen(strip, cfg);
  ASSERT_FALSE(q.isOk());
  EXPECT_EQ(q.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(processQwen(RgbImage(), cfg).isOk());
}

// Each 14x14 patch of a 56x28 image (2 x 4 patches) gets its own value; the
// rows must come in merge-window order and each row must hold channel-major
// blocks of the two (identical) frames.
TEST(ImageQwenProcess, PatchOrder) {
  RgbImage img(56, 28);
  for (int y = 0; y < 28; ++y)
    for (int x = 0; x < 56; ++x) {
      uint8_t *p = img.at(x, y);
      const int patch = (y / 14) * 4 + x / 14;
      p[0] = static_cast<uint8_t>(patch * 10);
      p[1] = static_cast<uint8_t>(patch * 10 + 1);
      p[2] = static_cast<uint8_t>(y * 8 + x % 14); // varies inside the patch
    }
  QwenProcessorConfig cfg;
  cfg.doResize = false;
  cfg.doNormalize = false;
  cfg.doRescale = false;
  Result<QwenImage> q = processQwen(img, cfg);
  ASSERT_TRUE(q.isOk()) << q.status().message();
  EXPECT_EQ(q->grid.t, 1);
  EXPECT_EQ(q->grid.h, 2);
  EXPECT_EQ(q->grid.w, 4);
  ASSERT_EQ(q->patches, 8);
  ASSERT_EQ(q->patchDim, 1176);
  EXPECT_EQ(q->numImageTokens, 2);
  // Window (0,0) holds patches 0,1,4,5; window (0,1) holds 2,3,6,7.
  const int order[8] = {0, 1, 4, 5, 2, 3, 6, 7};
  for (int r = 0; r < 8; ++r) {
    const float *row = &q->pixelValues[r * 1176];
    const int patch = order[r];
    for (int t = 0; t < 2; ++t) {
      EXPECT_EQ(row[(0 * 2 + t) * 196], patch * 10) << r;
      EXPECT_EQ(row[(1 * 2 + t) * 196 + 195], patch * 10 + 1) << r;
      // Channel 2 at (py, px) = (3, 5) of the patch.
      const int py = 3, px = 5, y = (patch / 4) * 14 + py;
      EXPECT_EQ(row[(2 * 2 + t) * 196 + py * 14 + px],
                static_cast<uint8_t>(y * 8 + px))
          << r;
    }
  }
}

TEST(ImageQwenProcess, NoResizeNeedsMultiples) {
  QwenProcessorConfig cfg;
  cfg.doResize = false;
  EXPECT_FALSE(processQwen(RgbImage(57, 28), cfg).isOk());
  Result<QwenImage> q = processQwen(RgbImage(28, 28), cfg);
  ASSERT_TRUE(q.isOk());
  // A black pixel normalized with OPENAI CLIP's first channel.
  EXPECT_FLOAT_EQ(q->pixelValues[0], (0.0f - 0.48145466f) / 0.26862954f);
}

TEST(ImageQwenConfig, Layouts) {
  // preprocessor_config.json of the real Qwen2-VL-2B (legacy keys).
  Result<QwenProcessorConfig> a = parseQwenProcessorConfig(R"({
    "min_pixels": 3136, "max_pixels": 12845056, "patch_size": 14,
    "temporal_patch_size": 2, "merge_size": 2,
    "image_mean": [0.48145466, 0.4578275, 0.40821073],
    "image_std": [0.26862954, 0.26130258, 0.27577711],
    "image_processor_type": "Qwen2VLImageProcessor"})");
  ASSERT_TRUE(a.isOk()) << a.status().message();
  EXPECT_EQ(a->minPixels, 3136);
  EXPECT_EQ(a->maxPixels, 12845056);
  // transformers 5 processor_config.json: under "image_processor", in size.
  Result<QwenProcessorConfig> b = parseQwenProcessorConfig(R"({
    "image_processor": {"size": {"shortest_edge": 100, "longest_edge": 2000},
                        "resample": 2, "patch_size": 16}})");
  ASSERT_TRUE(b.isOk()) << b.status().message();
  EXPECT_EQ(b->minPixels, 100);
  EXPECT_EQ(b->maxPixels, 2000);
  EXPECT_EQ(b->patchSize, 16);
  EXPECT_EQ(b->resample, PilFilter::kBilinear);
  // min_pixels / max_pixels override size, as in transformers' __init__.
  Result<QwenProcessorConfig> c = parseQwenProcessorConfig(
      R"({"size": {"shortest_edge": 100, "longest_edge": 2000},
          "max_pixels": 5000})");
  ASSERT_TRUE(c.isOk());
  EXPECT_EQ(c->minPixels, 100);
  EXPECT_EQ(c->maxPixels, 5000);
  // Old saves: size.{min,max}_pixels.
  Result<QwenProcessorConfig> d = parseQwenProcessorConfig(
      R"({"size": {"min_pixels": 200, "max_pixels": 3000}})");
  ASSERT_TRUE(d.isOk());
  EXPECT_EQ(d->minPixels, 200);
  EXPECT_EQ(d->maxPixels, 3000);
  // Defaults: Qwen2VLImageProcessorPil's.
  Result<QwenProcessorConfig> e = parseQwenProcessorConfig("{}");
  ASSERT_TRUE(e.isOk());
  EXPECT_EQ(e->minPixels, 56 * 56);
  EXPECT_EQ(e->maxPixels, 28 * 28 * 1280);
  EXPECT_EQ(e->resample, PilFilter::kBicubic);

  for (const char *bad :
       {"", "[1]", "{\"patch_size\": \"14\"}", "{\"patch_size\": 0}",
        "{\"image_mean\": [1, 2]}", "{\"image_std\": [1, 0, 1]}",
        "{\"min_pixels\": 10, \"max_pixels\": 5}", "{\"size\": 3}",
        "{\"resample\": 0}", "{\"resample\": 9}", "{\"do_resize\": 1}",
        "{\"rescale_factor\": null, \"merge_size\": 1.5}"}) {
    EXPECT_FALSE(parseQwenProcessorConfig(bad).isOk()) << bad;
  }
  Result<QwenProcessorConfig> missing = loadQwenProcessorConfig("/nonexistent");
  ASSERT_FALSE(missing.isOk());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

} // namespace
