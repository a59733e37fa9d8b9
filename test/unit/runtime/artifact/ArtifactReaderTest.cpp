// Reading valid artifacts: header fields, lookups, tensor views and their
// alignment, files on disk vs. in memory, lifetime of the mapping.
#include "TestArtifacts.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

using namespace vlmc;
using namespace vlmc::artifact;
using namespace vlmc::artifact::testing;

namespace {

std::string str(const flatbuffers::String *s) {
  return s ? s->str() : "<null>";
}

bool aligned(const void *p, uint64_t alignment) {
  return reinterpret_cast<uintptr_t>(p) % alignment == 0;
}

void writeFile(const std::string &path, const std::string &bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// Everything a reader of sample() should see.
void expectSample(const Artifact &a) {
  const Sample s = sample();
  EXPECT_EQ(std::memcmp(a.header().magic, kMagic, 8), 0);
  EXPECT_EQ(a.header().formatVersion, kFormatVersion);
  EXPECT_EQ(a.header().flatbufferOffset, kHeaderSize);
  EXPECT_EQ(a.header().weightsOffset % kWeightsAlignment, 0u);
  EXPECT_EQ(a.flatbuffer().size, a.header().flatbufferSize);

  const fb::Artifact &root = a.root();
  EXPECT_EQ(str(root.family()), "qwen2_vl");
  EXPECT_EQ(str(root.model_type()), "qwen2_vl");
  EXPECT_EQ(str(root.target()), "cpu");
  EXPECT_FALSE(root.quantize_activations());
  EXPECT_EQ(str(root.compiler_version()), "vlmc-test");

  ASSERT_EQ(a.tensorCount(), s.tensors.size());
  EXPECT_TRUE(aligned(a.weightsSegment().data, kWeightsAlignment));
  for (size_t i = 0; i < s.tensors.size(); ++i) {
    SCOPED_TRACE(s.tensors[i].name);
    ASSERT_EQ(a.findTensor(s.tensors[i].name), i);
    const fb::Tensor *t = a.tensor(i);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->dtype(), s.tensors[i].dtype);
    EXPECT_EQ(std::vector<int64_t>(t->shape()->begin(), t->shape()->end()),
              s.tensors[i].shape);
    ByteSpan data = a.tensorData(i);
    EXPECT_EQ(std::string(reinterpret_cast<const char *>(data.data), data.size),
              tensorBytes(s, i));
    EXPECT_TRUE(aligned(data.data, kTensorAlignment));
    EXPECT_GE(data.begin(), a.weightsSegment().begin());
    EXPECT_LE(data.end(), a.weightsSegment().end());
  }
  const fb::Tensor *q = a.tensor(*a.findTensor("layers.0.q.weight"));
  ASSERT_NE(q->quant(), nullptr);
  EXPECT_EQ(q->quant()->mode(), fb::QuantMode::Affine);
  EXPECT_EQ(q->quant()->bits(), 4);
  EXPECT_EQ(q->quant()->group_size(), 32);
  EXPECT_EQ(a.tensor(*a.findTensor("norm.weight"))->quant(), nullptr);
  EXPECT_EQ(a.tensorData(*a.findTensor("empty")).size, 0u);

  EXPECT_EQ(a.embeddedFile("config.json"), R"({"model_type": "qwen2_vl"})");
  EXPECT_EQ(a.embeddedFile("tokenizer.json"), "{}");

  const fb::Function *prefill = a.findFunction("prefill");
  ASSERT_NE(prefill, nullptr);
  EXPECT_EQ(prefill->ops()->size(), 8u);
  EXPECT_EQ(prefill->values()->size(), 9u);
  EXPECT_EQ(prefill->inputs()->Get(0)->name()->str(), "input_ids");
  EXPECT_EQ(prefill->ops()->Get(7)->code(), fb::OpCode::QMatmul);
  const fb::Function *decode = a.findFunction("decode_step");
  ASSERT_NE(decode, nullptr);
  EXPECT_EQ(decode->ops()->size(), 3u);
  ASSERT_NE(root.kernels(), nullptr);
  EXPECT_EQ(root.kernels()->Get(0)->name()->str(), "qmatmul_affine4");
}

TEST(ArtifactReader, BuiltSample) {
  auto a = Artifact::fromBytes(build(sample()), "sample.vlmc");
  ASSERT_TRUE(a.isOk()) << a.status().message();
  EXPECT_EQ(a->label(), "sample.vlmc");
  expectSample(*a);
}

TEST(ArtifactReader, AssembledSample) {
  auto a = Artifact::fromBytes(assemble(sample()), "sample.vlmc");
  ASSERT_TRUE(a.isOk()) << a.status().message();
  expectSample(*a);
}

TEST(ArtifactReader, MissingNames) {
  auto a = Artifact::fromBytes(build(sample()), "sample.vlmc");
  ASSERT_TRUE(a.isOk());
  EXPECT_EQ(a->findTensor("nope"), std::nullopt);
  EXPECT_EQ(a->findFunction("vision_encoder"), nullptr);
  EXPECT_EQ(a->embeddedFile("chat_template.jinja"), std::nullopt);
  EXPECT_EQ(a->tensor(6), nullptr);
  EXPECT_TRUE(a->tensorData(6).empty());
}

TEST(ArtifactReader, OpenFile) {
  TempDir dir;
  writeFile(dir / "m.vlmc", build(sample()));
  auto a = Artifact::open(dir / "m.vlmc");
  ASSERT_TRUE(a.isOk()) << a.status().message();
  EXPECT_EQ(a->label(), dir / "m.vlmc");
  EXPECT_EQ(a->fileSize(), readFile(dir / "m.vlmc").size());
  expectSample(*a);
}

// Copies share the mapping; views outlive the Artifact they came from as long
// as one copy is alive.
TEST(ArtifactReader, CopiesShareTheMapping) {
  TempDir dir;
  writeFile(dir / "m.vlmc", build(sample()));
  std::optional<Artifact> copy;
  {
    auto a = Artifact::open(dir / "m.vlmc");
    ASSERT_TRUE(a.isOk());
    copy.emplace(*a);
  }
  std::remove((dir / "m.vlmc").c_str()); // the mapping keeps the data
  expectSample(*copy);
  Artifact moved = std::move(*copy);
  copy.reset();
  expectSample(moved);
}

TEST(ArtifactReader, OpenErrors) {
  TempDir dir;
  auto missing = Artifact::open(dir / "missing.vlmc");
  ASSERT_FALSE(missing.isOk());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(),
            dir / "missing.vlmc" + ": cannot open: No such file or directory");

