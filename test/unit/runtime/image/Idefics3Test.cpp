// Idefics3 / SmolVLM image processor: the fixture's tiles and pixel mask
// (transformers' Idefics3ImageProcessorPil), the prompt expansion checked
// against the fixture's input_ids through the real SmolVLM tokenizer, the
// size arithmetic and config parsing.
#include "vlmc/image/Idefics3.h"
#include "TestUtil.h"
#include "vlmc/tokenizer/Tokenizer.h"

#include <nlohmann/json.hpp>

using namespace vlmc;
using namespace vlmc::image;
using namespace vlmc::image::testing;

namespace {

TEST(ImageIdefics3, FixtureMatchesTransformers) {
  const std::string dir = dataPath("smolvlm-tiny");
  Result<Idefics3ProcessorConfig> cfg = loadIdefics3ProcessorConfig(dir);
  ASSERT_TRUE(cfg.isOk()) << cfg.status().message();
  EXPECT_EQ(cfg->longestEdge, 128);
  EXPECT_EQ(cfg->maxImageSize, 64);
  EXPECT_EQ(cfg->imageSeqLen, 16);
  EXPECT_TRUE(cfg->doImageSplitting);
  EXPECT_EQ(cfg->resample, PilFilter::kLanczos);

  RgbImage img = mustDecode("images/astronaut_crop.png");
  ASSERT_EQ(img.width, 512);
  ASSERT_EQ(img.height, 320);
  Result<Idefics3Image> out = processIdefics3(img, *cfg);
  ASSERT_TRUE(out.isOk()) << out.status().message();

  Result<io::SafetensorsFile> ref =
      io::SafetensorsFile::open(dir + "/ref_img_astronaut.safetensors");
  ASSERT_TRUE(ref.isOk()) << ref.status().message();
  std::vector<int64_t> shape, maskShape;
  std::vector<float> want = tensorAs<float>(*ref, "pixel_values", &shape);
  std::vector<int64_t> wantMask =
      tensorAs<int64_t>(*ref, "pixel_attention_mask", &maskShape);
  ASSERT_EQ(shape, (std::vector<int64_t>{1, out->tiles, 3, 64, 64}));
  ASSERT_EQ(maskShape, (std::vector<int64_t>{1, out->tiles, 64, 64}));
  EXPECT_EQ(out->tiles, 5); // 2 x 2 tiles + the global image
  EXPECT_EQ(out->rows, 2);
  EXPECT_EQ(out->cols, 2);
  EXPECT_EQ(out->tileSize, 64);
  const double diff = maxAbsDiff(out->pixelValues, want);
  std::printf("[smolvlm-tiny astronaut_crop] max |ours - transformers| = %g "
              "over %zu values\n",
              diff, want.size());
  EXPECT_LE(diff, 1e-6);
  ASSERT_EQ(out->pixelMask.size(), wantMask.size());
  for (size_t i = 0; i < wantMask.size(); ++i)
    ASSERT_EQ(out->pixelMask[i], wantMask[i]) << i;
}

// The expanded prompt, tokenized, must give the fixture's input_ids: the
// chat text holds a single "<image>" that the processor expands.
TEST(ImageIdefics3, PromptMatchesFixtureInputIds) {
  const std::string dir = dataPath("smolvlm-tiny");
  nlohmann::json refJson =
      nlohmann::json::parse(readFile(dir + "/reference.json"));
  const std::string chat = refJson["img_astronaut"]["chat_text"];
  Result<io::SafetensorsFile> ref =
      io::SafetensorsFile::open(dir + "/ref_img_astronaut.safetensors");
  ASSERT_TRUE(ref.isOk());
  std::vector<int64_t> want = tensorAs<int64_t>(*ref, "input_ids");

  Idefics3Image grid;
  grid.rows = 2;
  grid.cols = 2;
  Result<std::string> text = expandIdefics3Prompt(chat, {grid}, 16);
  ASSERT_TRUE(text.isOk()) << text.status().message();
  Result<tokenizer::Tokenizer> tok = tokenizer::Tokenizer::fromPath(dir);
  ASSERT_TRUE(tok.isOk()) << tok.status().message();
  Result<std::vector<tokenizer::TokenId>> ids = tok->encode(*text, true);
  ASSERT_TRUE(ids.isOk()) << ids.status().message();
  ASSERT_EQ(ids->size(), want.size());
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_EQ((*ids)[i], want[i]) << "token " << i;
}

TEST(ImageIdefics3, PromptStrings) {
  const std::string img2 = "<image><image>";
  EXPECT_EQ(idefics3ImagePrompt(0, 0, 2),
            "<fake_token_around_image><global-img>" + img2 +
                "<fake_token_around_image>");
  EXPECT_EQ(idefics3ImagePrompt(1, 2, 2),
            "<fake_token_around_image><row_1_col_1>" + img2 +
                "<fake_token_around_image><row_1_col_2>" + img2 + "\n" +
                "\n<fake_token_around_image><global-img>" + img2 +
                "<fake_token_around_image>");
  Idefics3Image a, b;
  b.rows = b.cols = 1;
  Result<std::string> s = expandIdefics3Prompt("x<image>y<image>z", {a, b}, 1);
  ASSERT_TRUE(s.isOk());
  EXPECT_EQ(*s, "x" + idefics3ImagePrompt(0, 0, 1) + "y" +
                    idefics3ImagePrompt(1, 1, 1) + "z");
  EXPECT_FALSE(expandIdefics3Prompt("<image>", {a, b}, 1).isOk());
  EXPECT_FALSE(expandIdefics3Prompt("<image><image>", {a}, 1).isOk());
}

Idefics3ProcessorConfig smallConfig() {
  Idefics3ProcessorConfig c;
  c.longestEdge = 128;
  c.maxImageSize = 64;
  c.imageSeqLen = 16;
  return c;
}

RgbImage gradient(int w, int h) {
  RgbImage img(w, h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      uint8_t *p = img.at(x, y);
      p[0] = static_cast<uint8_t>(x * 7 + y);
      p[1] = static_cast<uint8_t>(y * 5);
      p[2] = static_cast<uint8_t>(x ^ y);
    }
  return img;
}

// Tile counts for shapes worked out with the Python size arithmetic.
TEST(ImageIdefics3, SplitGrids) {
  struct Case {
    int w, h, rows, cols;
  } cases[] = {
      {512, 320, 2, 2},                  // 128x80 -> 128x128
      {320, 512, 2, 2},  {64, 64, 2, 2}, // upscaled to 128x128 first
      {1000, 100, 1, 2},                 // 128x12 -> 128x64
      {100, 1000, 2, 1}, {3, 3, 2, 2},
      {1, 600, 2, 1}, // 1x128 (width int()s to 0, then min 1) -> 64x128
  };
  for (const Case &c : cases) {
    Result<Idefics3Image> out =
        processIdefics3(gradient(c.w, c.h), smallConfig());
    ASSERT_TRUE(out.isOk())
        << c.w << "x" << c.h << ": " << out.status().message();
    EXPECT_EQ(out->rows, c.rows) << c.w << "x" << c.h;
    EXPECT_EQ(out->cols, c.cols) << c.w << "x" << c.h;
    EXPECT_EQ(out->tiles, c.rows * c.cols + 1) << c.w << "x" << c.h;
    EXPECT_EQ(out->tileSize, 64);
    for (uint8_t m : out->pixelMask)
      ASSERT_EQ(m, 1);
  }
}

TEST(ImageIdefics3, NoSplittingIsOneSquareTile) {
  Idefics3ProcessorConfig c = smallConfig();
  c.doImageSplitting = false;
  Result<Idefics3Image> out = processIdefics3(gradient(300, 200), c);
  ASSERT_TRUE(out.isOk());
  EXPECT_EQ(out->tiles, 1);
  EXPECT_EQ(out->rows, 0);
  EXPECT_EQ(out->cols, 0);
  EXPECT_EQ(out->pixelValues.size(), 3u * 64 * 64);
}

TEST(ImageIdefics3, ConfigLayouts) {
  // preprocessor_config.json layout (top level), as real SmolVLM ships it.
  Result<Idefics3ProcessorConfig> a = parseIdefics3ProcessorConfig(R"({
    "do_image_splitting": false, "max_image_size": {"longest_edge": 512},
    "size": {"longest_edge": 2048}, "resample": 1, "image_mean": 0.5,
    "image_std": [0.5, 0.5, 0.5], "rescale_factor": 0.00392156862745098})");
  ASSERT_TRUE(a.isOk()) << a.status().message();
  EXPECT_FALSE(a->doImageSplitting);
  EXPECT_EQ(a->maxImageSize, 512);
  EXPECT_EQ(a->longestEdge, 2048);
  EXPECT_EQ(a->imageSeqLen, 169); // the processor's default
  Result<Idefics3ProcessorConfig> b = parseIdefics3ProcessorConfig(
      R"({"image_processor": {"max_image_size": {"longest_edge": 64}},
          "image_seq_len": 64})");
  ASSERT_TRUE(b.isOk());
  EXPECT_EQ(b->maxImageSize, 64);
  EXPECT_EQ(b->imageSeqLen, 64);
  EXPECT_FALSE(parseIdefics3ProcessorConfig("[]").isOk());
  EXPECT_FALSE(parseIdefics3ProcessorConfig("{").isOk());
  EXPECT_FALSE(parseIdefics3ProcessorConfig(R"({"size": 5})").isOk());
  EXPECT_FALSE(
      parseIdefics3ProcessorConfig(R"({"size": {"height": 5, "width": 5}})")
          .isOk());
  EXPECT_FALSE(parseIdefics3ProcessorConfig(R"({"resample": 0})").isOk());
  EXPECT_FALSE(
      parseIdefics3ProcessorConfig(R"({"max_image_size": {"longest_edge": 0}})")
          .isOk());
  EXPECT_FALSE(
      parseIdefics3ProcessorConfig(R"({"image_std": [1, 0, 1]})").isOk());
  EXPECT_FALSE(loadIdefics3ProcessorConfig("/nonexistent").isOk());
}

TEST(ImageIdefics3, RejectsEmptyImage) {
  EXPECT_FALSE(processIdefics3(RgbImage(), smallConfig()).isOk());
}

} // namespace
