// Pillow-exact resizing: goldens made by Pillow's Image.resize for every
// filter (test/data/images/make_goldens.py), compared byte for byte.
#include "vlmc/image/Resize.h"
#include "TestUtil.h"

using namespace vlmc;
using namespace vlmc::image;
using namespace vlmc::image::testing;

namespace {

int countDiffs(const RgbImage &a, const RgbImage &b, int &maxDiff) {
  int n = 0;
  maxDiff = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) {
    int d = std::abs(int(a.pixels[i]) - int(b.pixels[i]));
    n += d != 0;
    maxDiff = std::max(maxDiff, d);
  }
  return n;
}

TEST(ImageResize, MatchesPillowGoldens) {
  RgbImage src = mustDecode("images/resize/src.png");
  ASSERT_EQ(src.width, 37);
  ASSERT_EQ(src.height, 23);
  const std::pair<const char *, PilFilter> filters[] = {
      {"lanczos", PilFilter::kLanczos},
      {"bilinear", PilFilter::kBilinear},
      {"bicubic", PilFilter::kBicubic},
      {"box", PilFilter::kBox},
      {"hamming", PilFilter::kHamming}};
  // Down, one axis only, up, mixed, and down to a single pixel.
  const std::pair<int, int> sizes[] = {{13, 7},  {37, 9}, {11, 23},
                                       {80, 51}, {5, 60}, {1, 1}};
  for (const auto &[name, filter] : filters)
    for (const auto &[w, h] : sizes) {
      const std::string golden = std::string("images/resize/") + name + "_" +
                                 std::to_string(w) + "x" + std::to_string(h) +
                                 ".png";
      RgbImage want = mustDecode(golden);
      Result<RgbImage> got = resizePil(src, w, h, filter);
      ASSERT_TRUE(got.isOk()) << golden << ": " << got.status().message();
      ASSERT_EQ(got->width, w);
      ASSERT_EQ(got->height, h);
      int maxDiff;
      EXPECT_EQ(countDiffs(*got, want, maxDiff), 0)
          << golden << " (max diff " << maxDiff << ")";
    }
}

TEST(ImageResize, Wrappers) {
  RgbImage src = mustDecode("images/resize/src.png");
  Result<RgbImage> a = resizeBicubicPil(src, 13, 7);
  Result<RgbImage> b = resizeLanczosPil(src, 13, 7);
  ASSERT_TRUE(a.isOk() && b.isOk());
  EXPECT_EQ(a->pixels, mustDecode("images/resize/bicubic_13x7.png").pixels);
  EXPECT_EQ(b->pixels, mustDecode("images/resize/lanczos_13x7.png").pixels);
}

TEST(ImageResize, SameSizeIsACopy) {
  RgbImage src = mustDecode("images/resize/src.png");
  Result<RgbImage> r = resizePil(src, 37, 23, PilFilter::kLanczos);
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ(r->pixels, src.pixels);
}

TEST(ImageResize, Errors) {
  RgbImage src(4, 4);
  EXPECT_FALSE(resizePil(src, 0, 4, PilFilter::kBicubic).isOk());
  EXPECT_FALSE(resizePil(src, 4, -1, PilFilter::kBicubic).isOk());
  EXPECT_FALSE(resizePil(RgbImage(), 4, 4, PilFilter::kBicubic).isOk());
  RgbImage broken(4, 4);
  broken.pixels.pop_back();
  EXPECT_FALSE(resizePil(broken, 2, 2, PilFilter::kBicubic).isOk());
  Result<RgbImage> huge = resizePil(src, 1 << 20, 1 << 20, PilFilter::kBox);
  ASSERT_FALSE(huge.isOk());
  EXPECT_EQ(huge.status().code(), StatusCode::kResourceExhausted);

  EXPECT_EQ(pilFilterFromInt(0).status().code(), StatusCode::kUnimplemented);
  EXPECT_EQ(pilFilterFromInt(6).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*pilFilterFromInt(3), PilFilter::kBicubic);
  EXPECT_EQ(*pilFilterFromInt(1), PilFilter::kLanczos);
}

} // namespace
