#include "TestArtifacts.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace vlmc::artifact::testing {

namespace {

using fb::DType;
using fb::OpCode;

uint64_t alignUp(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

// Where tensor bytes really go: packed in order, each kTensorAlignment-aligned,
// as ArtifactBuilder places them.
std::vector<uint64_t> naturalOffsets(const Sample &s, uint64_t &end) {
  std::vector<uint64_t> offsets;
  end = 0;
  for (const auto &t : s.tensors) {
    uint64_t offset = alignUp(end, kTensorAlignment);
    offsets.push_back(offset);
    end = offset + tensorByteSize(t.dtype, t.shape).value_or(0);
  }
  return offsets;
}

flatbuffers::Offset<fb::QuantSpec>
quantSpec(flatbuffers::FlatBufferBuilder &fbb,
          const std::optional<QuantInfo> &q) {
  if (!q)
    return 0;
  return fb::CreateQuantSpec(fbb, q->mode, q->bits, q->groupSize,
                             q->globalScale);
}

} // namespace

Sample sample() {
  const QuantInfo affine4{fb::QuantMode::Affine, 4, 32, false};
  Sample s;
  s.model = {"qwen2_vl", "qwen2_vl", "cpu", false, "vlmc-test"};
  s.files = {{"config.json", R"({"model_type": "qwen2_vl"})"},
             {"tokenizer.json", "{}"}};
  s.tensors = {
      {"embed.weight", DType::BF16, {16, 32}, {}, {}, {}},
      {"layers.0.q.weight", DType::U32, {8, 4}, affine4, {}, {}},
      {"layers.0.q.scales", DType::BF16, {8, 1}, affine4, {}, {}},
      {"layers.0.q.biases", DType::BF16, {8, 1}, affine4, {}, {}},
      {"norm.weight", DType::F32, {32}, {}, {}, {}},
      {"empty", DType::U8, {0}, {}, {}, {}},
  };
  FunctionDesc prefill;
  prefill.name = "prefill";
  prefill.values = {
      {DType::I32, {1, -1}},      // 0 ids
      {DType::BF16, {16, 32}},    // 1 embedding table
      {DType::BF16, {1, -1, 32}}, // 2 embeddings
      {DType::F32, {32}},         // 3 norm weight
      {DType::BF16, {1, -1, 32}}, // 4 normed
      {DType::U32, {8, 4}},       // 5 q weight
      {DType::BF16, {8, 1}},      // 6 q scales
      {DType::BF16, {8, 1}},      // 7 q biases
      {DType::BF16, {1, -1, 8}},  // 8 q
  };
  prefill.inputs = {{"input_ids", 0}};
  prefill.outputs = {8};
  prefill.ops = {
      {OpCode::Parameter, "embed", {}, {1}, 0, {}, {}, {}},
      {OpCode::Embedding, "embed", {0, 1}, {2}, -1, {}, {}, {}},
      {OpCode::Parameter, "norm", {}, {3}, 4, {}, {}, {}},
      {OpCode::RmsNorm, "norm", {2, 3}, {4}, -1, {1e-6f}, {}, {}},
      {OpCode::Parameter, "layers.0.q", {}, {5}, 1, {}, {}, {}},
      {OpCode::Parameter, "layers.0.q", {}, {6}, 2, {}, {}, {}},
      {OpCode::Parameter, "layers.0.q", {}, {7}, 3, {}, {}, {}},
      {OpCode::QMatmul,
       "layers.0.q",
       {4, 5, 6, 7, -1, -1},
       {8},
       -1,
       {},
       {},
       affine4},
  };
  FunctionDesc decode;
  decode.name = "decode_step";
  decode.values = {
      {DType::I32, {1, 1}},      // 0 ids
      {DType::BF16, {16, 32}},   // 1 embedding table
      {DType::BF16, {1, 1, 32}}, // 2 embeddings
      {DType::BF16, {1, 1, 32}}, // 3 activated
  };
  decode.inputs = {{"input_ids", 0}};
  decode.outputs = {3};
  decode.ops = {
      {OpCode::Parameter, "embed", {}, {1}, 0, {}, {}, {}},
      {OpCode::Embedding, "embed", {0, 1}, {2}, -1, {}, {}, {}},
      {OpCode::Activation, "act", {2}, {3}, -1, {}, {0}, {}},
  };
  s.functions = {prefill, decode};
  s.kernels = {"qmatmul_affine4"};
  return s;
}

std::string tensorBytes(const Sample &s, size_t index) {
  const TensorDesc &t = s.tensors[index];
  std::string bytes(size_t(tensorByteSize(t.dtype, t.shape).value_or(0)), '\0');
  for (size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = char(index * 37 + i * 7 + 1);
  return bytes;
}

flatbuffers::Offset<fb::Function>
createFunction(flatbuffers::FlatBufferBuilder &fbb, const FunctionDesc &f) {
  std::vector<flatbuffers::Offset<fb::Value>> values;
  for (const auto &v : f.values)
    values.push_back(fb::CreateValueDirect(fbb, v.dtype, &v.shape));
  std::vector<flatbuffers::Offset<fb::Argument>> inputs;
  for (const auto &[name, id] : f.inputs)
    inputs.push_back(fb::CreateArgumentDirect(fbb, name.c_str(), id));
  std::vector<flatbuffers::Offset<fb::Op>> ops;
  for (const auto &op : f.ops) {
    auto quant = quantSpec(fbb, op.quant);
    ops.push_back(fb::CreateOpDirect(
        fbb, op.code, op.layer.empty() ? nullptr : op.layer.c_str(), &op.inputs,
        &op.outputs, op.tensor, op.f32.empty() ? nullptr : &op.f32,
        op.i64.empty() ? nullptr : &op.i64, 0, quant, op.kernel));
  }
  return fb::CreateFunctionDirect(fbb, f.name.c_str(), &values, &inputs,
                                  &f.outputs, &ops);
}

std::string assemble(const Sample &s) {
  uint64_t weightsSize = 0;
  const std::vector<uint64_t> offsets = naturalOffsets(s, weightsSize);

  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<fb::EmbeddedFile>> files;
  for (const auto &[name, data] : s.files)
    files.push_back(fb::CreateEmbeddedFile(
        fbb, fbb.CreateString(name),
        fbb.CreateVector(reinterpret_cast<const uint8_t *>(data.data()),
                         data.size())));
  std::vector<flatbuffers::Offset<fb::Tensor>> tensors;
  for (size_t i = 0; i < s.tensors.size(); ++i) {
    const TensorDesc &t = s.tensors[i];
    uint64_t size = tensorByteSize(t.dtype, t.shape).value_or(0);
    auto quant = quantSpec(fbb, t.quant);
    tensors.push_back(fb::CreateTensorDirect(
        fbb, t.name.c_str(), t.dtype, &t.shape, t.offset.value_or(offsets[i]),
        t.size.value_or(size), quant));
  }
  std::vector<flatbuffers::Offset<fb::Function>> functions;
  for (const auto &f : s.functions)
    functions.push_back(createFunction(fbb, f));
  std::vector<flatbuffers::Offset<fb::Kernel>> kernels;
  for (const auto &k : s.kernels)
    kernels.push_back(fb::CreateKernelDirect(fbb, k.c_str(), "// source"));
  const ModelInfo &m = s.model;
  fb::FinishArtifactBuffer(
      fbb, fb::CreateArtifactDirect(fbb, m.family.c_str(), m.modelType.c_str(),
                                    m.target.c_str(), m.quantizeActivations,
                                    m.compilerVersion.c_str(), &files, &tensors,
                                    &functions, &kernels, 0, m.greedyKernel,
                                    m.sampleKernel));

  Header h{};
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.formatVersion = kFormatVersion;
  h.flatbufferOffset = kHeaderSize;
  h.flatbufferSize = fbb.GetSize();
  h.weightsOffset = alignUp(kHeaderSize + fbb.GetSize(), kWeightsAlignment);
  h.weightsSize = weightsSize;
  std::string out(size_t(h.weightsOffset + weightsSize), '\0');
  std::memcpy(out.data(), &h, sizeof h);
  std::memcpy(out.data() + kHeaderSize, fbb.GetBufferPointer(), fbb.GetSize());
  for (size_t i = 0; i < s.tensors.size(); ++i) {
    std::string bytes = tensorBytes(s, i);
    std::memcpy(out.data() + h.weightsOffset + offsets[i], bytes.data(),
                bytes.size());
  }
  return out;
}

std::string build(const Sample &s) {
  ArtifactBuilder b;
  b.setModelInfo(s.model);
  for (const auto &[name, data] : s.files)
    EXPECT_TRUE(b.addEmbeddedFile(name, data).isOk());
  for (size_t i = 0; i < s.tensors.size(); ++i) {
    const TensorDesc &t = s.tensors[i];
    auto index =
        b.addTensor({t.name, t.dtype, t.shape, t.quant}, tensorBytes(s, i));
    EXPECT_TRUE(index.isOk()) << index.status().message();
  }
  for (const auto &f : s.functions)
    EXPECT_TRUE(b.addFunction(createFunction(b.fbb(), f)).isOk());
  for (const auto &k : s.kernels)
    EXPECT_TRUE(
        b.addKernel(fb::CreateKernelDirect(b.fbb(), k.c_str(), "// source"))
            .isOk());
  auto bytes = b.finishToString();
  EXPECT_TRUE(bytes.isOk()) << bytes.status().message();
  return bytes.isOk() ? *bytes : std::string();
}

Header readHeader(const std::string &bytes) {
  Header h{};
  std::memcpy(&h, bytes.data(), std::min(bytes.size(), sizeof h));
  return h;
}

void editHeader(std::string &bytes, const std::function<void(Header &)> &edit) {
  Header h = readHeader(bytes);
  edit(h);
  std::memcpy(bytes.data(), &h, std::min(bytes.size(), sizeof h));
}

TempDir::TempDir() {
  std::string tmpl =
      (std::filesystem::temp_directory_path() / "vlmc-artifact-test-XXXXXX")
          .string();
  path_ = ::mkdtemp(tmpl.data()) ? tmpl : std::string();
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty())
    std::filesystem::remove_all(path_, ec);
}

std::vector<std::string> TempDir::list() const {
  std::vector<std::string> names;
  for (const auto &e : std::filesystem::directory_iterator(path_))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

} // namespace vlmc::artifact::testing
