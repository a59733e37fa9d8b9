#include "vlmc/generate/ImageInputs.h"

#include "vlmc/image/Qwen.h"

#include <nlohmann/json.hpp>

namespace vlmc::generate {

Result<PreparedImages> prepareImages(const exec::Model &model,
                                     const std::vector<image::RgbImage> &images) {
  PreparedImages out;
  if (images.empty())
    return out;
  auto file = [&](const char *name) { return model.file(name); };
  std::optional<std::string_view> processor = file("preprocessor_config.json");
  if (!processor)
    processor = file("processor_config.json");
  if (!processor)
    return notFound("the model embeds no image processor config");
  if (model.config().family == model::Family::kIdefics3) {
    Result<image::Idefics3ProcessorConfig> cfg = image::parseIdefics3ProcessorConfig(*processor);
    if (!cfg)
      return cfg.status();
    // Real SmolVLM keeps image_seq_len in processor_config.json.
    if (std::optional<std::string_view> extra = file("processor_config.json")) {
      nlohmann::json j = nlohmann::json::parse(*extra, nullptr, false);
      if (j.is_object() && j.contains("image_seq_len") && j["image_seq_len"].is_number_integer())
        cfg->imageSeqLen = j["image_seq_len"].get<int>();
    }
    out.imageSeqLen = cfg->imageSeqLen;
    for (const image::RgbImage &img : images) {
      Result<image::Idefics3Image> p = image::processIdefics3(img, *cfg);
      if (!p)
        return p.status();
      exec::ImageInput in;
      in.pixels = p->pixelValues;
      in.tiles = p->tiles;
      in.pixelMask = p->pixelMask;
      out.inputs.push_back(std::move(in));
      out.imageTokens.push_back(p->tiles * cfg->imageSeqLen);
      out.idefics3.push_back(std::move(*p));
    }
    return out;
  }
  Result<image::QwenProcessorConfig> cfg = image::parseQwenProcessorConfig(*processor);
  if (!cfg)
    return cfg.status();
  for (const image::RgbImage &img : images) {
    Result<image::QwenImage> p = image::processQwen(img, *cfg);
    if (!p)
      return p.status();
    exec::ImageInput in;
    in.pixels = std::move(p->pixelValues);
    in.grid = {p->grid.t, p->grid.h, p->grid.w};
    out.inputs.push_back(std::move(in));
    out.imageTokens.push_back(p->numImageTokens);
  }
  return out;
}

} // namespace vlmc::generate
