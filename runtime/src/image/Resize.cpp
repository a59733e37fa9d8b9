// Pillow's 8-bit resampling (libImaging/Resample.c), re-derived operation by
// operation so that the rounding is the same:
//   * weights are computed in double from the filter at
//     (i + xmin - center + 0.5) / filterscale, where center =
//     in0 + (out + 0.5) * scale and filterscale = max(scale, 1) (the
//     antialiasing: the kernel is stretched when shrinking);
//   * each output's weights are divided by their sum, then turned into
//     22-bit fixed point with round-half-away-from-zero by truncation;
//   * a pass accumulates uint8 * weight in int32 starting from 0.5 (1 << 21)
//     and keeps (sum >> 22) clamped to [0, 255];
//   * horizontal first, into a uint8 intermediate, then vertical; a pass whose
//     size does not change is skipped.
// The library is compiled with -ffp-contract=off: a fused multiply-add would
// round differently from Pillow's separate multiply and add.
#include "vlmc/image/Resize.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

namespace vlmc::image {

namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;
constexpr double kPi = 3.14159265358979323846; // M_PI

// The filters, written with the same expression trees as Pillow's so the
// doubles come out identical.
double boxFilter(double x) { return (x > -0.5 && x <= 0.5) ? 1.0 : 0.0; }

double bilinearFilter(double x) {
  if (x < 0.0)
    x = -x;
  return x < 1.0 ? 1.0 - x : 0.0;
}

double hammingFilter(double x) {
  if (x < 0.0)
    x = -x;
  if (x == 0.0)
    return 1.0;
  if (x >= 1.0)
    return 0.0;
  x = x * kPi;
  // Pillow writes the constants as float literals (0.54f, 0.46f).
  return std::sin(x) / x * (0.54f + 0.46f * std::cos(x));
}

double bicubicFilter(double x) {
  // Keys' cubic convolution with a = -0.5.
  const double a = -0.5;
  if (x < 0.0)
    x = -x;
  if (x < 1.0)
    return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0)
    return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

double sincFilter(double x) {
  if (x == 0.0)
    return 1.0;
  x = x * kPi;
  return std::sin(x) / x;
}

double lanczosFilter(double x) {
  // Truncated sinc, 3 lobes.
  if (-3.0 <= x && x < 3.0)
    return sincFilter(x) * sincFilter(x / 3);
  return 0.0;
}

struct Filter {
  double (*fn)(double);
  double support;
};

Filter filterFor(PilFilter f) {
  switch (f) {
  case PilFilter::kBox:
    return {boxFilter, 0.5};
  case PilFilter::kBilinear:
    return {bilinearFilter, 1.0};
  case PilFilter::kHamming:
    return {hammingFilter, 1.0};
  case PilFilter::kBicubic:
    return {bicubicFilter, 2.0};
  case PilFilter::kLanczos:
    break;
  }
  return {lanczosFilter, 3.0};
}

// Per output index: the first input index and the fixed-point weights of the
// inputs it reads (ksize slots each, the unused ones zero).
struct Coefficients {
  int ksize = 0;
  std::vector<int> first;
  std::vector<int> count;
  std::vector<int32_t> weights;
};

Coefficients precompute(int inSize, float in0, float in1, int outSize,
                        const Filter &filter) {
  Coefficients c;
  double scale = static_cast<double>(in1 - in0) / outSize;
  double filterscale = scale < 1.0 ? 1.0 : scale;
  double support = filter.support * filterscale;
  c.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  c.first.resize(outSize);
  c.count.resize(outSize);
  c.weights.assign(static_cast<size_t>(outSize) * c.ksize, 0);
  std::vector<double> k(c.ksize);
  for (int xx = 0; xx < outSize; ++xx) {
    double center = in0 + (xx + 0.5) * scale;
    double ww = 0.0;
    double ss = 1.0 / filterscale;
    // Truncation toward zero, as Pillow's (int) casts.
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0)
      xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > inSize)
      xmax = inSize;
    xmax -= xmin;
    if (xmax < 0)
      xmax = 0;
    for (int x = 0; x < xmax; ++x) {
      double w = filter.fn((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    int32_t *out = &c.weights[static_cast<size_t>(xx) * c.ksize];
    for (int x = 0; x < xmax; ++x) {
      double v = ww != 0.0 ? k[x] / ww : k[x];
      out[x] = v < 0 ? static_cast<int32_t>(-0.5 + v * (1 << kPrecisionBits))
                     : static_cast<int32_t>(0.5 + v * (1 << kPrecisionBits));
    }
    c.first[xx] = xmin;
    c.count[xx] = xmax;
  }
  return c;
}

inline uint8_t clip8(int32_t acc) {
  // Arithmetic shift (floor), then Pillow's clip table.
  int32_t v = acc >> kPrecisionBits;
  return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

// Horizontal pass over rows [y0, y0 + rows) of `in`.
RgbImage resampleHorizontal(const RgbImage &in, int y0, int rows,
                            const Coefficients &c, int outWidth) {
  RgbImage out(outWidth, rows);
  for (int y = 0; y < rows; ++y) {
    const uint8_t *src = in.at(0, y0 + y);
    uint8_t *dst = out.at(0, y);
    for (int xx = 0; xx < outWidth; ++xx) {
      const int32_t *k = &c.weights[static_cast<size_t>(xx) * c.ksize];
      const uint8_t *p = src + static_cast<size_t>(c.first[xx]) * 3;
      int32_t s0 = 1 << (kPrecisionBits - 1), s1 = s0, s2 = s0;
      for (int x = 0; x < c.count[xx]; ++x) {
        s0 += p[x * 3 + 0] * k[x];
        s1 += p[x * 3 + 1] * k[x];
        s2 += p[x * 3 + 2] * k[x];
      }
      dst[xx * 3 + 0] = clip8(s0);
      dst[xx * 3 + 1] = clip8(s1);
      dst[xx * 3 + 2] = clip8(s2);
    }
  }
  return out;
}

// Vertical pass; `c.first` indexes rows of `in` shifted by `rowOffset`.
RgbImage resampleVertical(const RgbImage &in, int rowOffset,
                          const Coefficients &c, int outHeight) {
  RgbImage out(in.width, outHeight);
  const size_t rowBytes = static_cast<size_t>(in.width) * 3;
  for (int yy = 0; yy < outHeight; ++yy) {
    const int32_t *k = &c.weights[static_cast<size_t>(yy) * c.ksize];
    const int ymin = c.first[yy] - rowOffset;
    uint8_t *dst = out.at(0, yy);
    for (size_t i = 0; i < rowBytes; ++i) {
      int32_t s = 1 << (kPrecisionBits - 1);
      for (int y = 0; y < c.count[yy]; ++y)
        s += in.pixels[static_cast<size_t>(ymin + y) * rowBytes + i] * k[y];
      dst[i] = clip8(s);
    }
  }
  return out;
}

} // namespace

Result<PilFilter> pilFilterFromInt(int resample) {
  switch (resample) {
  case 1:
  case 2:
  case 3:
  case 4:
  case 5:
    return static_cast<PilFilter>(resample);
  case 0:
    return Status(StatusCode::kUnimplemented,
                  "resample 0 (NEAREST) is not supported");
  default:
    return invalidArgument("unknown PIL resample filter " +
                           std::to_string(resample));
  }
}

Result<RgbImage> resizePil(const RgbImage &img, int width, int height,
                           PilFilter filter) {
  if (img.width <= 0 || img.height <= 0 ||
      img.pixels.size() != static_cast<size_t>(img.width) * img.height * 3)
    return invalidArgument("resize: empty or inconsistent input image");
  if (width <= 0 || height <= 0)
    return invalidArgument("resize: target size " + std::to_string(width) +
                           "x" + std::to_string(height) + " must be positive");
  if (static_cast<int64_t>(width) * height > kMaxDecodedPixels)
    return Status(StatusCode::kResourceExhausted,
                  "resize: target size " + std::to_string(width) + "x" +
                      std::to_string(height) + " is too large");
  // Pillow returns a copy when nothing changes.
  if (width == img.width && height == img.height)
    return img;

  const Filter f = filterFor(filter);
  const bool needHorizontal = width != img.width;
  const bool needVertical = height != img.height;

  Coefficients vert;
  int firstRow = 0, lastRow = img.height;
  if (needVertical) {
    vert =
        precompute(img.height, 0.0f, static_cast<float>(img.height), height, f);
    // Only the rows the vertical pass reads need the horizontal pass.
    firstRow = vert.first[0];
    lastRow = vert.first[height - 1] + vert.count[height - 1];
  }
  if (!needHorizontal)
    return resampleVertical(img, 0, vert, height);

  Coefficients horiz =
      precompute(img.width, 0.0f, static_cast<float>(img.width), width, f);
  RgbImage tmp =
      resampleHorizontal(img, firstRow, lastRow - firstRow, horiz, width);
  if (!needVertical)
    return tmp;
  return resampleVertical(tmp, firstRow, vert, height);
}

Result<RgbImage> resizeBicubicPil(const RgbImage &img, int width, int height) {
  return resizePil(img, width, height, PilFilter::kBicubic);
}

Result<RgbImage> resizeLanczosPil(const RgbImage &img, int width, int height) {
  return resizePil(img, width, height, PilFilter::kLanczos);
}

} // namespace vlmc::image
