// Streaming safetensors writers.
//
// The header is computed up front from the tensor specs, so tensor data can be
// written one tensor at a time and peak memory stays at one tensor. Files are
// written to a temporary name next to the target, fsync'ed and renamed into
// place by commit(); a writer destroyed before commit() removes its temporary.
#pragma once

#include "vlmc/support/AtomicFile.h"
#include "vlmc/io/Safetensors.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace vlmc::io {

struct TensorSpec {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
};

// Byte size of a spec, or nullopt on overflow / negative dims.
std::optional<uint64_t> specBytes(const TensorSpec &spec);

enum class HeaderStyle {
  // HF safetensors: the JSON header is padded with spaces to a multiple of 8
  // bytes so the data section is 8-byte aligned.
  kPadded,
  // mx.save_safetensors: the compact JSON header exactly, no padding. Used for
  // MLX-format output so headers match what MLX writes byte for byte.
  kMlx,
};

struct WriteOptions {
  std::map<std::string, std::string> metadata;
  HeaderStyle style = HeaderStyle::kPadded;
};

// The JSON header (without the 8-byte length) for tensors laid out in `specs`
// order. Keys are sorted, as nlohmann::json (and therefore MLX) writes them.
Result<std::string> buildHeader(const std::vector<TensorSpec> &specs,
                                const WriteOptions &options);

class SafetensorsWriter {
public:
  static Result<std::unique_ptr<SafetensorsWriter>>
  create(const std::string &path, std::vector<TensorSpec> specs,
         const WriteOptions &options = {});
  ~SafetensorsWriter();
  SafetensorsWriter(const SafetensorsWriter &) = delete;
  SafetensorsWriter &operator=(const SafetensorsWriter &) = delete;

  // Writes the data of the next tensor in spec order; `nbytes` must equal its
  // size. May be called several times per tensor to stream it in chunks.
  Status write(const void *data, size_t nbytes);
  // Name of the tensor the next write() belongs to ("" when all are done).
  std::string nextName() const;
  // All tensors written: flush, fsync, rename into place.
  Status commit();

private:
  SafetensorsWriter() = default;
  std::string path_;
  std::unique_ptr<AtomicFile> file_;
  std::vector<TensorSpec> specs_;
  std::vector<uint64_t> sizes_;
  size_t current_ = 0;
  uint64_t writtenInCurrent_ = 0;
};

// Convenience for tests and small files: writes all tensors at once.
struct TensorData {
  TensorSpec spec;
  std::string bytes;
};
Status writeSafetensors(const std::string &path,
                        const std::vector<TensorData> &tensors,
                        const WriteOptions &options = {});

// How MLX's save_weights splits parameters into files: greedily in the given
// order, starting a new shard when the next tensor would push the current one
// past `maxShardBytes`. One shard is named model.safetensors, several
// model-0000i-of-0000N.safetensors.
struct ShardPlan {
  std::vector<std::string> fileNames;
  std::vector<size_t> shardOf; // per spec
  uint64_t totalSize = 0;
};
constexpr uint64_t kDefaultMaxShardBytes = uint64_t(5) << 30;
ShardPlan planShards(const std::vector<TensorSpec> &specs,
                     uint64_t maxShardBytes = kDefaultMaxShardBytes);

// model.safetensors.index.json text exactly as mlx_vlm writes it
// (json.dump(indent=4): metadata.total_size, weight_map sorted by name).
std::string indexJson(const std::vector<TensorSpec> &specs,
                      const ShardPlan &plan);

// Writes a whole checkpoint (shards + index) into an existing directory,
// tensor by tensor in spec order.
class CheckpointWriter {
public:
  static Result<std::unique_ptr<CheckpointWriter>>
  create(const std::string &dir, std::vector<TensorSpec> specs,
         const WriteOptions &options,
         uint64_t maxShardBytes = kDefaultMaxShardBytes);
  Status write(const void *data, size_t nbytes);
  std::string nextName() const;
  Status finish();
  const ShardPlan &plan() const { return plan_; }

private:
  Status openShard(size_t shard);
  std::string dir_;
  std::vector<TensorSpec> specs_;
  WriteOptions options_;
  ShardPlan plan_;
  std::unique_ptr<SafetensorsWriter> shard_;
  size_t openShardIndex_ = 0;
  size_t nextTensor_ = 0;
  uint64_t writtenInCurrent_ = 0;
};

} // namespace vlmc::io
