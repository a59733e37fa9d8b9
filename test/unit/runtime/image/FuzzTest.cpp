// Mutation fuzzing of the decoders: thousands of corrupted PNGs and JPEGs
// (fixed seed, so a failure reproduces) must decode to a consistent image or
// fail with a Status - never crash, hang or read out of bounds. Meant to run
// under AddressSanitizer too.
#include "TestUtil.h"

#include <random>

using namespace vlmc;
using namespace vlmc::image;
using namespace vlmc::image::testing;

namespace {

std::vector<std::string> seeds() {
  std::vector<std::string> s;
  for (const char *f :
       {"formats/gray1.png", "formats/gray16.png", "formats/graya16.png",
        "formats/palette_trns.png", "formats/interlaced.png",
        "formats/rgba8.png", "formats/jpeg420.jpg", "formats/jpeg444.jpg",
        "formats/jpegprog.jpg", "formats/jpeggray.jpg", "formats/jpegcmyk.jpg",
        "exif/orient6.jpg"})
    s.push_back(readFile(dataPath(std::string("images/") + f)));
  return s;
}

std::string mutate(std::string b, std::mt19937 &rng) {
  auto pick = [&](size_t n) {
    return std::uniform_int_distribution<size_t>(0, n - 1)(rng);
  };
  const int edits = 1 + static_cast<int>(pick(4));
  for (int e = 0; e < edits && !b.empty(); ++e) {
    switch (pick(6)) {
    case 0: // flip a bit
      b[pick(b.size())] ^= static_cast<char>(1u << pick(8));
      break;
    case 1: // random byte, biased to the headers where the structure is
      b[pick(std::min<size_t>(b.size(), pick(2) ? 64 : b.size()))] =
          static_cast<char>(pick(256));
      break;
    case 2: // truncate
      b.resize(pick(b.size()) + 1);
      break;
    case 3: { // duplicate a slice
      size_t at = pick(b.size()),
             len = std::min<size_t>(pick(32) + 1, b.size() - at);
      b.insert(at, b.substr(at, len));
      break;
    }
    case 4: { // delete a slice
      size_t at = pick(b.size());
      b.erase(at, std::min<size_t>(pick(16) + 1, b.size() - at));
      break;
    }
    case 5: // extreme values into a 16-bit field (lengths, sizes)
      if (b.size() > 2) {
        size_t at = pick(b.size() - 1);
        b[at] = static_cast<char>(pick(2) ? 0xFF : 0x00);
        b[at + 1] = static_cast<char>(pick(2) ? 0xFF : 0x00);
      }
      break;
    }
  }
  return b;
}

TEST(ImageFuzz, MutatedFilesNeverCrash) {
  const std::vector<std::string> s = seeds();
  std::mt19937 rng(12345);
  int decoded = 0, failed = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string bytes = mutate(s[i % s.size()], rng);
    Result<RgbImage> img = decode(bytes);
    if (img.isOk()) {
      ++decoded;
      ASSERT_GT(img->width, 0);
      ASSERT_GT(img->height, 0);
      ASSERT_EQ(img->pixels.size(),
                static_cast<size_t>(img->width) * img->height * 3);
    } else {
      ++failed;
      const StatusCode c = img.status().code();
      ASSERT_TRUE(c == StatusCode::kDataLoss ||
                  c == StatusCode::kInvalidArgument ||
                  c == StatusCode::kResourceExhausted ||
                  c == StatusCode::kUnimplemented)
          << img.status().message();
      ASSERT_FALSE(img.status().message().empty());
    }
  }
  // Both outcomes must actually be exercised.
  EXPECT_GT(decoded, 100);
  EXPECT_GT(failed, 100);
}

TEST(ImageFuzz, RandomBytesAfterMagic) {
  std::mt19937 rng(777);
  for (int i = 0; i < 500; ++i) {
    std::string b = i % 2 ? std::string("\x89PNG\r\n\x1a\n", 8)
                          : std::string("\xFF\xD8\xFF", 3);
    const size_t n = rng() % 300;
    for (size_t k = 0; k < n; ++k)
      b += static_cast<char>(rng());
    Result<RgbImage> img = decode(b);
    if (img.isOk()) {
      ASSERT_EQ(img->pixels.size(),
                static_cast<size_t>(img->width) * img->height * 3);
    }
    (void)jpegExifOrientation(b);
  }
}

} // namespace
