// Sharded checkpoint output in MLX's layout (see SafetensorsWriter.h).
#include "vlmc/io/SafetensorsWriter.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>

namespace vlmc::io {

ShardPlan planShards(const std::vector<TensorSpec> &specs,
                     uint64_t maxShardBytes) {
  ShardPlan plan;
  size_t shard = 0;
  uint64_t shardSize = 0;
  bool shardEmpty = true;
  for (const TensorSpec &s : specs) {
    uint64_t bytes = specBytes(s).value_or(0);
    // Same rule as mlx_vlm.utils.make_shards, except that a tensor never
    // starts a new shard while the current one is still empty.
    if (!shardEmpty && shardSize + bytes > maxShardBytes) {
      ++shard;
      shardSize = 0;
    }
    plan.shardOf.push_back(shard);
    shardSize += bytes;
    shardEmpty = false;
    plan.totalSize += bytes;
  }
  size_t count = shard + 1;
  for (size_t i = 0; i < count; ++i) {
    if (count == 1) {
      plan.fileNames.push_back("model.safetensors");
    } else {
      char buf[64];
      std::snprintf(buf, sizeof buf, "model-%05zu-of-%05zu.safetensors", i + 1,
                    count);
      plan.fileNames.push_back(buf);
    }
  }
  return plan;
}

std::string indexJson(const std::vector<TensorSpec> &specs,
                      const ShardPlan &plan) {
  using ojson = nlohmann::ordered_json;
  std::map<std::string, std::string> sorted;
  for (size_t i = 0; i < specs.size(); ++i)
    sorted[specs[i].name] = plan.fileNames[plan.shardOf[i]];
  ojson weightMap = ojson::object();
  for (const auto &[name, file] : sorted)
    weightMap[name] = file;
  ojson index = ojson::object();
  index["metadata"] = ojson{{"total_size", plan.totalSize}};
  index["weight_map"] = std::move(weightMap);
  // json.dump(indent=4) with Python's default ensure_ascii=True.
  return index.dump(4, ' ', true, ojson::error_handler_t::replace);
}

Result<std::unique_ptr<CheckpointWriter>>
CheckpointWriter::create(const std::string &dir, std::vector<TensorSpec> specs,
                         const WriteOptions &options, uint64_t maxShardBytes) {
  std::unique_ptr<CheckpointWriter> w(new CheckpointWriter());
  w->dir_ = dir;
  for (const TensorSpec &s : specs)
    if (!specBytes(s))
      return invalidArgument(dir + ": tensor '" + s.name +
                             "': invalid shape");
  w->plan_ = planShards(specs, maxShardBytes);
  w->specs_ = std::move(specs);
  w->options_ = options;
  VLMC_RETURN_IF_ERROR(w->openShard(0));
  return w;
}

Status CheckpointWriter::openShard(size_t shard) {
  std::vector<TensorSpec> inShard;
  for (size_t i = 0; i < specs_.size(); ++i)
    if (plan_.shardOf[i] == shard)
      inShard.push_back(specs_[i]);
  auto w = SafetensorsWriter::create(dir_ + "/" + plan_.fileNames[shard],
                                     std::move(inShard), options_);
  if (!w)
    return w.status();
  shard_ = std::move(w).value();
  openShardIndex_ = shard;
  return Status::ok();
}

std::string CheckpointWriter::nextName() const {
  return nextTensor_ < specs_.size() ? specs_[nextTensor_].name : "";
}

Status CheckpointWriter::write(const void *data, size_t nbytes) {
  if (nextTensor_ >= specs_.size())
    return invalidArgument(dir_ + ": write after the last tensor");
  size_t shard = plan_.shardOf[nextTensor_];
  if (shard != openShardIndex_) {
    VLMC_RETURN_IF_ERROR(shard_->commit());
    VLMC_RETURN_IF_ERROR(openShard(shard));
  }
  VLMC_RETURN_IF_ERROR(shard_->write(data, nbytes));
  writtenInCurrent_ += nbytes;
  if (writtenInCurrent_ == specBytes(specs_[nextTensor_]).value_or(0)) {
    writtenInCurrent_ = 0;
    ++nextTensor_;
  }
  // Zero-byte tensors need no write() call; step over them.
  while (nextTensor_ < specs_.size() &&
         specBytes(specs_[nextTensor_]).value_or(0) == 0 &&
         plan_.shardOf[nextTensor_] == openShardIndex_)
    ++nextTensor_;
  return Status::ok();
}

Status CheckpointWriter::finish() {
  // Open (and commit) any remaining shards, e.g. ones holding only empty
  // tensors.
  while (nextTensor_ < specs_.size()) {
    if (specBytes(specs_[nextTensor_]).value_or(0) != 0)
      return invalidArgument(dir_ + ": finish before tensor '" +
                             specs_[nextTensor_].name + "' was written");
    size_t shard = plan_.shardOf[nextTensor_];
    if (shard != openShardIndex_) {
      VLMC_RETURN_IF_ERROR(shard_->commit());
      VLMC_RETURN_IF_ERROR(openShard(shard));
    }
    ++nextTensor_;
  }
  VLMC_RETURN_IF_ERROR(shard_->commit());
  std::string path = dir_ + "/model.safetensors.index.json";
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << indexJson(specs_, plan_);
  out.close();
  if (!out)
    return Status(StatusCode::kUnavailable, path + ": write failed");
  return Status::ok();
}

} // namespace vlmc::io
