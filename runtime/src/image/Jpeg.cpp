// JPEG through libjpeg-turbo with its default decoding settings (islow IDCT,
// fancy upsampling), which are also Pillow's, so the same library version
// gives the same pixels. Conversions to RGB as Pillow does them:
//   * grayscale -> replicated;
//   * YCbCr / RGB -> libjpeg's RGB output;
//   * CMYK / YCCK -> Pillow reads 4-component JPEGs as inverted ("CMYK;I",
//     Adobe's convention) and converts with rgb = nk - nk * c / 255
//     (nk = 255 - k) in its fixed-point MULDIV255.
// A truncated file (libjpeg's "premature end of data" warning) is an error, as
// in Pillow without LOAD_TRUNCATED_IMAGES; other libjpeg warnings about
// corrupt data are ignored, as Pillow ignores them.
//
// libjpeg reports errors by longjmp: the setjmp frame (readJpeg) holds only C
// structs and scalars, so the jump skips no destructor.
#include "Decoders.h"

#include <cstdio>
// jpeglib.h needs size_t and FILE declared first.
#include <jerror.h>
#include <jpeglib.h>

#include <csetjmp>
#include <cstring>
#include <vector>

namespace vlmc::image::detail {

namespace {

struct JpegError {
  jpeg_error_mgr mgr; // first member: libjpeg hands us a jpeg_error_mgr*
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  bool truncated;
};

void jpegErrorExit(j_common_ptr cinfo) {
  auto *err = reinterpret_cast<JpegError *>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

void jpegEmitMessage(j_common_ptr cinfo, int level) {
  // level -1 is a warning; we only care about running out of data.
  if (level == -1 && cinfo->err->msg_code == JWRN_JPEG_EOF)
    reinterpret_cast<JpegError *>(cinfo->err)->truncated = true;
}

void jpegOutputMessage(j_common_ptr) {} // never print to stderr

struct JpegContext {
  const uint8_t *data = nullptr;
  size_t size = 0;
  uint32_t width = 0, height = 0;
  int components = 0;
  bool cmyk = false;
  Status limitStatus;
  std::vector<uint8_t> *pixels = nullptr; // owned by the caller
  JpegError err;
};

bool readJpeg(JpegContext *ctx) {
  jpeg_decompress_struct cinfo;
  std::memset(&cinfo, 0, sizeof cinfo);
  cinfo.err = jpeg_std_error(&ctx->err.mgr);
  ctx->err.mgr.error_exit = jpegErrorExit;
  ctx->err.mgr.emit_message = jpegEmitMessage;
  ctx->err.mgr.output_message = jpegOutputMessage;
  ctx->err.truncated = false;
  ctx->err.message[0] = 0;
  if (setjmp(ctx->err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, ctx->data, static_cast<unsigned long>(ctx->size));
  if (jpeg_read_header(&cinfo, TRUE) != JPEG_HEADER_OK) {
    std::snprintf(ctx->err.message, sizeof ctx->err.message,
                  "no image in the data (tables only)");
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  ctx->limitStatus =
      checkDimensions("JPEG", cinfo.image_width, cinfo.image_height);
  if (!ctx->limitStatus.isOk()) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  switch (cinfo.jpeg_color_space) {
  case JCS_GRAYSCALE:
    cinfo.out_color_space = JCS_GRAYSCALE;
    break;
  case JCS_CMYK:
  case JCS_YCCK:
    cinfo.out_color_space = JCS_CMYK;
    ctx->cmyk = true;
    break;
  default:
    cinfo.out_color_space = JCS_RGB;
    break;
  }
  jpeg_start_decompress(&cinfo);
  const int components = cinfo.output_components;
  const size_t rowBytes = static_cast<size_t>(cinfo.output_width) * components;
  ctx->pixels->resize(rowBytes * cinfo.output_height);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = ctx->pixels->data() + rowBytes * cinfo.output_scanline;
    if (jpeg_read_scanlines(&cinfo, &row, 1) != 1)
      break; // suspension cannot happen with a memory source; be safe
  }
  ctx->width = cinfo.output_width;
  ctx->height = cinfo.output_height;
  ctx->components = components;
  // Trailing data after the last scan (or a missing EOI) does not matter.
  jpeg_abort_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return ctx->height > 0;
}

// Pillow's MULDIV255: (a * b + 128) * 257 >> 16, in its shift form.
inline int mulDiv255(int a, int b) {
  int t = a * b + 128;
  return ((t >> 8) + t) >> 8;
}

} // namespace

Result<RgbImage> decodeJpeg(std::string_view bytes) {
  std::vector<uint8_t> pixels;
  JpegContext ctx;
  ctx.data = reinterpret_cast<const uint8_t *>(bytes.data());
  ctx.size = bytes.size();
  ctx.pixels = &pixels;
  bool ok = readJpeg(&ctx);
  if (!ctx.limitStatus.isOk())
    return ctx.limitStatus;
  if (ctx.err.truncated)
    return dataLoss("JPEG: truncated data");
  if (!ok)
    return dataLoss(std::string("JPEG: ") +
                    (ctx.err.message[0] ? ctx.err.message : "cannot decode"));
  RgbImage img(static_cast<int>(ctx.width), static_cast<int>(ctx.height));
  const size_t n = static_cast<size_t>(img.width) * img.height;
  if (ctx.components == 3) {
    img.pixels = std::move(pixels);
  } else if (ctx.components == 1) {
    for (size_t i = 0; i < n; ++i)
      img.pixels[i * 3] = img.pixels[i * 3 + 1] = img.pixels[i * 3 + 2] =
          pixels[i];
  } else if (ctx.components == 4 && ctx.cmyk) {
    for (size_t i = 0; i < n; ++i) {
      const uint8_t *p = &pixels[i * 4];
      const int nk = p[3]; // 255 - inverted k
      for (int c = 0; c < 3; ++c) {
        int v = nk - mulDiv255(255 - p[c], nk);
        img.pixels[i * 3 + c] = static_cast<uint8_t>(v < 0 ? 0 : v);
      }
    }
  } else {
    return Status(StatusCode::kUnimplemented,
                  "JPEG: unsupported number of color components " +
                      std::to_string(ctx.components));
  }
  return img;
}

} // namespace vlmc::image::detail
