// Format dispatch, file reading and the EXIF orientation transforms.
#include "Decoders.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace vlmc::image {

namespace detail {

Status checkDimensions(const char *format, uint64_t width, uint64_t height) {
  if (width == 0 || height == 0)
    return dataLoss(std::string(format) + ": image has zero width or height");
  if (width > static_cast<uint64_t>(kMaxDecodedPixels) ||
      height > static_cast<uint64_t>(kMaxDecodedPixels) ||
      width * height > static_cast<uint64_t>(kMaxDecodedPixels))
    return Status(StatusCode::kResourceExhausted,
                  std::string(format) + ": image of " + std::to_string(width) +
                      "x" + std::to_string(height) +
                      " pixels is larger than the decoder accepts");
  return Status::ok();
}

} // namespace detail

ImageFormat detectFormat(std::string_view bytes) {
  static const char kPng[] = "\x89PNG\r\n\x1a\n";
  if (bytes.size() >= 8 && std::memcmp(bytes.data(), kPng, 8) == 0)
    return ImageFormat::kPng;
  if (bytes.size() >= 3 && static_cast<uint8_t>(bytes[0]) == 0xFF &&
      static_cast<uint8_t>(bytes[1]) == 0xD8 &&
      static_cast<uint8_t>(bytes[2]) == 0xFF)
    return ImageFormat::kJpeg;
  return ImageFormat::kUnknown;
}

Result<RgbImage> decode(std::string_view bytes) {
  switch (detectFormat(bytes)) {
  case ImageFormat::kPng:
    return detail::decodePng(bytes);
  case ImageFormat::kJpeg: {
    Result<RgbImage> img = detail::decodeJpeg(bytes);
    if (!img)
      return img;
    int orientation = jpegExifOrientation(bytes);
    if (orientation == 1)
      return img;
    return applyExifOrientation(*img, orientation);
  }
  case ImageFormat::kUnknown:
    break;
  }
  if (bytes.empty())
    return invalidArgument("image data is empty");
  return invalidArgument("unsupported image format (only PNG and JPEG are "
                         "decoded)");
}

Result<RgbImage> decodeFile(const std::string &path) {
  std::unique_ptr<FILE, int (*)(FILE *)> f(std::fopen(path.c_str(), "rb"),
                                           &std::fclose);
  if (!f)
    return notFound("cannot open image file '" + path +
                    "': " + std::strerror(errno));
  std::string bytes;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f.get())) > 0) {
    bytes.append(buf, n);
    if (static_cast<int64_t>(bytes.size()) > kMaxFileBytes)
      return Status(StatusCode::kResourceExhausted,
                    "image file '" + path + "' is larger than 1 GiB");
  }
  if (std::ferror(f.get()))
    return dataLoss("error reading image file '" + path + "'");
  Result<RgbImage> img = decode(bytes);
  if (!img)
    return img.status().withContext("'" + path + "'");
  return img;
}

RgbImage applyExifOrientation(const RgbImage &img, int orientation) {
  if (orientation < 2 || orientation > 8)
    return img;
  const int w = img.width, h = img.height;
  // Orientations 5..8 swap the axes.
  const bool swap = orientation >= 5;
  RgbImage out(swap ? h : w, swap ? w : h);
  for (int y = 0; y < out.height; ++y)
    for (int x = 0; x < out.width; ++x) {
      // The source pixel of output (x, y), per PIL's exif_transpose:
      // 2 FLIP_LEFT_RIGHT, 3 ROTATE_180, 4 FLIP_TOP_BOTTOM, 5 TRANSPOSE,
      // 6 ROTATE_270 (clockwise 90), 7 TRANSVERSE, 8 ROTATE_90 (counter-cw).
      int sx = x, sy = y;
      switch (orientation) {
      case 2:
        sx = w - 1 - x;
        break;
      case 3:
        sx = w - 1 - x;
        sy = h - 1 - y;
        break;
      case 4:
        sy = h - 1 - y;
        break;
      case 5:
        sx = y;
        sy = x;
        break;
      case 6:
        sx = y;
        sy = h - 1 - x;
        break;
      case 7:
        sx = w - 1 - y;
        sy = h - 1 - x;
        break;
      case 8:
        sx = w - 1 - y;
        sy = x;
        break;
      }
      std::memcpy(out.at(x, y), img.at(sx, sy), 3);
    }
  return out;
}

} // namespace vlmc::image
