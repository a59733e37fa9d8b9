// Writing a .vlmc artifact: lays out the header, the flatbuffer and the
// aligned weights segment from pieces the caller has already built.
//
// The compiler's writer uses it as follows: add tensors (metadata now, bytes
// later), embedded files and kernels; build each Function table with fbb() and
// the generated vlmc::fb::Create* helpers (Parameter ops refer to the indices
// addTensor returned); set the model info; finish. Tensor offsets depend only
// on the tensors added before, so the whole flatbuffer is complete before any
// weight byte is written, and the weights are then streamed tensor by tensor
// from each TensorSource: peak memory is the flatbuffer plus whatever one
// source holds, never all weights.
//
// Before writing, finish*() checks the assembled flatbuffer with the same
// rules Artifact::open applies, so a writer bug fails at compile time rather
// than when the runtime loads the model.
#pragma once

#include "vlmc/artifact/Format.h"
#include "vlmc/artifact/vlmc_generated.h"
#include "vlmc/support/Status.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace vlmc::artifact {

struct QuantInfo {
  fb::QuantMode mode = fb::QuantMode::None;
  int32_t bits = 0;
  int32_t groupSize = 0;
  bool globalScale = false;
};

struct TensorInfo {
  std::string name;
  fb::DType dtype = fb::DType::F32;
  std::vector<int64_t> shape;
  // Set for the parts of a quantized layer (packed weight, scales, biases).
  std::optional<QuantInfo> quant;
};

struct ModelInfo {
  std::string family;               // qwen2_vl, qwen2_5_vl, idefics3, llama
  std::string modelType;            // config.json's model_type
  std::string target;               // cpu or cuda
  bool quantizeActivations = false; // -qa
  std::string compilerVersion;
  int32_t greedyKernel = -1; // Artifact.greedy_kernel: an index into the kernels
  int32_t sampleKernel = -1; // Artifact.sample_kernel: likewise
};

// Where a TensorSource writes its tensor's bytes, in order, in any number of
// chunks. Writing more than the tensor's size fails.
class TensorSink {
public:
  virtual ~TensorSink() = default;
  virtual Status write(const void *data, size_t nbytes) = 0;
};

// Produces one tensor's bytes during finish*(); must write exactly its size.
// Called once per finish*() call, in tensor order.
using TensorSource = std::function<Status(TensorSink &)>;

class ArtifactBuilder {
public:
  struct Options {
    // Check the flatbuffer with the reader's rules before writing. Only tests
    // that need deliberately invalid artifacts turn this off.
    bool verify = true;
  };

  ArtifactBuilder();
  explicit ArtifactBuilder(Options options);
  ArtifactBuilder(const ArtifactBuilder &) = delete;
  ArtifactBuilder &operator=(const ArtifactBuilder &) = delete;

  // Any time before the first finish*().
  void setModelInfo(ModelInfo info) { model_ = std::move(info); }
  // Any time before the first finish*(): tensors get their offsets but no
  // bytes (their sources are never called); the runtime generates the
  // segment at load (Artifact.synthetic_weights_size in the schema).
  void setWeightsGeneratedAtLoad() { generatedAtLoad_ = true; }

  // Adds a tensor and returns its index (what Parameter ops refer to). The
  // first form keeps `bytes` in memory until finish (tests, small tensors);
  // the second asks `source` for the bytes while writing.
  Result<uint32_t> addTensor(const TensorInfo &info, std::string bytes);
  Result<uint32_t> addTensor(const TensorInfo &info, TensorSource source);
  // A file the front-end needs (config.json, tokenizer.json, ...), copied
  // into the flatbuffer now.
  Status addEmbeddedFile(std::string_view name, std::string_view data);

  // The flatbuffers builder the artifact is assembled in: build Function and
  // Kernel tables here, then hand their offsets to addFunction/addKernel.
  // Don't call Finish on it.
  flatbuffers::FlatBufferBuilder &fbb() { return fbb_; }
  Status addFunction(flatbuffers::Offset<fb::Function> function);
  Status addKernel(flatbuffers::Offset<fb::Kernel> kernel);

  size_t tensorCount() const { return tensors_.size(); }
  // Bytes of the weights segment so far (end of the last tensor).
  uint64_t weightsSize() const { return weightsSize_; }

  // Writes the artifact to a temporary file next to `path`, fsyncs it and
  // renames it into place; on any failure nothing is left behind and an
  // existing `path` is untouched.
  Status finishToFile(const std::string &path);
  // The whole artifact in memory (tests and small artifacts only).
  Result<std::string> finishToString();

  // After the first finish*() the flatbuffer is sealed: add*() fail, and a
  // further finish*() writes the same layout again (calling the sources
  // again).

private:
  Result<uint32_t> addTensorImpl(const TensorInfo &info, TensorSource source,
                                 std::optional<uint64_t> knownSize);
  Status checkOpen(const char *what) const;
  // Builds the root table (once) and verifies the flatbuffer.
  Status seal();
  // Header, flatbuffer, padding and every tensor's bytes, in file order.
  Status writeTo(TensorSink &out);

  Options options_;
  flatbuffers::FlatBufferBuilder fbb_;
  ModelInfo model_;
  struct PendingTensor {
    std::string name;
    uint64_t offset = 0, size = 0;
    TensorSource source;
  };
  std::vector<PendingTensor> tensors_;
  std::vector<flatbuffers::Offset<fb::Tensor>> tensorTables_;
  std::unordered_set<std::string> tensorNames_, fileNames_;
  std::vector<flatbuffers::Offset<fb::EmbeddedFile>> files_;
  std::vector<flatbuffers::Offset<fb::Function>> functions_;
  std::vector<flatbuffers::Offset<fb::Kernel>> kernels_;
  uint64_t weightsSize_ = 0;
  bool generatedAtLoad_ = false;
  bool sealed_ = false;
  Status sealStatus_;
};

} // namespace vlmc::artifact
