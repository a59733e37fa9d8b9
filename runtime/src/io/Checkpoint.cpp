// A model directory's weights: the index plus its shards, or one file.
#include "vlmc/io/Safetensors.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace vlmc::io {

namespace {

using json = nlohmann::json;

bool isRegularFile(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// Shard names must stay inside the checkpoint directory.
bool isPlainFileName(const std::string &name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

} // namespace

Result<Checkpoint> Checkpoint::open(const std::string &dir) {
  try {
    Checkpoint ck;
    ck.dir_ = dir;
    const std::string indexPath = dir + "/model.safetensors.index.json";
    const std::string singlePath = dir + "/model.safetensors";

    if (!isRegularFile(indexPath)) {
      if (!isRegularFile(singlePath))
        return notFound(dir + ": neither model.safetensors.index.json nor "
                              "model.safetensors exists");
      auto file = SafetensorsFile::open(singlePath);
      if (!file)
        return file.status();
      ck.files_.push_back(std::move(file).value());
      for (size_t t = 0; t < ck.files_[0].tensors().size(); ++t)
        ck.index_.emplace(ck.files_[0].tensors()[t].name, std::make_pair(0, t));
      return ck;
    }

    ck.sharded_ = true;
    std::ifstream in(indexPath, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in)
      return invalidArgument(indexPath + ": cannot read");
    json index = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
    if (index.is_discarded() || !index.is_object())
      return dataLoss(indexPath + ": not a valid JSON object");
    auto wm = index.find("weight_map");
    if (wm == index.end() || !wm->is_object())
      return dataLoss(indexPath + ": missing 'weight_map' object");

    std::map<std::string, size_t> shardIndex; // shard file name -> files_ slot
    for (auto it = wm->begin(); it != wm->end(); ++it) {
      if (!it->is_string())
        return dataLoss(indexPath + ": weight_map entry for tensor '" +
                        it.key() + "' is not a string");
      const std::string &shard = it->get_ref<const std::string &>();
      if (!isPlainFileName(shard))
        return dataLoss(indexPath + ": tensor '" + it.key() +
                        "' maps to invalid shard name '" + shard + "'");
      if (shardIndex.count(shard))
        continue;
      std::string shardPath = dir + "/" + shard;
      if (!isRegularFile(shardPath))
        return notFound(indexPath + ": tensor '" + it.key() +
                        "' maps to missing shard " + shardPath);
      auto file = SafetensorsFile::open(shardPath);
      if (!file)
        return file.status();
      shardIndex.emplace(shard, ck.files_.size());
      ck.files_.push_back(std::move(file).value());
    }

    for (auto it = wm->begin(); it != wm->end(); ++it) {
      size_t f = shardIndex.at(it->get_ref<const std::string &>());
      const SafetensorsFile &file = ck.files_[f];
      const TensorView *view = file.find(it.key());
      if (!view)
        return dataLoss(indexPath + ": tensor '" + it.key() +
                        "' is listed in weight_map but missing from " +
                        file.path());
      ck.index_.emplace(it.key(),
                        std::make_pair(f, size_t(view - file.tensors().data())));
    }
    // A tensor the index does not list would be silently ignored by some
    // loaders and picked up by others; treat it as a corrupt checkpoint.
    // The same goes for a tensor stored in a shard other than the listed one.
    for (const auto &[shard, f] : shardIndex) {
      const SafetensorsFile &file = ck.files_[f];
      for (const TensorView &t : file.tensors()) {
        auto listed = wm->find(t.name);
        if (listed == wm->end())
          return dataLoss(file.path() + ": tensor '" + t.name +
                          "' is not listed in " + indexPath);
        if (listed->get_ref<const std::string &>() != shard)
          return dataLoss(file.path() + ": tensor '" + t.name +
                          "' is also stored in a shard other than the one " +
                          indexPath + " names");
      }
    }
    return ck;
  } catch (const std::exception &e) {
    return internalError(dir + ": " + e.what());
  }
}

std::vector<std::string> Checkpoint::names() const {
  std::vector<std::string> out;
  out.reserve(index_.size());
  for (const auto &kv : index_)
    out.push_back(kv.first);
  return out;
}

const TensorView *Checkpoint::find(std::string_view name) const {
  auto it = index_.find(name);
  if (it == index_.end())
    return nullptr;
  return &files_[it->second.first].tensors()[it->second.second];
}

const std::string &Checkpoint::fileOf(std::string_view name) const {
  auto it = index_.find(name);
  if (it == index_.end())
    return dir_;
  return files_[it->second.first].path();
}

} // namespace vlmc::io
