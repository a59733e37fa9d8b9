// Qwen2VLImageProcessorPil, step by step (transformers 5.x,
// models/qwen2_vl/image_processing_pil_qwen2_vl.py).
#include "vlmc/image/Qwen.h"

#include "Normalize.h"
#include "ProcessorJson.h"

#include <algorithm>
#include <cmath>

namespace vlmc::image {

namespace {

Status validate(const QwenProcessorConfig &c) {
  if (c.patchSize <= 0 || c.mergeSize <= 0 || c.temporalPatchSize <= 0 ||
      c.patchSize > 4096 || c.mergeSize > 64 || c.temporalPatchSize > 64)
    return invalidArgument("Qwen image processor: patch_size, merge_size and "
                           "temporal_patch_size must be small positive "
                           "integers");
  if (c.minPixels < 0 || c.maxPixels <= 0 || c.minPixels > c.maxPixels)
    return invalidArgument("Qwen image processor: need 0 <= min_pixels <= "
                           "max_pixels and max_pixels > 0");
  for (double s : c.imageStd)
    if (c.doNormalize && static_cast<float>(s) == 0.0f)
      return invalidArgument("Qwen image processor: image_std has a zero");
  return Status::ok();
}

// Python's round() on a float: half to even. nearbyint uses the current
// rounding mode, which is round-to-nearest-even unless someone changed it.
int64_t pyRound(double x) { return static_cast<int64_t>(std::nearbyint(x)); }

} // namespace

Result<QwenProcessorConfig> parseQwenProcessorConfig(std::string_view json) {
  Result<nlohmann::json> root =
      detail::parseJsonObject(json, "Qwen processor config");
  if (!root)
    return root.status();
  const nlohmann::json &j = detail::imageProcessorSection(*root);
  QwenProcessorConfig c;
  auto size = j.find("size");
  if (size != j.end() && !size->is_null()) {
    if (!size->is_object())
      return invalidArgument("'size' must be an object");
    // Legacy spelling first, so that the current one wins when both exist.
    VLMC_RETURN_IF_ERROR(detail::getInt(*size, "min_pixels", c.minPixels));
    VLMC_RETURN_IF_ERROR(detail::getInt(*size, "max_pixels", c.maxPixels));
    VLMC_RETURN_IF_ERROR(detail::getInt(*size, "shortest_edge", c.minPixels));
    VLMC_RETURN_IF_ERROR(detail::getInt(*size, "longest_edge", c.maxPixels));
  }
  // Top-level min_pixels / max_pixels override size, as in transformers.
  VLMC_RETURN_IF_ERROR(detail::getInt(j, "min_pixels", c.minPixels));
  VLMC_RETURN_IF_ERROR(detail::getInt(j, "max_pixels", c.maxPixels));
  VLMC_RETURN_IF_ERROR(detail::getInt(j, "patch_size", c.patchSize));
  VLMC_RETURN_IF_ERROR(
      detail::getInt(j, "temporal_patch_size", c.temporalPatchSize));
  VLMC_RETURN_IF_ERROR(detail::getInt(j, "merge_size", c.mergeSize));
  VLMC_RETURN_IF_ERROR(detail::getTriple(j, "image_mean", c.imageMean));
  VLMC_RETURN_IF_ERROR(detail::getTriple(j, "image_std", c.imageStd));
  VLMC_RETURN_IF_ERROR(detail::getDouble(j, "rescale_factor", c.rescaleFactor));
  VLMC_RETURN_IF_ERROR(detail::getBool(j, "do_resize", c.doResize));
  VLMC_RETURN_IF_ERROR(detail::getBool(j, "do_rescale", c.doRescale));
  VLMC_RETURN_IF_ERROR(detail::getBool(j, "do_normalize", c.doNormalize));
  VLMC_RETURN_IF_ERROR(detail::getResample(j, c.resample));
  VLMC_RETURN_IF_ERROR(validate(c));
  return c;
}

Result<QwenProcessorConfig>
loadQwenProcessorConfig(const std::string &modelDir) {
  std::string path = modelDir + "/preprocessor_config.json";
  if (!detail::fileExists(path))
    path = modelDir + "/processor_config.json";
  Result<std::string> text = detail::readTextFile(path);
  if (!text)
    return text.status();
  Result<QwenProcessorConfig> c = parseQwenProcessorConfig(*text);
  if (!c)
    return c.status().withContext(path);
  return c;
}

Result<QwenSize> smartResize(int height, int width, int factor,
                             int64_t minPixels, int64_t maxPixels) {
  if (height <= 0 || width <= 0)
    return invalidArgument("smart_resize: image size " + std::to_string(width) +
                           "x" + std::to_string(height) + " must be positive");
  if (factor <= 0)
    return invalidArgument("smart_resize: factor must be positive");
  const double ratio = static_cast<double>(std::max(height, width)) /
                       static_cast<double>(std::min(height, width));
  if (ratio > 200)
    return invalidArgument("smart_resize: absolute aspect ratio must be "
                           "smaller than 200, got " +
                           std::to_string(ratio) + " (" +
                           std::to_string(width) + "x" +
                           std::to_string(height) + ")");
  // Python: h * w is an exact integer and int / int is a correctly rounded
  // true division; both operands are below 2^53, so double division is the
  // same.
  const double area = static_cast<double>(int64_t(height) * width);
  int64_t hBar = pyRound(static_cast<double>(height) / factor) * factor;
  int64_t wBar = pyRound(static_cast<double>(width) / factor) * factor;
  if (hBar * wBar > maxPixels) {
    const double beta = std::sqrt(area / static_cast<double>(maxPixels));
    hBar = std::max<int64_t>(
        factor,
        static_cast<int64_t>(std::floor(height / beta / factor)) * factor);
    wBar = std::max<int64_t>(
        factor,
        static_cast<int64_t>(std::floor(width / beta / factor)) * factor);
  } else if (hBar * wBar < minPixels) {
    const double beta = std::sqrt(static_cast<double>(minPixels) / area);
    hBar = static_cast<int64_t>(std::ceil(height * beta / factor)) * factor;
    wBar = static_cast<int64_t>(std::ceil(width * beta / factor)) * factor;
  }
  if (hBar <= 0 || wBar <= 0 || hBar > INT32_MAX || wBar > INT32_MAX)
    return invalidArgument("smart_resize: no valid size for " +
                           std::to_string(width) + "x" +
                           std::to_string(height));
  return QwenSize{static_cast<int>(hBar), static_cast<int>(wBar)};
}

Result<QwenImage> processQwen(const RgbImage &img,
                              const QwenProcessorConfig &cfg) {
  VLMC_RETURN_IF_ERROR(validate(cfg));
  if (img.width <= 0 || img.height <= 0 ||
      img.pixels.size() != static_cast<size_t>(img.width) * img.height * 3)
    return invalidArgument("Qwen image processor: empty or inconsistent image");
  const int patch = cfg.patchSize, merge = cfg.mergeSize;
  const int temporal = cfg.temporalPatchSize;
  const int factor = patch * merge;

  RgbImage resizedStorage;
  const RgbImage *src = &img;
  if (cfg.doResize) {
    Result<QwenSize> size = smartResize(img.height, img.width, factor,
                                        cfg.minPixels, cfg.maxPixels);
    if (!size)
      return size.status();
    if (size->height != img.height || size->width != img.width) {
      Result<RgbImage> r =
          resizePil(img, size->width, size->height, cfg.resample);
      if (!r)
        return r.status();
      resizedStorage = std::move(*r);
      src = &resizedStorage;
    }
  } else if (img.height % factor != 0 || img.width % factor != 0) {
    // transformers' reshape would fail the same way.
    return invalidArgument("Qwen image processor: without resizing, the image "
                           "sides must be multiples of patch_size * "
                           "merge_size (" +
                           std::to_string(factor) + ")");
  }

  const detail::ChannelLut lut =
      detail::makeNormalizeLut(cfg.doRescale, cfg.rescaleFactor,
                               cfg.doNormalize, cfg.imageMean, cfg.imageStd);
  QwenImage out;
  out.resized = {src->height, src->width};
  const int gh = src->height / patch, gw = src->width / patch;
  out.grid = {1, gh, gw};
  out.patches = int64_t(gh) * gw;
  out.patchDim = int64_t(3) * temporal * patch * patch;
  out.numImageTokens = out.patches / (int64_t(merge) * merge);
  out.pixelValues.resize(static_cast<size_t>(out.patches * out.patchDim));

  // Rows in 2x2 (merge x merge) window order: windows row-major over the
  // image, then the patches of a window row-major. Within a row: channel,
  // then the (repeated) frame, then the patch's pixel row and column.
  float *dst = out.pixelValues.data();
  for (int bh = 0; bh < gh / merge; ++bh)
    for (int bw = 0; bw < gw / merge; ++bw)
      for (int mh = 0; mh < merge; ++mh)
        for (int mw = 0; mw < merge; ++mw) {
          const int y0 = (bh * merge + mh) * patch;
          const int x0 = (bw * merge + mw) * patch;
          for (int c = 0; c < 3; ++c)
            for (int t = 0; t < temporal; ++t)
              for (int py = 0; py < patch; ++py) {
                const uint8_t *row = src->at(x0, y0 + py);
                for (int px = 0; px < patch; ++px)
                  *dst++ = lut[c][row[px * 3 + c]];
              }
        }
  return out;
}

} // namespace vlmc::image
