#include "ConfigJson.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace vlmc::convert {

Result<ojson> readJsonFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return notFound(path + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  ojson j = ojson::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    return invalidArgument(path + ": not valid JSON");
  return j;
}

Result<ojson> loadModelConfig(const std::string &dir) {
  const std::string path = dir + "/config.json";
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return notFound(path + ": missing (not a model directory?)");
  auto config = readJsonFile(path);
  if (!config)
    return config.status();
  if (!config->is_object())
    return invalidArgument(path + ": not a JSON object");
  // A broken generation_config.json is ignored, as mlx_vlm does.
  auto gen = readJsonFile(dir + "/generation_config.json");
  if (gen && gen->is_object() && !gen->empty()) {
    (*config)["generation_config"] = *gen;
    for (const char *key :
         {"eos_token_id", "temperature", "top_p", "top_k", "do_sample"}) {
      auto it = gen->find(key);
      if (it != gen->end())
        (*config)[key] = *it;
    }
  }
  return config;
}

std::string mlxConfigText(ojson config) {
  config.erase("_name_or_path");
  config.erase("torch_dtype");
  std::vector<std::pair<std::string, ojson>> items;
  for (auto it = config.begin(); it != config.end(); ++it)
    items.emplace_back(it.key(), std::move(it.value()));
  // Python sorts str keys by code point, which is UTF-8 byte order.
  std::stable_sort(items.begin(), items.end(),
                   [](const auto &a, const auto &b) { return a.first < b.first; });
  ojson sorted = ojson::object();
  for (auto &[k, v] : items)
    sorted[k] = std::move(v);
  return sorted.dump(4, ' ', /*ensure_ascii=*/true,
                     ojson::error_handler_t::replace);
}

Status writeTextFile(const std::string &path, const std::string &text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out)
    return Status(StatusCode::kUnavailable, path + ": write failed");
  return Status::ok();
}

} // namespace vlmc::convert
