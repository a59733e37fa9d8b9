// Idefics3ImageProcessorPil and Idefics3Processor's prompt expansion
// (transformers 5.x, models/idefics3/image_processing_pil_idefics3.py and
// processing_idefics3.py). Sizes are computed with the same float64
// divisions and int() truncations as the Python.
#include "vlmc/image/Idefics3.h"

#include "Normalize.h"
#include "ProcessorJson.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace vlmc::image {

namespace {

// transformers' MAX_IMAGE_SIZE: "4k resolution as absolute maximum".
constexpr int kMaxImageSide = 4096;

struct Size {
  int64_t height, width;
};

// _resize_output_size_rescale_to_max_len: longest edge to maxLen, the other
// side int()-truncated and bumped to even.
Size rescaleToMaxLen(int64_t height, int64_t width, int64_t maxLen) {
  const double aspect =
      static_cast<double>(width) / static_cast<double>(height);
  if (width >= height) {
    width = maxLen;
    height = static_cast<int64_t>(static_cast<double>(width) / aspect);
    if (height % 2 != 0)
      ++height;
  } else {
    height = maxLen;
    width = static_cast<int64_t>(static_cast<double>(height) * aspect);
    if (width % 2 != 0)
      ++width;
  }
  return {std::max<int64_t>(height, 1), std::max<int64_t>(width, 1)};
}

// _resize_output_size_scale_below_upper_bound.
Size scaleBelowUpperBound(int64_t height, int64_t width, int64_t maxLen) {
  const double aspect =
      static_cast<double>(width) / static_cast<double>(height);
  if (width >= height && width > maxLen) {
    width = maxLen;
    height = static_cast<int64_t>(static_cast<double>(width) / aspect);
  } else if (height > width && height > maxLen) {
    height = maxLen;
    width = static_cast<int64_t>(static_cast<double>(height) * aspect);
  }
  return {std::max<int64_t>(height, 1), std::max<int64_t>(width, 1)};
}

// resize_for_vision_encoder: both sides up to multiples of the tile side.
Size visionEncoderSize(int64_t height, int64_t width, int64_t tile) {
  const double aspect =
      static_cast<double>(width) / static_cast<double>(height);
  auto ceilTo = [tile](double v) {
    return static_cast<int64_t>(std::ceil(v / static_cast<double>(tile))) *
           tile;
  };
  if (width >= height) {
    width = ceilTo(static_cast<double>(width));
    height = static_cast<int64_t>(static_cast<double>(width) / aspect);
    height = ceilTo(static_cast<double>(height));
  } else {
    height = ceilTo(static_cast<double>(height));
    width = static_cast<int64_t>(static_cast<double>(height) * aspect);
    width = ceilTo(static_cast<double>(width));
  }
  return {height, width};
}

Result<RgbImage> resizeTo(const RgbImage &img, Size s, PilFilter filter) {
  if (s.height <= 0 || s.width <= 0 || s.height > INT32_MAX ||
      s.width > INT32_MAX)
    return invalidArgument("Idefics3 image processor: invalid resize target " +
                           std::to_string(s.width) + "x" +
                           std::to_string(s.height));
  return resizePil(img, static_cast<int>(s.width), static_cast<int>(s.height),
                   filter);
}

RgbImage crop(const RgbImage &img, int x0, int y0, int w, int h) {
  RgbImage out(w, h);
  for (int y = 0; y < h; ++y)
    std::memcpy(out.at(0, y), img.at(x0, y0 + y), static_cast<size_t>(w) * 3);
  return out;
}

Status validate(const Idefics3ProcessorConfig &c) {
  if (c.longestEdge <= 0 || c.maxImageSize <= 0 ||
      c.maxImageSize > kMaxImageSide)
    return invalidArgument("Idefics3 image processor: size.longest_edge and "
                           "max_image_size.longest_edge must be positive (and "
                           "the tile at most 4096)");
  if (c.imageSeqLen < 0)
    return invalidArgument("Idefics3 processor: image_seq_len is negative");
  for (double s : c.imageStd)
    if (c.doNormalize && static_cast<float>(s) == 0.0f)
      return invalidArgument("Idefics3 image processor: image_std has a zero");
  return Status::ok();
}

Status getLongestEdge(const nlohmann::json &j, const char *key, int &out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null())
    return Status::ok();
  if (!it->is_object())
    return invalidArgument(std::string("'") + key + "' must be an object");
  if (!it->contains("longest_edge"))
    return Status(StatusCode::kUnimplemented,
                  std::string("'") + key +
                      "' without 'longest_edge' is not supported");
  return detail::getInt(*it, "longest_edge", out).withContext(key);
}

