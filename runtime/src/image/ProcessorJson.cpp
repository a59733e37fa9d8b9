#include "ProcessorJson.h"

#include <cmath>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace vlmc::image::detail {

Result<nlohmann::json> parseJsonObject(std::string_view text,
                                       const char *what) {
  nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr,
                                           /*allow_exceptions=*/false);
  if (j.is_discarded())
    return invalidArgument(std::string(what) + " is not valid JSON");
  if (!j.is_object())
    return invalidArgument(std::string(what) + " must hold a JSON object");
  return j;
}

const nlohmann::json &imageProcessorSection(const nlohmann::json &root) {
  auto it = root.find("image_processor");
  if (it != root.end() && it->is_object())
    return *it;
  return root;
}

namespace {
const nlohmann::json *find(const nlohmann::json &obj, const char *key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null())
    return nullptr;
  return &*it;
}
Status wrongType(const char *key, const char *want) {
  return invalidArgument(std::string("'") + key + "' must be " + want);
}
} // namespace

Status getInt(const nlohmann::json &obj, const char *key, int64_t &out) {
  const nlohmann::json *v = find(obj, key);
  if (!v)
    return Status::ok();
  if (v->is_number_integer()) {
    out = v->get<int64_t>();
    return Status::ok();
  }
  // Some configs write integral values as floats (e.g. 3136.0).
  if (v->is_number_float()) {
    double d = v->get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) {
      out = static_cast<int64_t>(d);
      return Status::ok();
    }
  }
  return wrongType(key, "an integer");
}

Status getInt(const nlohmann::json &obj, const char *key, int &out) {
  int64_t v = out;
  VLMC_RETURN_IF_ERROR(getInt(obj, key, v));
  if (v < INT32_MIN || v > INT32_MAX)
    return wrongType(key, "a 32-bit integer");
  out = static_cast<int>(v);
  return Status::ok();
}

Status getDouble(const nlohmann::json &obj, const char *key, double &out) {
  const nlohmann::json *v = find(obj, key);
  if (!v)
    return Status::ok();
  if (!v->is_number())
    return wrongType(key, "a number");
  out = v->get<double>();
  if (!std::isfinite(out))
    return wrongType(key, "a finite number");
  return Status::ok();
}

Status getBool(const nlohmann::json &obj, const char *key, bool &out) {
  const nlohmann::json *v = find(obj, key);
  if (!v)
    return Status::ok();
  if (!v->is_boolean())
    return wrongType(key, "true or false");
  out = v->get<bool>();
  return Status::ok();
}

Status getTriple(const nlohmann::json &obj, const char *key,
                 std::array<double, 3> &out) {
  const nlohmann::json *v = find(obj, key);
  if (!v)
    return Status::ok();
  if (v->is_number()) {
    out.fill(v->get<double>());
    return Status::ok();
  }
  if (!v->is_array() || v->size() != 3)
    return wrongType(key, "a number or a list of 3 numbers");
  for (size_t i = 0; i < 3; ++i) {
    if (!(*v)[i].is_number())
      return wrongType(key, "a number or a list of 3 numbers");
    out[i] = (*v)[i].get<double>();
  }
  return Status::ok();
}

Status getResample(const nlohmann::json &obj, PilFilter &out) {
  int r = static_cast<int>(out);
  VLMC_RETURN_IF_ERROR(getInt(obj, "resample", r));
  Result<PilFilter> f = pilFilterFromInt(r);
  if (!f)
    return f.status();
  out = *f;
  return Status::ok();
}

Result<std::string> readTextFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return notFound("cannot open '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad())
    return dataLoss("error reading '" + path + "'");
  return ss.str();
}

bool fileExists(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

} // namespace vlmc::image::detail
