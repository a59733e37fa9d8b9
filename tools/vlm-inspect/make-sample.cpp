// vlm-inspect-make-sample: writes a small, fixed .vlmc artifact for
// vlm-inspect's lit tests (built with the tests, never installed). It goes
// through ArtifactBuilder like the compiler's writer, so the tests also cover
// builder -> file -> reader. Options damage the result on purpose, for the
// error-path tests.
#include "vlmc/artifact/Artifact.h"
#include "vlmc/artifact/ArtifactBuilder.h"

#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>

namespace {

using namespace vlmc;
using namespace vlmc::artifact;
using fb::DType;
using fb::OpCode;

const QuantInfo kAffine4{fb::QuantMode::Affine, 4, 32, false};
const QuantInfo kMxfp4{fb::QuantMode::Mxfp4, 4, 32, false};

// A Qwen2-VL-shaped toy: hidden size 64, vocabulary 32, one layer's q_proj.
const std::vector<TensorInfo> kTensors = {
    {"model.embed_tokens.weight", DType::BF16, {32, 64}, {}},
    {"model.layers.0.input_layernorm.weight", DType::BF16, {64}, {}},
    {"model.layers.0.self_attn.q_proj.weight", DType::U32, {64, 8}, kAffine4},
    {"model.layers.0.self_attn.q_proj.scales", DType::BF16, {64, 2}, kAffine4},
    {"model.layers.0.self_attn.q_proj.biases", DType::BF16, {64, 2}, kAffine4},
    {"model.norm.weight", DType::BF16, {64}, {}},
    {"lm_head.weight", DType::U32, {32, 8}, kMxfp4},
    {"lm_head.scales", DType::U8, {32, 2}, kMxfp4},
};

// Appends one function's values and ops to the builder's flatbuffer.
class FunctionWriter {
public:
  explicit FunctionWriter(ArtifactBuilder &b) : b_(b) {}

  int32_t input(const char *name, DType dtype,
                const std::vector<int64_t> &shape) {
    int32_t id = value(dtype, shape);
    args_.push_back(fb::CreateArgumentDirect(b_.fbb(), name, id));
    return id;
  }
  int32_t param(uint32_t tensor, const char *layer) {
    const TensorInfo &t = kTensors[tensor];
    int32_t id = value(t.dtype, t.shape);
    std::vector<int32_t> outputs = {id};
    ops_.push_back(fb::CreateOpDirect(b_.fbb(), OpCode::Parameter, layer,
                                      nullptr, &outputs, int32_t(tensor)));
    return id;
  }
  int32_t op(OpCode code, const char *layer, const std::vector<int32_t> &inputs,
             DType dtype, const std::vector<int64_t> &shape,
             std::vector<float> f32 = {}, std::optional<QuantInfo> quant = {}) {
    int32_t id = value(dtype, shape);
    std::vector<int32_t> outputs = {id};
    flatbuffers::Offset<fb::QuantSpec> q;
    if (quant)
      q = fb::CreateQuantSpec(b_.fbb(), quant->mode, quant->bits,
                              quant->groupSize, quant->globalScale);
    ops_.push_back(fb::CreateOpDirect(b_.fbb(), code, layer, &inputs, &outputs,
                                      -1, f32.empty() ? nullptr : &f32, nullptr,
                                      0, q));
    return id;
  }
  flatbuffers::Offset<fb::Function>
  finish(const char *name, const std::vector<int32_t> &outputs) {
    return fb::CreateFunctionDirect(b_.fbb(), name, &values_, &args_, &outputs,
                                    &ops_);
  }

private:
  int32_t value(DType dtype, const std::vector<int64_t> &shape) {
    values_.push_back(fb::CreateValueDirect(b_.fbb(), dtype, &shape));
    return int32_t(values_.size() - 1);
  }

