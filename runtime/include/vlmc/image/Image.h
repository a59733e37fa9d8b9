// Decoding images into 8-bit RGB, the form the Hugging Face image processors
// work on (PIL's convert("RGB")).
//
// PNG goes through libpng, JPEG through libjpeg-turbo (the library Pillow
// bundles), so pixels match Pillow's for the same files; see the notes on
// each conversion in Decode.cpp. JPEG EXIF orientation is applied, as
// transformers' load_image does with ImageOps.exif_transpose.
//
// Nothing here throws or aborts on bad input: unreadable, truncated, corrupt
// or unsupported files come back as a Status.
#pragma once

#include "vlmc/support/Status.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vlmc::image {

// 8-bit RGB, row-major, 3 bytes per pixel, no row padding.
struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels; // width * height * 3

  RgbImage() = default;
  RgbImage(int w, int h)
      : width(w), height(h), pixels(static_cast<size_t>(w) * h * 3) {}

  const uint8_t *at(int x, int y) const {
    return pixels.data() + (static_cast<size_t>(y) * width + x) * 3;
  }
  uint8_t *at(int x, int y) {
    return pixels.data() + (static_cast<size_t>(y) * width + x) * 3;
  }
};

// Images larger than this (in pixels) are refused before any pixel buffer is
// allocated, so a small file claiming 65535 x 65535 cannot exhaust memory.
// The value is Pillow's: Image.open raises DecompressionBombError above
// 2 * MAX_IMAGE_PIXELS = 178,956,970 pixels.
inline constexpr int64_t kMaxDecodedPixels = 178956970;
// Files larger than this are not read at all.
inline constexpr int64_t kMaxFileBytes = int64_t(1) << 30;

enum class ImageFormat { kUnknown, kPng, kJpeg };

// Sniffs the magic bytes.
ImageFormat detectFormat(std::string_view bytes);

// Decodes PNG or JPEG bytes. Errors: kInvalidArgument for an unsupported
// format, kDataLoss for corrupt or truncated data, kResourceExhausted for an
// image over kMaxDecodedPixels.
Result<RgbImage> decode(std::string_view bytes);
// Reads and decodes a file (kNotFound when it cannot be opened).
Result<RgbImage> decodeFile(const std::string &path);

// The 8 EXIF orientations (tag 0x0112) as values 1..8; 1 is "as stored".
// Returns `img` transformed the way PIL's ImageOps.exif_transpose does.
// Values outside 1..8 leave the image unchanged.
RgbImage applyExifOrientation(const RgbImage &img, int orientation);

// The orientation recorded in a JPEG's APP1 "Exif" segment, or 1 when there
// is none or it cannot be read (a malformed EXIF block is not an error: the
// pixels are still good).
int jpegExifOrientation(std::string_view jpegBytes);

} // namespace vlmc::image
