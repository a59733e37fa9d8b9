// Decoding: every PNG color type / bit depth and JPEG variant against
// Pillow's Image.open(f).convert("RGB"), the 8 EXIF orientations against
// ImageOps.exif_transpose (goldens from test/data/images/make_goldens.py),
// and the error paths.
#include "TestUtil.h"

using namespace vlmc;
using namespace vlmc::image;
using namespace vlmc::image::testing;

namespace {

void expectSame(const RgbImage &got, const RgbImage &want,
                const std::string &what) {
  ASSERT_EQ(got.width, want.width) << what;
  ASSERT_EQ(got.height, want.height) << what;
  int maxDiff = 0, n = 0;
  for (size_t i = 0; i < got.pixels.size(); ++i) {
    int d = std::abs(int(got.pixels[i]) - int(want.pixels[i]));
    maxDiff = std::max(maxDiff, d);
    n += d != 0;
  }
  EXPECT_EQ(n, 0) << what << ": " << n << " bytes differ, max " << maxDiff;
}

TEST(ImageDecode, FixturePngs) {
  RgbImage chelsea = mustDecode("images/chelsea.png");
  EXPECT_EQ(chelsea.width, 451);
  EXPECT_EQ(chelsea.height, 300);
  EXPECT_EQ(chelsea.pixels.size(), 451u * 300 * 3);
  RgbImage astronaut = mustDecode("images/astronaut.png");
  EXPECT_EQ(astronaut.width, 512);
  EXPECT_EQ(astronaut.height, 512);
}

TEST(ImageDecode, PngVariantsMatchPillow) {
  for (const char *name :
       {"gray1", "gray2", "gray4", "gray8", "gray16", "graya8", "graya16",
        "rgb16", "rgba8", "rgba16", "palette", "palette_trns", "interlaced"}) {
    const std::string base = std::string("images/formats/") + name;
    expectSame(mustDecode(base + ".png"), mustDecode(base + ".expected.png"),
               name);
  }
}

// Pillow decodes with libjpeg-turbo too; the goldens were made with the
// Debian library we link, so the pixels agree exactly. (Pillow's wheels
// bundle their own libjpeg-turbo build, which can differ in the last bit.)
TEST(ImageDecode, JpegVariantsMatchPillow) {
  for (const char *name :
       {"jpeg420", "jpeg422", "jpeg444", "jpegprog", "jpeggray", "jpegcmyk"}) {
    const std::string base = std::string("images/formats/") + name;
    expectSame(mustDecode(base + ".jpg"), mustDecode(base + ".expected.png"),
               name);
  }
}

TEST(ImageDecode, ExifOrientations) {
  for (int k = 1; k <= 8; ++k) {
    const std::string base = "images/exif/orient" + std::to_string(k);
    const std::string bytes = readFile(dataPath(base + ".jpg"));
    EXPECT_EQ(jpegExifOrientation(bytes), k);
    RgbImage got = mustDecode(base + ".jpg");
    // The stored image is 24x14; orientations 5..8 swap the sides.
    EXPECT_EQ(got.width, k >= 5 ? 14 : 24) << k;
    expectSame(got, mustDecode(base + ".expected.png"),
               "orientation " + std::to_string(k));
  }
}

// A big-endian ("MM") EXIF block spliced into the orientation-1 file, the
// byte order Pillow does not write but cameras do.
std::string withApp1(const std::string &jpeg, const std::string &tiff) {
  std::string payload = std::string("Exif\0\0", 6) + tiff;
  std::string seg = "\xFF\xE1";
  seg += static_cast<char>((payload.size() + 2) >> 8);
  seg += static_cast<char>((payload.size() + 2) & 0xFF);
  // Right after SOI, ahead of the file's own APP1 (Pillow uses the first).
  return jpeg.substr(0, 2) + seg + payload + jpeg.substr(2);
}

std::string bigEndianTiff(uint16_t type, uint32_t orientation) {
  std::string t = std::string("MM\x00\x2a\x00\x00\x00\x08", 8);
  t += std::string("\x00\x01", 2); // one entry
  t += std::string("\x01\x12", 2); // tag 0x0112
  t += static_cast<char>(0);
  t += static_cast<char>(type);            // SHORT or LONG
  t += std::string("\x00\x00\x00\x01", 4); // count
  if (type == 3)
    t += std::string{static_cast<char>(orientation >> 8),
                     static_cast<char>(orientation & 0xFF), 0, 0};
  else
    t += std::string{0, 0, static_cast<char>(orientation >> 8),
                     static_cast<char>(orientation & 0xFF)};
  t += std::string(4, '\0'); // next IFD
  return t;
}

TEST(ImageDecode, ExifBigEndianAndLong) {
  const std::string plain = readFile(dataPath("images/exif/orient1.jpg"));
  for (uint16_t type : {uint16_t(3), uint16_t(4)}) {
    const std::string jpeg = withApp1(plain, bigEndianTiff(type, 6));
    EXPECT_EQ(jpegExifOrientation(jpeg), 6);
    Result<RgbImage> img = decode(jpeg);
    ASSERT_TRUE(img.isOk()) << img.status().message();
    expectSame(*img, mustDecode("images/exif/orient6.expected.png"),
               "MM orientation 6");
  }
}

TEST(ImageDecode, MalformedExifIsIgnored) {
  const std::string plain = readFile(dataPath("images/exif/orient1.jpg"));
  std::string good = bigEndianTiff(3, 6);
  std::vector<std::string> bad = {
      "",                                           // empty TIFF block
      "MM",                                         // short header
      std::string("XX\x00\x2a\x00\x00\x00\x08", 8), // bad byte order
      good.substr(0, 12),                           // entry cut off
      bigEndianTiff(3, 9),                          // orientation out of range
      bigEndianTiff(3, 0),
  };
  std::string farIfd = good;
  farIfd[7] = '\x7f'; // IFD offset past the end
  bad.push_back(farIfd);
  for (const std::string &tiff : bad) {
    const std::string jpeg = withApp1(plain, tiff);
    EXPECT_EQ(jpegExifOrientation(jpeg), 1);
    Result<RgbImage> img = decode(jpeg);
    ASSERT_TRUE(img.isOk()) << img.status().message();
    EXPECT_EQ(img->width, 24);
  }
  EXPECT_EQ(jpegExifOrientation(""), 1);
  EXPECT_EQ(jpegExifOrientation("\xFF\xD8"), 1);
}

TEST(ImageDecode, OrientationTransforms) {
  // 3x2 image, pixel value = index.
  RgbImage img(3, 2);
  for (int i = 0; i < 6; ++i)
    img.pixels[i * 3] = static_cast<uint8_t>(i);
  auto firstChannel = [](const RgbImage &im) {
    std::vector<int> v;
    for (size_t i = 0; i < im.pixels.size(); i += 3)
      v.push_back(im.pixels[i]);
    return v;
  };
  // Stored:  0 1 2 / 3 4 5.
  EXPECT_EQ(firstChannel(applyExifOrientation(img, 1)),
            (std::vector<int>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(firstChannel(applyExifOrientation(img, 2)),
            (std::vector<int>{2, 1, 0, 5, 4, 3}));
  EXPECT_EQ(firstChannel(applyExifOrientation(img, 3)),
            (std::vector<int>{5, 4, 3, 2, 1, 0}));
  EXPECT_EQ(firstChannel(applyExifOrientation(img, 4)),
            (std::vector<int>{3, 4, 5, 0, 1, 2}));
  EXPECT_EQ(firstChannel(applyExifOrientation(img, 5)), // transpose
            (std::vector<int>{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(firstChannel(applyExifOrientation(img, 6)), // 90 clockwise
            (std::vector<int>{3, 0, 4, 1, 5, 2}));
  EXPECT_EQ(firstChannel(applyExifOrientation(img, 7)), // transverse
            (std::vector<int>{5, 2, 4, 1, 3, 0}));
  EXPECT_EQ(firstChannel(applyExifOrientation(img, 8)), // 90 counter-cw
            (std::vector<int>{2, 5, 1, 4, 0, 3}));
  EXPECT_EQ(applyExifOrientation(img, 6).width, 2);
  EXPECT_EQ(firstChannel(applyExifOrientation(img, 9)),
            firstChannel(img)); // unknown: unchanged
}

TEST(ImageDecode, Errors) {
  Result<RgbImage> r = decode("");
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);

  r = decode("GIF89a\x01\x00\x01\x00");
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("unsupported"), std::string::npos);
  EXPECT_EQ(detectFormat("GIF89a"), ImageFormat::kUnknown);

  r = decodeFile(dataPath("images/does-not-exist.png"));
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);

  const std::string png = readFile(dataPath("images/chelsea.png"));
  EXPECT_EQ(detectFormat(png), ImageFormat::kPng);
  for (size_t cut :
       {size_t(8), size_t(30), size_t(100), png.size() / 2, png.size() - 20}) {
    r = decode(png.substr(0, cut));
    ASSERT_FALSE(r.isOk()) << "PNG cut at " << cut;
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << cut;
  }
  std::string badCrc = png;
  badCrc[29] ^= 0x55; // inside IHDR's CRC
  r = decode(badCrc);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);

  const std::string jpeg = readFile(dataPath("images/formats/jpeg420.jpg"));
  EXPECT_EQ(detectFormat(jpeg), ImageFormat::kJpeg);
  for (size_t cut :
       {size_t(3), size_t(40), jpeg.size() / 2, jpeg.size() - 10}) {
    r = decode(jpeg.substr(0, cut));
    ASSERT_FALSE(r.isOk()) << "JPEG cut at " << cut;
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << cut;
  }
}

// A header claiming a huge image is refused before any pixel buffer exists.
TEST(ImageDecode, HugeDimensionsRefused) {
  std::string png = readFile(dataPath("images/formats/gray8.png"));
  // IHDR width/height at bytes 16..23; CRC at 29..32 must then be fixed, so
  // use libpng's view instead: patch and recompute the CRC.
  auto put32 = [&](size_t off, uint32_t v) {
    png[off] = static_cast<char>(v >> 24);
    png[off + 1] = static_cast<char>(v >> 16);
    png[off + 2] = static_cast<char>(v >> 8);
    png[off + 3] = static_cast<char>(v);
  };
  put32(16, 60000);
  put32(20, 60000);
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 12; i < 29; ++i) {
    crc ^= static_cast<uint8_t>(png[i]);
    for (int b = 0; b < 8; ++b)
      crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  put32(29, crc ^ 0xFFFFFFFFu);
  Result<RgbImage> r = decode(png);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted)
      << r.status().message();
}

} // namespace
