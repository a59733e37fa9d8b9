// PNG through libpng, converted to RGB8 the way Pillow opens the file and then
// calls convert("RGB"):
//   * palette -> its RGB entries (transparency dropped);
//   * gray 1/2/4-bit -> scaled to 0..255 (Pillow's "1", "L;2", "L;4");
//   * 8-bit gray / gray+alpha -> gray replicated, alpha dropped;
//   * 16-bit RGB, RGBA and gray+alpha -> the high byte of each sample;
//   * 16-bit gray -> Pillow opens it as a 32-bit integer image and
//     convert("RGB") clamps to 0..255 (it does not scale), so we clamp too;
//   * alpha is dropped, never composited; tRNS, gAMA, iCCP etc. are ignored,
//     as Pillow ignores them in convert("RGB").
//
// libpng reports errors by longjmp. The setjmp frame (readPng) holds only
// trivially destructible locals, and nothing with a destructor lives in the
// libpng callbacks, so the jump skips no destructor.
#include "Decoders.h"

#include <png.h>

#include <csetjmp>
#include <cstring>
#include <vector>

namespace vlmc::image::detail {

namespace {

struct PngContext {
  const uint8_t *data = nullptr;
  size_t size = 0;
  size_t pos = 0;
  char error[256] = {0};
  bool truncated = false;
  // Filled by readPng.
  uint32_t width = 0, height = 0;
  bool gray16 = false; // the 16-bit gray path: 2 bytes per pixel, clamped
  Status limitStatus;
  std::vector<uint8_t> *pixels = nullptr; // owned by the caller
  std::vector<png_bytep> *rows = nullptr;
};

void pngError(png_structp png, png_const_charp msg) {
  auto *ctx = static_cast<PngContext *>(png_get_error_ptr(png));
  std::snprintf(ctx->error, sizeof ctx->error, "%s", msg);
  png_longjmp(png, 1);
}

void pngWarning(png_structp, png_const_charp) {
  // Warnings (bad ancillary CRCs, unknown chunks...) do not stop Pillow.
}

void pngRead(png_structp png, png_bytep out, png_size_t len) {
  auto *ctx = static_cast<PngContext *>(png_get_io_ptr(png));
  if (ctx->size - ctx->pos < len) {
    ctx->truncated = true;
    png_error(png, "unexpected end of data");
  }
  std::memcpy(out, ctx->data + ctx->pos, len);
  ctx->pos += len;
}

// Returns false after a libpng error (message in ctx->error) or a dimension
// check failure (ctx->limitStatus).
bool readPng(PngContext *ctx) {
  png_structp png =
      png_create_read_struct(PNG_LIBPNG_VER_STRING, ctx, pngError, pngWarning);
  if (!png) {
    std::snprintf(ctx->error, sizeof ctx->error, "cannot create PNG reader");
    return false;
  }
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    std::snprintf(ctx->error, sizeof ctx->error, "cannot create PNG reader");
    return false;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  png_set_read_fn(png, ctx, pngRead);
  // Ancillary chunks (ICC profiles, text) may be larger than libpng's 8 MB
  // default; Pillow reads them, so allow more, but keep a bound.
  png_set_chunk_malloc_max(png, 64u << 20);
  png_read_info(png, info);

  png_uint_32 width, height;
  int bitDepth, colorType, interlace;
  png_get_IHDR(png, info, &width, &height, &bitDepth, &colorType, &interlace,
               nullptr, nullptr);
  ctx->limitStatus = checkDimensions("PNG", width, height);
  if (!ctx->limitStatus.isOk()) {
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }

  ctx->gray16 = colorType == PNG_COLOR_TYPE_GRAY && bitDepth == 16;
  if (colorType == PNG_COLOR_TYPE_PALETTE)
    png_set_palette_to_rgb(png); // also turns tRNS into alpha, stripped below
  if (colorType == PNG_COLOR_TYPE_GRAY && bitDepth < 8)
    png_set_expand_gray_1_2_4_to_8(png);
  if (bitDepth == 16 && !ctx->gray16)
    png_set_strip_16(png); // the high byte, as Pillow's ";16B" unpackers
  png_set_strip_alpha(png);
  if (!ctx->gray16 && (colorType == PNG_COLOR_TYPE_GRAY ||
                       colorType == PNG_COLOR_TYPE_GRAY_ALPHA))
    png_set_gray_to_rgb(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);

  const size_t rowBytes = png_get_rowbytes(png, info);
  const size_t expected = static_cast<size_t>(width) * (ctx->gray16 ? 2 : 3);
  if (rowBytes != expected) {
    std::snprintf(ctx->error, sizeof ctx->error,
                  "unexpected PNG row size after conversion");
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  ctx->pixels->resize(rowBytes * height);
  ctx->rows->resize(height);
  for (png_uint_32 y = 0; y < height; ++y)
    (*ctx->rows)[y] = ctx->pixels->data() + rowBytes * y;
  png_read_image(png, ctx->rows->data());
  // The end chunk is not needed for the pixels; Pillow does not insist on
  // IEND either.
  png_destroy_read_struct(&png, &info, nullptr);
  ctx->width = width;
  ctx->height = height;
  return true;
}

} // namespace

Result<RgbImage> decodePng(std::string_view bytes) {
  std::vector<uint8_t> pixels;
  std::vector<png_bytep> rows;
  PngContext ctx;
  ctx.data = reinterpret_cast<const uint8_t *>(bytes.data());
  ctx.size = bytes.size();
  ctx.pixels = &pixels;
  ctx.rows = &rows;
  if (!readPng(&ctx)) {
    if (!ctx.limitStatus.isOk())
      return ctx.limitStatus;
    if (ctx.truncated)
      return dataLoss("PNG: truncated data");
    return dataLoss(std::string("PNG: ") + ctx.error);
  }
  RgbImage img;
  img.width = static_cast<int>(ctx.width);
  img.height = static_cast<int>(ctx.height);
  if (!ctx.gray16) {
    img.pixels = std::move(pixels);
    return img;
  }
  img.pixels.resize(static_cast<size_t>(img.width) * img.height * 3);
  for (size_t i = 0, n = static_cast<size_t>(img.width) * img.height; i < n;
       ++i) {
    // PNG samples are big-endian.
    const unsigned v = unsigned(pixels[i * 2]) << 8 | pixels[i * 2 + 1];
    const uint8_t g = v > 255 ? 255 : static_cast<uint8_t>(v);
    img.pixels[i * 3] = img.pixels[i * 3 + 1] = img.pixels[i * 3 + 2] = g;
  }
  return img;
}

} // namespace vlmc::image::detail
