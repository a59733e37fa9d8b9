// Artifacts whose weights are generated at load (vlm-compile
// --synthetic-weights): nothing stored, every tensor filled with values in
// the range its role promises (SyntheticWeights.h), the same on every load.
#include "TestArtifacts.h"

#include "vlmc/artifact/SyntheticWeights.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

using namespace vlmc;
using namespace vlmc::artifact;
using namespace vlmc::artifact::testing;

namespace {

float fromBF16(const uint8_t *p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  uint32_t u = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

float fromF16(const uint8_t *p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  int exponent = (h >> 10) & 0x1F;
  float magnitude = exponent == 0 ? std::ldexp(float(h & 0x3FF), -24)
                                  : std::ldexp(float(0x400 | (h & 0x3FF)), exponent - 25);
  return (h & 0x8000) ? -magnitude : magnitude;
}

std::vector<float> floats(const Artifact &a, const std::string &name) {
  size_t index = *a.findTensor(name);
  ByteSpan bytes = a.tensorData(index);
  fb::DType dtype = a.tensor(index)->dtype();
  std::vector<float> out;
  size_t step = dtype == fb::DType::F32 ? 4 : 2;
  for (size_t i = 0; i + step <= bytes.size; i += step) {
    float f;
    if (dtype == fb::DType::F32)
      std::memcpy(&f, bytes.data + i, 4);
    else
      f = dtype == fb::DType::BF16 ? fromBF16(bytes.data + i) : fromF16(bytes.data + i);
    out.push_back(f);
  }
  return out;
}

void expectWithin(const std::vector<float> &v, float lo, float hi, const std::string &what) {
  ASSERT_FALSE(v.empty()) << what;
  float min = *std::min_element(v.begin(), v.end()), max = *std::max_element(v.begin(), v.end());
  EXPECT_GE(min, lo) << what;
  EXPECT_LE(max, hi) << what;
  EXPECT_LT(min, max) << what << ": all values equal";
}

QuantInfo quant(fb::QuantMode mode, int bits, int group) { return QuantInfo{mode, bits, group, false}; }

// sample() plus one tensor of every role, all generated at load. Sources
// record whether they were asked for bytes (they must not be).
std::string syntheticArtifact(bool *sourceCalled) {
  ArtifactBuilder b;
  Sample s = sample();
  b.setModelInfo(s.model);
  b.setWeightsGeneratedAtLoad();
  auto source = [sourceCalled](TensorSink &) {
    *sourceCalled = true;
    return Status::ok();
  };
  for (const TensorDesc &t : s.tensors)
    EXPECT_TRUE(b.addTensor({t.name, t.dtype, t.shape, t.quant}, source).isOk());
  for (const auto &f : s.functions)
    EXPECT_TRUE(b.addFunction(createFunction(b.fbb(), f)).isOk());
  const QuantInfo affine = quant(fb::QuantMode::Affine, 4, 32);
  const QuantInfo mxfp8 = quant(fb::QuantMode::Mxfp8, 8, 32);
  const QuantInfo nvfp4 = quant(fb::QuantMode::Nvfp4, 4, 16);
  std::vector<TensorInfo> extra = {
      {"model.norm.weight", fb::DType::BF16, {256}, std::nullopt},
      {"lm_head.weight", fb::DType::F32, {64, 16}, std::nullopt},
      {"vision.proj.weight", fb::DType::F16, {64, 16}, std::nullopt},
      {"a.weight", fb::DType::U32, {64, 4}, affine},
      {"a.scales", fb::DType::BF16, {64, 1}, affine},
      {"a.biases", fb::DType::BF16, {64, 1}, affine},
      {"m.weight", fb::DType::U32, {64, 32}, mxfp8},
      {"m.scales", fb::DType::U8, {64, 4}, mxfp8},
      {"n.weight", fb::DType::U32, {64, 16}, nvfp4},
      {"n.scales", fb::DType::U8, {64, 8}, nvfp4},
      {"n.global_scale", fb::DType::F32, {1}, nvfp4},
  };
  for (const TensorInfo &t : extra)
    EXPECT_TRUE(b.addTensor(t, source).isOk()) << t.name;
  Result<std::string> bytes = b.finishToString();
  EXPECT_TRUE(bytes.isOk()) << bytes.status().message();
  return bytes ? *bytes : std::string();
}

TEST(SyntheticWeights, NothingIsStored) {
  bool called = false;
  std::string bytes = syntheticArtifact(&called);
  EXPECT_FALSE(called);
  const Header h = readHeader(bytes);
  EXPECT_EQ(h.weightsSize, 0u);
  EXPECT_EQ(bytes.size(), h.weightsOffset);
}

TEST(SyntheticWeights, EveryRoleGetsItsRange) {
  bool called = false;
  Result<Artifact> a = Artifact::fromBytes(syntheticArtifact(&called), "s.vlmc");
  ASSERT_TRUE(a.isOk()) << a.status().message();
  EXPECT_TRUE(a->syntheticWeights());
  EXPECT_EQ(a->weightsSegment().size, a->root().synthetic_weights_size());
  expectWithin(floats(*a, "model.norm.weight"), 0.94f, 1.06f, "norm");
  expectWithin(floats(*a, "lm_head.weight"), -0.03f, 0.03f, "f32 weight");
  expectWithin(floats(*a, "vision.proj.weight"), -0.03f, 0.03f, "f16 weight");
  expectWithin(floats(*a, "a.scales"), 0.0015f, 0.0031f, "affine scales");
  expectWithin(floats(*a, "a.biases"), -0.021f, -0.0049f, "affine biases");
  std::vector<float> global = floats(*a, "n.global_scale");
  ASSERT_EQ(global.size(), 1u);
  EXPECT_EQ(global[0], 1.0f);

  ByteSpan fp8 = a->tensorData(*a->findTensor("m.weight"));
  size_t distinct[256] = {};
  for (size_t i = 0; i < fp8.size; ++i) {
    ASSERT_NE(fp8.data[i] & 0x7F, 0x7F) << "E4M3 NaN code at byte " << i;
    ++distinct[fp8.data[i]];
  }
  EXPECT_GT(std::count_if(distinct, distinct + 256, [](size_t n) { return n > 0; }), 100);
  ByteSpan e8m0 = a->tensorData(*a->findTensor("m.scales"));
  for (size_t i = 0; i < e8m0.size; ++i) {
    ASSERT_GE(e8m0.data[i], 120);
    ASSERT_LE(e8m0.data[i], 127);
  }
  ByteSpan e4m3 = a->tensorData(*a->findTensor("n.scales"));
  for (size_t i = 0; i < e4m3.size; ++i) {
    ASSERT_GE(e4m3.data[i], 0x30);
    ASSERT_LE(e4m3.data[i], 0x3F);
  }
}

TEST(SyntheticWeights, SameValuesOnEveryLoad) {
  bool called = false;
  std::string bytes = syntheticArtifact(&called);
  Result<Artifact> first = Artifact::fromBytes(bytes, "a"), second = Artifact::fromBytes(bytes, "b");
  ASSERT_TRUE(first.isOk() && second.isOk());
  for (size_t i = 0; i < first->tensorCount(); ++i) {
    ByteSpan x = first->tensorData(i), y = second->tensorData(i);
    ASSERT_EQ(x.size, y.size);
    EXPECT_EQ(std::memcmp(x.data, y.data, x.size), 0) << first->tensor(i)->name()->str();
  }
}

TEST(SyntheticWeights, StoredAndSyntheticTogetherIsCorrupt) {
  bool called = false;
  std::string bytes = syntheticArtifact(&called);
  Header h = readHeader(bytes);
  h.weightsSize = 1;
  std::memcpy(bytes.data(), &h, sizeof h);
  bytes.push_back('\0');
  Result<Artifact> a = Artifact::fromBytes(bytes, "both.vlmc");
  ASSERT_FALSE(a.isOk());
  EXPECT_NE(a.status().message().find("asks for synthetic weights too"), std::string::npos)
      << a.status().message();
}

TEST(SyntheticWeights, TooLargeForThisMachineIsAnError) {
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(fb::CreateArtifact(fbb));
  Result<std::shared_ptr<uint8_t>> segment =
      generateSyntheticWeights(*fb::GetArtifact(fbb.GetBufferPointer()), uint64_t(1) << 60);
  ASSERT_FALSE(segment.isOk());
  EXPECT_EQ(segment.status().code(), StatusCode::kResourceExhausted);
}

} // namespace
