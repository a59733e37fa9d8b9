// The format decoders behind image::decode. Each returns RGB8 with Pillow's
// conversion to RGB already applied.
#pragma once

#include "vlmc/image/Image.h"

namespace vlmc::image::detail {

Result<RgbImage> decodePng(std::string_view bytes);
// Pixels as stored; the EXIF orientation is applied by the caller.
Result<RgbImage> decodeJpeg(std::string_view bytes);

// Checks a header's dimensions against kMaxDecodedPixels.
Status checkDimensions(const char *format, uint64_t width, uint64_t height);

} // namespace vlmc::image::detail