  ArtifactBuilder &b_;
  std::vector<flatbuffers::Offset<fb::Value>> values_;
  std::vector<flatbuffers::Offset<fb::Argument>> args_;
  std::vector<flatbuffers::Offset<fb::Op>> ops_;
};

// Embedding -> [RmsNorm -> q_proj -> RoPE -> residual] -> RmsNorm -> lm_head.
flatbuffers::Offset<fb::Function> prefill(ArtifactBuilder &b) {
  FunctionWriter f(b);
  const std::vector<int64_t> hidden = {1, -1, 64};
  int32_t ids = f.input("input_ids", DType::I32, {1, -1});
  int32_t pos = f.input("position_ids", DType::I32, {1, -1});
  int32_t embed = f.param(0, "model.embed_tokens");
  int32_t x = f.op(OpCode::Embedding, "model.embed_tokens", {ids, embed},
                   DType::BF16, hidden);
  int32_t ln = f.param(1, "model.layers.0.input_layernorm");
  int32_t h = f.op(OpCode::RmsNorm, "model.layers.0.input_layernorm", {x, ln},
                   DType::BF16, hidden, {1e-6f});
  int32_t w = f.param(2, "model.layers.0.self_attn.q_proj");
  int32_t s = f.param(3, "model.layers.0.self_attn.q_proj");
  int32_t bias = f.param(4, "model.layers.0.self_attn.q_proj");
  int32_t q = f.op(OpCode::QMatmul, "model.layers.0.self_attn.q_proj",
                   {h, w, s, bias, -1, -1}, DType::BF16, hidden, {}, kAffine4);
  q = f.op(OpCode::Rope, "model.layers.0.self_attn", {q, pos}, DType::BF16,
           hidden, {1e6f});
  x = f.op(OpCode::Add, "model.layers.0", {x, q}, DType::BF16, hidden);
  int32_t norm = f.param(5, "model.norm");
  x = f.op(OpCode::RmsNorm, "model.norm", {x, norm}, DType::BF16, hidden,
           {1e-6f});
  int32_t hw = f.param(6, "lm_head");
  int32_t hs = f.param(7, "lm_head");
  int32_t logits = f.op(OpCode::QMatmul, "lm_head", {x, hw, hs, -1, -1, -1},
                        DType::BF16, {1, -1, 32}, {}, kMxfp4);
  return f.finish("prefill", {logits});
}

flatbuffers::Offset<fb::Function> decodeStep(ArtifactBuilder &b) {
  FunctionWriter f(b);
  int32_t ids = f.input("input_ids", DType::I32, {1, 1});
  f.input("position_ids", DType::I32, {1, 1});
  int32_t embed = f.param(0, "model.embed_tokens");
  int32_t x = f.op(OpCode::Embedding, "model.embed_tokens", {ids, embed},
                   DType::BF16, {1, 1, 64});
  int32_t norm = f.param(5, "model.norm");
  x = f.op(OpCode::RmsNorm, "model.norm", {x, norm}, DType::BF16, {1, 1, 64},
           {1e-6f});
  int32_t hw = f.param(6, "lm_head");
  int32_t hs = f.param(7, "lm_head");
  int32_t logits = f.op(OpCode::QMatmul, "lm_head", {x, hw, hs, -1, -1, -1},
                        DType::BF16, {1, 1, 32}, {}, kMxfp4);
  return f.finish("decode_step", {logits});
}

Status writeSample(const std::string &path) {
  ArtifactBuilder b;
  b.setModelInfo(
      {"qwen2_vl", "qwen2_vl", "cuda", true, "vlm-inspect-make-sample"});
  VLMC_RETURN_IF_ERROR(b.addEmbeddedFile(
      "config.json", R"({"model_type": "qwen2_vl", "hidden_size": 64})"));
  VLMC_RETURN_IF_ERROR(
      b.addEmbeddedFile("tokenizer.json", R"({"version": "1.0"})"));
  VLMC_RETURN_IF_ERROR(
      b.addEmbeddedFile("chat_template.jinja", "{{ messages }}"));
  for (size_t i = 0; i < kTensors.size(); ++i) {
    // Streamed, as the compiler does: a recognisable byte pattern per tensor.
    auto index = b.addTensor(kTensors[i], [i](TensorSink &out) -> Status {
      const uint64_t size =
          *tensorByteSize(kTensors[i].dtype, kTensors[i].shape);
      for (uint64_t k = 0; k < size; ++k) {
        char c = char(i * 16 + k % 16);
        VLMC_RETURN_IF_ERROR(out.write(&c, 1));
      }
      return Status::ok();
    });
    if (!index)
      return index.status();
  }
  VLMC_RETURN_IF_ERROR(b.addFunction(prefill(b)));
  VLMC_RETURN_IF_ERROR(b.addFunction(decodeStep(b)));
  std::vector<uint8_t> cubin(64, 0x7f);
  std::vector<flatbuffers::Offset<fb::Cubin>> cubins = {
      fb::CreateCubinDirect(b.fbb(), "sm_90a", &cubin)};
  VLMC_RETURN_IF_ERROR(b.addKernel(fb::CreateKernelDirect(
      b.fbb(), "qmatmul_affine4_g32", "// generated", &cubins)));
  VLMC_RETURN_IF_ERROR(b.addKernel(
      fb::CreateKernelDirect(b.fbb(), "rmsnorm_bf16", "// generated")));
  return b.finishToFile(path);
}

} // namespace

int main(int argc, char **argv) {
  CLI::App app{
      "vlm-inspect-make-sample: write the small artifact vlm-inspect's "
      "lit tests read (test-only).",
      "vlm-inspect-make-sample"};
  std::string path;
  std::optional<uint32_t> formatVersion;
  uint64_t truncate = 0;
  app.add_option("output", path, "Where to write the artifact")->required();
  app.add_option("--format-version", formatVersion,
                 "Then overwrite the header's format version");
  app.add_option("--truncate", truncate,
                 "Then cut this many bytes off the end");
  CLI11_PARSE(app, argc, argv);

  Status st = writeSample(path);
  if (!st.isOk()) {
    std::cerr << "vlm-inspect-make-sample: error: " << st.message() << "\n";
    return 1;
  }
  if (formatVersion) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(offsetof(Header, formatVersion));
    f.write(reinterpret_cast<const char *>(&*formatVersion), sizeof(uint32_t));
    if (!f)
      return 1;
  }
  if (truncate) {
    struct stat info;
    if (::stat(path.c_str(), &info) != 0 || uint64_t(info.st_size) < truncate ||
        ::truncate(path.c_str(), off_t(uint64_t(info.st_size) - truncate)) != 0)
      return 1;
  }
  return 0;
}