  auto directory = Artifact::open(dir.path());
  ASSERT_FALSE(directory.isOk());
  EXPECT_EQ(directory.status().message(), dir.path() + ": not a regular file");

  writeFile(dir / "empty.vlmc", "");
  auto empty = Artifact::open(dir / "empty.vlmc");
  ASSERT_FALSE(empty.isOk());
  EXPECT_EQ(empty.status().message(),
            dir / "empty.vlmc" + ": not a vlmc artifact (only 0 bytes)");

  writeFile(dir / "config.json", "{\"model_type\": \"qwen2_vl\"}\n");
  auto json = Artifact::open(dir / "config.json");
  ASSERT_FALSE(json.isOk());
  EXPECT_EQ(json.status().message(),
            dir / "config.json" + ": not a vlmc artifact (no VLMCART magic)");
}

TEST(ArtifactReader, EmptyArtifact) {
  Sample s;
  auto bytes = build(s);
  EXPECT_EQ(bytes.size(), 4096u); // header + flatbuffer, padded to a page
  auto a = Artifact::fromBytes(bytes, "empty.vlmc");
  ASSERT_TRUE(a.isOk()) << a.status().message();
  EXPECT_EQ(a->tensorCount(), 0u);
  EXPECT_EQ(a->weightsSegment().size, 0u);
  EXPECT_EQ(a->root().family(), nullptr);
  EXPECT_EQ(a->findFunction("prefill"), nullptr);
}

// Nothing says the weights segment must end the file; bytes after it are
// ignored (a later format could append a section the header describes).
TEST(ArtifactReader, TrailingBytesIgnored) {
  auto a = Artifact::fromBytes(build(sample()) + "trailing", "t.vlmc");
  ASSERT_TRUE(a.isOk()) << a.status().message();
  expectSample(*a);
}

// Tied weights may share bytes.
TEST(ArtifactReader, OverlappingTensorsAllowed) {
  Sample s = sample();
  s.tensors.push_back({"lm_head.weight", fb::DType::BF16, {16, 32}, {}, 0, {}});
  auto a = Artifact::fromBytes(assemble(s), "t.vlmc");
  ASSERT_TRUE(a.isOk()) << a.status().message();
  EXPECT_EQ(a->tensorData(6).data, a->tensorData(0).data);
}

TEST(ArtifactReader, Helpers) {
  EXPECT_EQ(dtypeSize(fb::DType::BF16), 2u);
  EXPECT_EQ(dtypeSize(fb::DType::I64), 8u);
  EXPECT_EQ(dtypeSize(fb::DType(100)), 0u);
  EXPECT_EQ(tensorByteSize(fb::DType::F32, {2, 3}), 24u);
  EXPECT_EQ(tensorByteSize(fb::DType::F32, {}), 4u);
  EXPECT_EQ(tensorByteSize(fb::DType::F32, {0, 7}), 0u);
  EXPECT_EQ(tensorByteSize(fb::DType::F32, {-1}), std::nullopt);
  EXPECT_EQ(tensorByteSize(fb::DType::U8, {int64_t(1) << 62, 8}), std::nullopt);
  EXPECT_EQ(shapeString(nullptr, 0), "[]");
  std::vector<int64_t> shape = {1, -1, 8};
  EXPECT_EQ(shapeString(shape.data(), shape.size()), "[1, -1, 8]");
}

} // namespace
