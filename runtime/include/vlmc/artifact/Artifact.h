// Reading a .vlmc artifact (runtime side).
//
// Artifact::open maps the file read-only and checks everything before handing
// anything out: the header (magic, format version, segment offsets), the
// flatbuffer (flatbuffers::Verifier plus the file identifier) and the program's
// own invariants (tensor byte ranges, value ids, op codes, ...). So once open()
// succeeds, every accessor below stays inside the mapped bytes and every index
// stored in the program is in range; bad input never crashes the caller, it
// comes back as a Status naming the file and the offending tensor/function/op.
//
// Memory: tensor bytes are not copied. tensorData() and weightsSegment() point
// into the mapping, which lives as long as any copy of the Artifact. The
// weights segment starts on a page boundary and every tensor on a
// kTensorAlignment boundary, in memory as well as in the file. As with any
// mapping, the file must not be truncated in place while open (the builder
// replaces files by rename, which is safe). An Artifact is immutable after
// open, so concurrent reads need no locking.
#pragma once

#include "vlmc/artifact/Format.h"
#include "vlmc/artifact/vlmc_generated.h"
#include "vlmc/support/Status.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace vlmc::artifact {

// A read-only view of bytes owned by an Artifact.
struct ByteSpan {
  const uint8_t *data = nullptr;
  size_t size = 0;

  const uint8_t *begin() const { return data; }
  const uint8_t *end() const { return data + size; }
  bool empty() const { return size == 0; }
};

// Bytes per element of a dtype; 0 for a value outside the schema's enum.
size_t dtypeSize(fb::DType dtype);
bool isKnownDType(fb::DType dtype);
// numel(shape) * dtypeSize(dtype), or nullopt when a dim is negative, the dtype
// is unknown, or the product overflows uint64.
std::optional<uint64_t> tensorByteSize(fb::DType dtype, const int64_t *dims,
                                       size_t rank);
std::optional<uint64_t> tensorByteSize(fb::DType dtype,
                                       const std::vector<int64_t> &shape);
// "[2, 3]" (and "[]" for a scalar), for messages and tools.
std::string shapeString(const int64_t *dims, size_t rank);
std::string shapeString(const flatbuffers::Vector<int64_t> *shape);

class Artifact {
public:
  // What open() does with synthetic weights (Artifact.synthetic_weights_size):
  // generate them, or leave the segment empty (tools that read metadata only).
  enum class SyntheticWeights { kGenerate, kSkip };

  // Maps `path` read-only and verifies it.
  static Result<Artifact> open(const std::string &path,
                               SyntheticWeights synthetic = SyntheticWeights::kGenerate);
  // Verifies an in-memory image (tests, fuzzing). The bytes are copied into a
  // page-aligned buffer so tensor views have the same alignment as with open().
  // `label` stands in for the path in messages.
  static Result<Artifact> fromBytes(std::string_view bytes,
                                    const std::string &label);

  // The path (or fromBytes label), as used in error messages.
  const std::string &label() const { return label_; }
  uint64_t fileSize() const { return size_; }
  const Header &header() const { return header_; }
  // The verified flatbuffer root. Read-only; valid while this Artifact (or a
  // copy) is alive.
  const fb::Artifact &root() const { return *root_; }
  ByteSpan flatbuffer() const;
  // True when the weights were generated at load (synthetic_weights_size):
  // numbers computed with them mean nothing, their speed does.
  bool syntheticWeights() const { return root_->synthetic_weights_size() > 0; }
  // The whole weights segment, for uploading to a device in one copy.
  ByteSpan weightsSegment() const { return weights_; }

  size_t tensorCount() const;
  // nullptr when index >= tensorCount().
  const fb::Tensor *tensor(size_t index) const;
  // The tensor's bytes inside weightsSegment(); an empty span when index >=
  // tensorCount().
  ByteSpan tensorData(size_t index) const;
  // Index for tensor()/tensorData(), or nullopt.
  std::optional<size_t> findTensor(std::string_view name) const;

  const fb::Function *findFunction(std::string_view name) const;
  std::optional<std::string_view> embeddedFile(std::string_view name) const;

  // Name -> position in the flatbuffer's vectors, built during verification
  // (which has to see every name anyway to reject duplicates). The keys point
  // into the mapped bytes.
  struct Index {
    std::unordered_map<std::string_view, uint32_t> tensors, functions, files;
  };

private:
  Artifact() = default;
  static Result<Artifact> load(std::shared_ptr<const uint8_t> bytes,
                               size_t size, const std::string &label,
                               SyntheticWeights synthetic = SyntheticWeights::kGenerate);

  std::string label_;
  std::shared_ptr<const uint8_t> bytes_; // the mapping or the aligned copy
  size_t size_ = 0;
  Header header_{};
  const fb::Artifact *root_ = nullptr;
  ByteSpan weights_;
  // The generated segment of an artifact with synthetic weights.
  std::shared_ptr<uint8_t> synthetic_;
  Index index_;
};

} // namespace vlmc::artifact