Status applyJson(const nlohmann::json &root, Idefics3ProcessorConfig &c) {
  const nlohmann::json &j = detail::imageProcessorSection(root);
  VLMC_RETURN_IF_ERROR(getLongestEdge(j, "size", c.longestEdge));
  VLMC_RETURN_IF_ERROR(getLongestEdge(j, "max_image_size", c.maxImageSize));
  VLMC_RETURN_IF_ERROR(
      detail::getBool(j, "do_image_splitting", c.doImageSplitting));
  VLMC_RETURN_IF_ERROR(detail::getBool(j, "do_resize", c.doResize));
  VLMC_RETURN_IF_ERROR(detail::getBool(j, "do_rescale", c.doRescale));
  VLMC_RETURN_IF_ERROR(detail::getBool(j, "do_normalize", c.doNormalize));
  VLMC_RETURN_IF_ERROR(detail::getBool(j, "do_pad", c.doPad));
  VLMC_RETURN_IF_ERROR(detail::getDouble(j, "rescale_factor", c.rescaleFactor));
  VLMC_RETURN_IF_ERROR(detail::getTriple(j, "image_mean", c.imageMean));
  VLMC_RETURN_IF_ERROR(detail::getTriple(j, "image_std", c.imageStd));
  VLMC_RETURN_IF_ERROR(detail::getResample(j, c.resample));
  // image_seq_len belongs to the processor, at the top level.
  VLMC_RETURN_IF_ERROR(detail::getInt(root, "image_seq_len", c.imageSeqLen));
  return Status::ok();
}

} // namespace

Result<Idefics3ProcessorConfig>
parseIdefics3ProcessorConfig(std::string_view json) {
  Result<nlohmann::json> root =
      detail::parseJsonObject(json, "Idefics3 processor config");
  if (!root)
    return root.status();
  Idefics3ProcessorConfig c;
  VLMC_RETURN_IF_ERROR(applyJson(*root, c));
  VLMC_RETURN_IF_ERROR(validate(c));
  return c;
}

Result<Idefics3ProcessorConfig>
loadIdefics3ProcessorConfig(const std::string &modelDir) {
  Idefics3ProcessorConfig c;
  bool found = false;
  // preprocessor_config.json first, then processor_config.json on top: the
  // latter holds image_seq_len, and in recent saves the image settings too.
  for (const char *name :
       {"preprocessor_config.json", "processor_config.json"}) {
    const std::string path = modelDir + "/" + name;
    if (!detail::fileExists(path))
      continue;
    found = true;
    Result<std::string> text = detail::readTextFile(path);
    if (!text)
      return text.status();
    Result<nlohmann::json> root =
        detail::parseJsonObject(*text, "Idefics3 processor config");
    if (!root)
      return root.status().withContext(path);
    VLMC_RETURN_IF_ERROR(applyJson(*root, c).withContext(path));
  }
  if (!found)
    return notFound(
        "no preprocessor_config.json or processor_config.json in '" + modelDir +
        "'");
  VLMC_RETURN_IF_ERROR(validate(c));
  return c;
}

