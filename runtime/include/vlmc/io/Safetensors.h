// Reading safetensors files and checkpoints (single file or sharded with
// model.safetensors.index.json).
//
// Everything in a file is validated before any tensor is handed out, so a
// TensorView's bytes always lie inside the mapped file. Nothing here throws:
// malformed input comes back as a Status naming the file and the tensor.
//
// Layout policy (same as the reference Rust implementation): the tensors'
// byte ranges must tile the data section exactly - first range starts at 0,
// each next one starts where the previous ended, the last ends at the end of
// the file. Overlaps, gaps and trailing bytes are all rejected; gaps would let
// a corrupt header hide data we never check, and no writer we know of
// (HF safetensors, MLX, vlmc) produces them.
#pragma once

#include "vlmc/support/Status.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace vlmc::io {

// The element types of the safetensors format.
enum class DType : uint8_t {
  kBool,
  kU8,
  kI8,
  kU16,
  kI16,
  kU32,
  kI32,
  kU64,
  kI64,
  kF16,
  kBF16,
  kF32,
  kF64,
  kF8E4M3,
  kF8E5M2,
  kF8E8M0,
};

// "F32", "BF16", "F8_E4M3", ... exactly as spelled in safetensors headers.
const char *dtypeName(DType dtype);
std::optional<DType> parseDType(std::string_view name);
size_t dtypeSize(DType dtype);
// F16, BF16, F32, F64: the dtypes a conversion may cast and quantize. The fp8
// types are storage formats, not something we cast weights to.
bool isFloat(DType dtype);

// Number of elements, or nullopt if the product overflows int64.
std::optional<int64_t> checkedNumel(const std::vector<int64_t> &shape);

// One tensor inside a mapped file. The bytes stay valid as long as the
// SafetensorsFile (or Checkpoint) that produced the view is alive.
struct TensorView {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  const uint8_t *data = nullptr;
  size_t nbytes = 0;

  int64_t numel() const;
};

class SafetensorsFile {
public:
  // Maps `path` read-only and validates the header and every tensor.
  static Result<SafetensorsFile> open(const std::string &path);
  // Parses an in-memory image (used by tests and fuzzing). `bytes` is copied.
  static Result<SafetensorsFile> fromBytes(std::string bytes,
                                           const std::string &label);

  const std::string &path() const { return path_; }
  // Tensors in file order (ascending data offset).
  const std::vector<TensorView> &tensors() const { return tensors_; }
  const TensorView *find(std::string_view name) const;
  const std::map<std::string, std::string> &metadata() const {
    return metadata_;
  }
  // Size of the JSON header as declared in the first 8 bytes.
  uint64_t headerSize() const { return headerSize_; }

private:
  static Result<SafetensorsFile> parse(std::shared_ptr<const void> keepAlive,
                                       const uint8_t *base, size_t size,
                                       const std::string &label);

  std::string path_;
  std::shared_ptr<const void> storage_;
  std::vector<TensorView> tensors_;
  std::unordered_map<std::string, size_t> byName_;
  std::map<std::string, std::string> metadata_;
  uint64_t headerSize_ = 0;
};

// A model directory's weights: either `model.safetensors.index.json` plus the
// shards it names, or a single `model.safetensors`.
class Checkpoint {
public:
  static Result<Checkpoint> open(const std::string &dir);

  const std::string &dir() const { return dir_; }
  bool sharded() const { return sharded_; }
  const std::vector<SafetensorsFile> &files() const { return files_; }
  // All tensor names, sorted.
  std::vector<std::string> names() const;
  const TensorView *find(std::string_view name) const;
  // The file a tensor lives in (for error messages).
  const std::string &fileOf(std::string_view name) const;
  size_t size() const { return index_.size(); }

private:
  std::string dir_;
  bool sharded_ = false;
  std::vector<SafetensorsFile> files_;
  // name -> (file index, tensor index)
  std::map<std::string, std::pair<size_t, size_t>, std::less<>> index_;
};

} // namespace vlmc::io
