// Artifacts for the reader/builder tests, described as plain structs so a test
// can break exactly one thing and assemble the bytes.
//
// assemble() lays out header + flatbuffer + weights itself, without
// ArtifactBuilder, so it can write what the builder refuses to (duplicate
// names, lying offsets, bad value ids); build() goes through ArtifactBuilder.
#pragma once

#include "vlmc/artifact/Artifact.h"
#include "vlmc/artifact/ArtifactBuilder.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace vlmc::artifact::testing {

struct TensorDesc {
  std::string name;
  fb::DType dtype = fb::DType::F32;
  std::vector<int64_t> shape;
  std::optional<QuantInfo> quant;
  // What the flatbuffer records instead of the real placement/size (the
  // bytes are still laid out from dtype and shape).
  std::optional<uint64_t> offset, size;
};

struct ValueDesc {
  fb::DType dtype = fb::DType::F32;
  std::vector<int64_t> shape;
};

struct OpDesc {
  fb::OpCode code = fb::OpCode::Parameter;
  std::string layer;
  std::vector<int32_t> inputs, outputs;
  int32_t tensor = -1;
  std::vector<float> f32;
  std::vector<int64_t> i64;
  std::optional<QuantInfo> quant;
  int32_t kernel = -1;
};

struct FunctionDesc {
  std::string name;
  std::vector<ValueDesc> values;
  std::vector<std::pair<std::string, int32_t>> inputs; // name, value id
  std::vector<int32_t> outputs;
  std::vector<OpDesc> ops;
};

struct Sample {
  ModelInfo model;
  std::vector<std::pair<std::string, std::string>> files; // name, contents
  std::vector<TensorDesc> tensors;
  std::vector<FunctionDesc> functions;
  std::vector<std::string> kernels;
};

// A valid artifact: 6 tensors (bf16, a quantized triple, f32, an empty u8),
// 2 embedded files, "prefill" (8 ops) and "decode_step" (3 ops), 1 kernel.
Sample sample();

// The bytes tensor `index` is filled with (a pattern unique per tensor).
std::string tensorBytes(const Sample &s, size_t index);

flatbuffers::Offset<fb::Function>
createFunction(flatbuffers::FlatBufferBuilder &fbb, const FunctionDesc &f);

// The artifact bytes, laid out by hand (no verification).
std::string assemble(const Sample &s);
// The same through ArtifactBuilder (verifying); fails the test on error.
std::string build(const Sample &s);

Header readHeader(const std::string &bytes);
// Rewrites the header of an artifact image in place.
void editHeader(std::string &bytes, const std::function<void(Header &)> &edit);

// A directory removed on destruction.
class TempDir {
public:
  TempDir();
  ~TempDir();
  std::string operator/(const std::string &name) const {
    return path_ + "/" + name;
  }
  const std::string &path() const { return path_; }
  // Names of the entries, sorted.
  std::vector<std::string> list() const;

private:
  std::string path_;
};

std::string readFile(const std::string &path);

} // namespace vlmc::artifact::testing