Result<Idefics3Image> processIdefics3(const RgbImage &img,
                                      const Idefics3ProcessorConfig &cfg) {
  VLMC_RETURN_IF_ERROR(validate(cfg));
  if (img.width <= 0 || img.height <= 0 ||
      img.pixels.size() != static_cast<size_t>(img.width) * img.height * 3)
    return invalidArgument("Idefics3 image processor: empty or inconsistent "
                           "image");
  const int tile = cfg.maxImageSize;

  RgbImage current = img;
  if (cfg.doResize) {
    Size s = rescaleToMaxLen(current.height, current.width, cfg.longestEdge);
    s = scaleBelowUpperBound(s.height, s.width, kMaxImageSide);
    Result<RgbImage> r = resizeTo(current, s, cfg.resample);
    if (!r)
      return r.status();
    current = std::move(*r);
  }

  Idefics3Image out;
  std::vector<RgbImage> frames;
  if (cfg.doImageSplitting) {
    Size s = visionEncoderSize(current.height, current.width, tile);
    Result<RgbImage> r = resizeTo(current, s, cfg.resample);
    if (!r)
      return r.status();
    current = std::move(*r);
    if (current.height > tile || current.width > tile) {
      // Both sides are multiples of the tile here, so the tiles cover the
      // image exactly.
      out.rows = (current.height - tile) / tile + 1;
      out.cols = (current.width - tile) / tile + 1;
      for (int r0 = 0; r0 < out.rows; ++r0)
        for (int c0 = 0; c0 < out.cols; ++c0)
          frames.push_back(crop(current, c0 * tile, r0 * tile, tile, tile));
      Result<RgbImage> global = resizeTo(current, {tile, tile}, cfg.resample);
      if (!global)
        return global.status();
      frames.push_back(std::move(*global));
    } else {
      frames.push_back(std::move(current));
    }
  } else {
    Result<RgbImage> r = resizeTo(current, {tile, tile}, cfg.resample);
    if (!r)
      return r.status();
    frames.push_back(std::move(*r));
  }

  // Pad every frame to the largest one (bottom/right zeros, mask 0 there).
  // For one image the frames are all tile x tile, so this only matters for
  // the mask's shape.
  int padH = 0, padW = 0;
  for (const RgbImage &f : frames) {
    padH = std::max(padH, f.height);
    padW = std::max(padW, f.width);
  }
  if (padH != padW)
    return internalError("Idefics3 image processor: non-square padded tile");
  const detail::ChannelLut lut =
      detail::makeNormalizeLut(cfg.doRescale, cfg.rescaleFactor,
                               cfg.doNormalize, cfg.imageMean, cfg.imageStd);
  const size_t plane = static_cast<size_t>(padH) * padW;
  out.tiles = static_cast<int64_t>(frames.size());
  out.tileSize = padH;
  out.pixelValues.assign(frames.size() * 3 * plane, 0.0f);
  out.pixelMask.assign(frames.size() * plane, 0);
  for (size_t t = 0; t < frames.size(); ++t) {
    const RgbImage &f = frames[t];
    float *dst = &out.pixelValues[t * 3 * plane];
    uint8_t *mask = &out.pixelMask[t * plane];
    for (int y = 0; y < f.height; ++y)
      for (int x = 0; x < f.width; ++x) {
        const uint8_t *p = f.at(x, y);
        const size_t i = static_cast<size_t>(y) * padW + x;
        for (int c = 0; c < 3; ++c)
          dst[c * plane + i] = lut[c][p[c]];
        mask[i] = 1;
      }
  }
  return out;
}

std::string idefics3ImagePrompt(int rows, int cols, int imageSeqLen) {
  static const std::string kFake = "<fake_token_around_image>";
  static const std::string kImage = "<image>";
  static const std::string kGlobal = "<global-img>";
  std::string image;
  for (int i = 0; i < imageSeqLen; ++i)
    image += kImage;
  std::string s;
  if (rows == 0 && cols == 0)
    return kFake + kGlobal + image + kFake;
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c)
      s += kFake + "<row_" + std::to_string(r + 1) + "_col_" +
           std::to_string(c + 1) + ">" + image;
    s += "\n";
  }
  s += "\n" + kFake + kGlobal + image + kFake;
  return s;
}

Result<std::string>
expandIdefics3Prompt(std::string_view text,
                     const std::vector<Idefics3Image> &images,
                     int imageSeqLen) {
  static constexpr std::string_view kImage = "<image>";
  std::string out;
  size_t pos = 0, used = 0;
  for (;;) {
    size_t hit = text.find(kImage, pos);
    if (hit == std::string_view::npos)
      break;
    if (used == images.size())
      return invalidArgument(
          "the prompt has more <image> tokens than images (" +
          std::to_string(images.size()) + ")");
    out.append(text.substr(pos, hit - pos));
    out +=
        idefics3ImagePrompt(images[used].rows, images[used].cols, imageSeqLen);
    ++used;
    pos = hit + kImage.size();
  }
  if (used != images.size())
    return invalidArgument("the prompt has " + std::to_string(used) +
                           " <image> tokens for " +
                           std::to_string(images.size()) + " images");
  out.append(text.substr(pos));
  return out;
}

} // namespace vlmc::image
