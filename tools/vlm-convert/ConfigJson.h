// config.json handling with Python json semantics: objects keep their key
// order (ordered_json), and output matches json.dump(indent=4) with
// ensure_ascii, which is what mlx_vlm's save_config writes.
#pragma once

#include "vlmc/support/Status.h"

#include <nlohmann/json.hpp>

#include <string>

namespace vlmc::convert {

using ojson = nlohmann::ordered_json;

// Parses a JSON file without throwing; errors name the file.
Result<ojson> readJsonFile(const std::string &path);

// mlx_vlm.utils.load_config: config.json, with generation_config.json merged
// in (the whole object under "generation_config", and eos_token_id,
// temperature, top_p, top_k, do_sample copied to the top level).
Result<ojson> loadModelConfig(const std::string &dir);

// mlx_vlm.utils.save_config: drop _name_or_path and torch_dtype, sort the
// top-level keys (nested objects keep their order), json.dump(indent=4).
std::string mlxConfigText(ojson config);

Status writeTextFile(const std::string &path, const std::string &text);

} // namespace vlmc::convert
