// Reading processor/preprocessor config JSON with typed, non-throwing getters.
#pragma once

#include "vlmc/image/Resize.h"
#include "vlmc/support/Status.h"

#include <nlohmann/json.hpp>

#include <array>
#include <string>
#include <string_view>

namespace vlmc::image::detail {

// Parses `text` as a JSON object (no exceptions).
Result<nlohmann::json> parseJsonObject(std::string_view text, const char *what);

// The image-processor settings: the "image_processor" object of a
// processor_config.json, else the document itself.
const nlohmann::json &imageProcessorSection(const nlohmann::json &root);

// Each getter leaves `out` alone when the key is absent or null and fails on
// a value of the wrong type.
Status getInt(const nlohmann::json &obj, const char *key, int64_t &out);
Status getInt(const nlohmann::json &obj, const char *key, int &out);
Status getDouble(const nlohmann::json &obj, const char *key, double &out);
Status getBool(const nlohmann::json &obj, const char *key, bool &out);
// A list of 3 numbers, or one number for all channels (transformers accepts
// both).
Status getTriple(const nlohmann::json &obj, const char *key,
                 std::array<double, 3> &out);
Status getResample(const nlohmann::json &obj, PilFilter &out);

// Reads a whole file; kNotFound when it cannot be opened.
Result<std::string> readTextFile(const std::string &path);
bool fileExists(const std::string &path);

} // namespace vlmc::image::detail
