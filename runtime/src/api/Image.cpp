// vlmc_image_*: RGB8 images, given as pixels or decoded from PNG/JPEG.
#include "Handles.h"

#include <cstring>

using namespace vlmc;
using api::guard;
using api::nullArgument;

namespace {

Status adopt(Result<image::RgbImage> decoded, vlmc_image **out) {
  if (!decoded)
    return decoded.status();
  *out = new vlmc_image_s{std::move(*decoded)};
  return Status::ok();
}

} // namespace

extern "C" {

vlmc_status vlmc_image_from_rgb8(int32_t width, int32_t height, const uint8_t *rgb,
                                 vlmc_image **out_image) {
  return guard(__func__, [&](const char *fn) -> Status {
    if (!out_image)
      return nullArgument(fn, "out_image");
    if (!rgb)
      return nullArgument(fn, "rgb");
    if (width <= 0 || height <= 0)
      return invalidArgument(std::string(fn) + ": the size must be positive, got " +
                             std::to_string(width) + "x" + std::to_string(height));
    // The decoder's limit applies to raw pixels too: the image processors
    // allocate several float copies of an image.
    if (int64_t(width) * height > image::kMaxDecodedPixels)
      return Status(StatusCode::kResourceExhausted,
                    std::string(fn) + ": " + std::to_string(width) + "x" +
                        std::to_string(height) + " is over the limit of " +
                        std::to_string(image::kMaxDecodedPixels) + " pixels");
    auto handle = std::make_unique<vlmc_image_s>();
    handle->rgb = image::RgbImage(width, height);
    std::memcpy(handle->rgb.pixels.data(), rgb, handle->rgb.pixels.size());
    *out_image = handle.release();
    return Status::ok();
  });
}

vlmc_status vlmc_image_load_file(const char *path, vlmc_image **out_image) {
  return guard(__func__, [&](const char *fn) -> Status {
    if (!path)
      return nullArgument(fn, "path");
    if (!out_image)
      return nullArgument(fn, "out_image");
    return adopt(image::decodeFile(path), out_image);
  });
}

vlmc_status vlmc_image_decode(const void *data, size_t size, vlmc_image **out_image) {
  return guard(__func__, [&](const char *fn) -> Status {
    if (!data)
      return nullArgument(fn, "data");
    if (!out_image)
      return nullArgument(fn, "out_image");
    return adopt(image::decode(std::string_view(static_cast<const char *>(data), size)),
                 out_image);
  });
}

int32_t vlmc_image_width(const vlmc_image *image) { return image ? image->rgb.width : 0; }
int32_t vlmc_image_height(const vlmc_image *image) { return image ? image->rgb.height : 0; }

void vlmc_image_free(vlmc_image *image) { delete image; }

} // extern "C"
