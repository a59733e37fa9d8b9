// One test per verification rule: each breaks exactly that rule in an
// otherwise valid artifact and checks the message names the file and the
// offending tensor / function / op.
#include "TestArtifacts.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fcntl.h>
#include <unistd.h>

using namespace vlmc;
using namespace vlmc::artifact;
using namespace vlmc::artifact::testing;

namespace {

::testing::AssertionResult failsWith(const std::string &bytes,
                                     const std::string &expected,
                                     StatusCode code = StatusCode::kDataLoss) {
  auto a = Artifact::fromBytes(bytes, "t.vlmc");
  if (a.isOk())
    return ::testing::AssertionFailure() << "loaded, expected: " << expected;
  const std::string &m = a.status().message();
  if (m.rfind("t.vlmc: ", 0) != 0 || m.find(expected) == std::string::npos)
    return ::testing::AssertionFailure()
           << "message: " << m << "\nexpected to contain: " << expected;
  if (a.status().code() != code)
    return ::testing::AssertionFailure()
           << "code " << statusCodeName(a.status().code()) << ", expected "
           << statusCodeName(code) << " (" << m << ")";
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult failsWith(const Sample &s,
                                     const std::string &expected) {
  return failsWith(assemble(s), expected);
}

FunctionDesc &prefill(Sample &s) { return s.functions[0]; }

// Moves the uoffset of a table's vector field by `delta` bytes, so the
// vector starts somewhere the builder would never put it.
void shiftVectorField(std::string &bytes, const void *table, uint16_t field,
                      int32_t delta) {
  auto *t = reinterpret_cast<const flatbuffers::Table *>(table);
  const uint8_t *slot = t->GetAddressOf(field);
  ASSERT_NE(slot, nullptr);
  uint32_t offset;
  std::memcpy(&offset, slot, 4);
  offset += uint32_t(delta);
  const auto *base = reinterpret_cast<const uint8_t *>(bytes.data());
  std::memcpy(bytes.data() + (slot - base), &offset, 4);
}

const fb::Artifact &rootOf(const std::string &bytes) {
  return *fb::GetArtifact(bytes.data() + kHeaderSize);
}

TEST(ArtifactVerify, SampleIsValid) {
  auto a = Artifact::fromBytes(assemble(sample()), "t.vlmc");
  ASSERT_TRUE(a.isOk()) << a.status().message();
}

// --- header -----------------------------------------------------------------

TEST(ArtifactVerify, TooShortForMagic) {
  EXPECT_TRUE(failsWith("VLMC", "not a vlmc artifact (only 4 bytes)",
                        StatusCode::kInvalidArgument));
}

TEST(ArtifactVerify, BadMagic) {
  std::string bytes = assemble(sample());
  bytes[0] = 'X';
  EXPECT_TRUE(failsWith(bytes, "not a vlmc artifact (no VLMCART magic)",
                        StatusCode::kInvalidArgument));
  EXPECT_TRUE(failsWith(std::string(100, '\0'), "not a vlmc artifact",
                        StatusCode::kInvalidArgument));
}

TEST(ArtifactVerify, TruncatedHeader) {
  EXPECT_TRUE(
      failsWith(assemble(sample()).substr(0, 40),
                "truncated: 40 bytes, shorter than the 64-byte header"));
}

TEST(ArtifactVerify, NewerFormat) {
  std::string bytes = assemble(sample());
  editHeader(bytes, [](Header &h) { h.formatVersion = kFormatVersion + 1; });
  EXPECT_TRUE(failsWith(bytes,
                        "t.vlmc: built by a newer vlmc (format 2; this runtime "
                        "reads format 1): recompile the model or update vlmc",
                        StatusCode::kUnimplemented));
}

TEST(ArtifactVerify, OlderFormat) {
  std::string bytes = assemble(sample());
  editHeader(bytes, [](Header &h) { h.formatVersion = 0; });
  EXPECT_TRUE(
      failsWith(bytes,
                "t.vlmc: built by an older vlmc (format 0; this runtime "
                "reads format 1): recompile the model with this vlmc",
                StatusCode::kUnimplemented));
}

TEST(ArtifactVerify, UnknownFlags) {
  std::string bytes = assemble(sample());
  editHeader(bytes, [](Header &h) { h.flags = 0x24; });
  EXPECT_TRUE(failsWith(bytes, "header flags 0x24 are unknown to this runtime",
                        StatusCode::kUnimplemented));
}

TEST(ArtifactVerify, FlatbufferOffset) {
  std::string bytes = assemble(sample());
  editHeader(bytes, [](Header &h) { h.flatbufferOffset = 128; });
  EXPECT_TRUE(
      failsWith(bytes, "header: flatbuffer offset is 128, expected 64"));
}

TEST(ArtifactVerify, FlatbufferPastEndOfFile) {
  std::string bytes = assemble(sample());
  const uint64_t size = bytes.size();
  for (uint64_t lie : {size, ~uint64_t(0), uint64_t(1) << 63}) {
    editHeader(bytes, [&](Header &h) { h.flatbufferSize = lie; });
    EXPECT_TRUE(failsWith(bytes, "truncated: the flatbuffer (" +
                                     std::to_string(lie) +
                                     " bytes at offset 64) extends past the "
                                     "end of the file (" +
                                     std::to_string(size) + " bytes)"));
  }
}

// The verifier asserts on 2 GiB buffers; a sparse file makes one cheaply.
TEST(ArtifactVerify, FlatbufferOverFlatbuffersLimit) {
  TempDir dir;
  const std::string path = dir / "huge.vlmc";
  const uint64_t fbSize = uint64_t(1) << 31;
  const uint64_t weightsOffset = kWeightsAlignment + fbSize;
  std::string header = assemble(sample()).substr(0, kHeaderSize);
  editHeader(header, [&](Header &h) {
    h.flatbufferSize = fbSize;
    h.weightsOffset = weightsOffset;
    h.weightsSize = 0;
  });
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, header.data(), header.size()), ssize_t(header.size()));
  ASSERT_EQ(::ftruncate(fd, off_t(weightsOffset)), 0);
  ::close(fd);
  auto a = Artifact::open(path);
  ASSERT_FALSE(a.isOk());
  EXPECT_NE(a.status().message().find("flatbuffer of 2147483648 bytes exceeds "
                                      "the flatbuffers limit"),
            std::string::npos)
      << a.status().message();
}

TEST(ArtifactVerify, FileIdentifier) {
  std::string bytes = assemble(sample());
  std::memcpy(bytes.data() + kHeaderSize + 4, "XXXX", 4);
  EXPECT_TRUE(failsWith(bytes, "does not carry the \"VLMC\" file identifier"));
}

TEST(ArtifactVerify, FlatbufferStructure) {
  std::string bytes = assemble(sample());
  const uint32_t rootOffset = 0x7ffffff0; // points far outside the buffer
  std::memcpy(bytes.data() + kHeaderSize, &rootOffset, 4);
  EXPECT_TRUE(failsWith(bytes, "the flatbuffer is corrupt (flatbuffers "
                               "verification failed)"));
}

TEST(ArtifactVerify, WeightsOffsetAlignment) {
  std::string bytes = assemble(sample());
  const uint64_t lie = readHeader(bytes).weightsOffset + 64;
  editHeader(bytes, [&](Header &h) { h.weightsOffset = lie; });
  EXPECT_TRUE(failsWith(bytes, "header: weights offset " + std::to_string(lie) +
                                   " is not a multiple of 4096"));
}

TEST(ArtifactVerify, WeightsOverlapFlatbuffer) {
  std::string bytes = assemble(sample());
  const uint64_t fbEnd = kHeaderSize + readHeader(bytes).flatbufferSize;
  editHeader(bytes, [](Header &h) { h.weightsOffset = 0; });
  EXPECT_TRUE(failsWith(bytes, "header: weights offset 0 overlaps the "
                               "flatbuffer, which ends at " +
                                   std::to_string(fbEnd)));
}

TEST(ArtifactVerify, WeightsPastEndOfFile) {
  std::string bytes = assemble(sample());
  const Header h = readHeader(bytes);
  const std::string expected =
      "truncated: the weights segment (" + std::to_string(h.weightsSize) +
      " bytes at offset " + std::to_string(h.weightsOffset) +
      ") extends past the end of the file (" +
      std::to_string(bytes.size() - 1) + " bytes)";
  EXPECT_TRUE(failsWith(bytes.substr(0, bytes.size() - 1), expected));
  editHeader(bytes, [](Header &h) { h.weightsSize = ~uint64_t(0); });
  EXPECT_TRUE(failsWith(bytes, "extends past the end of the file"));
}

// --- tensors
// ------------------------------------------------------------------

TEST(ArtifactVerify, TensorWithoutName) {
  Sample s = sample();
  s.tensors[2].name = "";
  EXPECT_TRUE(failsWith(s, "t.vlmc: tensor #2 has no name"));
}

TEST(ArtifactVerify, DuplicateTensorName) {
  Sample s = sample();
  s.tensors[3].name = "embed.weight";
  EXPECT_TRUE(failsWith(s, "t.vlmc: tensor 'embed.weight' is defined twice "
                           "(#0 and #3)"));
}

TEST(ArtifactVerify, TensorUnknownDType) {
  Sample s = sample();
  s.tensors[4].dtype = fb::DType(42);
  s.tensors[4].size = 128;
  EXPECT_TRUE(failsWith(s, "tensor 'norm.weight': unknown dtype 42"));
}

TEST(ArtifactVerify, TensorNegativeDim) {
  Sample s = sample();
  s.tensors[4].shape = {-1, 32};
  EXPECT_TRUE(failsWith(s, "tensor 'norm.weight': negative dimension in "
                           "shape [-1, 32]"));
}

TEST(ArtifactVerify, TensorShapeOverflow) {
  Sample s = sample();
  s.tensors[4].shape = {int64_t(1) << 40, int64_t(1) << 40};
  EXPECT_TRUE(failsWith(s, "tensor 'norm.weight': shape [1099511627776, "
                           "1099511627776] overflows"));
}

TEST(ArtifactVerify, TensorSizeMismatch) {
  Sample s = sample();
  s.tensors[4].size = 10;
  EXPECT_TRUE(failsWith(s, "tensor 'norm.weight': size 10 does not match "
                           "shape [32] of F32 (128 bytes)"));
}

TEST(ArtifactVerify, TensorOffsetAlignment) {
  Sample s = sample();
  s.tensors[0].offset = 8;
  EXPECT_TRUE(failsWith(s, "tensor 'embed.weight': offset 8 is not a "
                           "multiple of 256"));
}

TEST(ArtifactVerify, TensorOutsideWeights) {
  Sample s = sample();
  const uint64_t weightsSize = readHeader(assemble(s)).weightsSize;
  s.tensors[4].offset = weightsSize / 256 * 256 + 256;
  EXPECT_TRUE(failsWith(s, "tensor 'norm.weight': 128 bytes at offset " +
                               std::to_string(*s.tensors[4].offset) +
                               " extend past the weights segment (" +
                               std::to_string(weightsSize) + " bytes)"));
  // offset + size wraps around: still out of range, not a pass.
  s.tensors[4].offset = ~uint64_t(0) / 256 * 256;
  EXPECT_TRUE(failsWith(s, "extend past the weights segment"));
}

TEST(ArtifactVerify, TensorUnknownQuantMode) {
  Sample s = sample();
  s.tensors[1].quant->mode = fb::QuantMode(9);
  EXPECT_TRUE(failsWith(s, "tensor 'layers.0.q.weight': unknown quant mode 9"));
}

TEST(ArtifactVerify, TensorMisalignedShape) {
  Sample s = sample();
  s.tensors[4].shape = {1};
  std::string bytes = assemble(s);
  shiftVectorField(bytes, rootOf(bytes).tensors()->Get(4), fb::Tensor::VT_SHAPE,
                   4);
  EXPECT_TRUE(
      failsWith(bytes, "tensor 'norm.weight': misaligned shape vector"));
}

// --- embedded files
// -----------------------------------------------------------

TEST(ArtifactVerify, EmbeddedFileWithoutName) {
  Sample s = sample();
  s.files[1].first = "";
  EXPECT_TRUE(failsWith(s, "t.vlmc: embedded file #1 has no name"));
}

TEST(ArtifactVerify, DuplicateEmbeddedFile) {
  Sample s = sample();
  s.files[1].first = "config.json";
  EXPECT_TRUE(failsWith(s, "t.vlmc: embedded file 'config.json' appears twice "
                           "(#0 and #1)"));
}

// --- functions
// ----------------------------------------------------------------

TEST(ArtifactVerify, FunctionWithoutName) {
  Sample s = sample();
  s.functions[1].name = "";
  EXPECT_TRUE(failsWith(s, "t.vlmc: function #1 has no name"));
}

TEST(ArtifactVerify, DuplicateFunction) {
  Sample s = sample();
  s.functions[1].name = "prefill";
  EXPECT_TRUE(failsWith(s, "t.vlmc: function 'prefill' is defined twice (#0 "
                           "and #1)"));
}

TEST(ArtifactVerify, ValueUnknownDType) {
  Sample s = sample();
  prefill(s).values[2].dtype = fb::DType(99);
  EXPECT_TRUE(failsWith(s, "t.vlmc: function 'prefill': value 2: unknown "
                           "dtype 99"));
}

TEST(ArtifactVerify, ValueBadDim) {
  Sample s = sample();
  prefill(s).values[2].shape = {1, -2, 32};
  EXPECT_TRUE(failsWith(s, "function 'prefill': value 2: invalid dimension in "
                           "[1, -2, 32] (dims are >= 0, or -1 when dynamic)"));
}

TEST(ArtifactVerify, ValueMisalignedShape) {
  Sample s = sample();
  prefill(s).values[3].shape = {1};
  std::string bytes = assemble(s);
  const auto *value = rootOf(bytes).functions()->Get(0)->values()->Get(3);
  shiftVectorField(bytes, value, fb::Value::VT_SHAPE, 4);
  EXPECT_TRUE(failsWith(bytes, "function 'prefill': value 3: misaligned shape "
                               "vector"));
}

TEST(ArtifactVerify, ArgumentWithoutName) {
  Sample s = sample();
  prefill(s).inputs[0].first = "";
  EXPECT_TRUE(failsWith(s, "function 'prefill': input #0 has no name"));
}

TEST(ArtifactVerify, DuplicateArgumentName) {
  Sample s = sample();
  prefill(s).values.push_back({fb::DType::I32, {1}});
  prefill(s).inputs.push_back({"input_ids", 9});
  EXPECT_TRUE(failsWith(s, "function 'prefill': input 'input_ids' appears "
                           "twice"));
}

TEST(ArtifactVerify, ArgumentValueOutOfRange) {
  Sample s = sample();
  prefill(s).inputs[0].second = 9;
  EXPECT_TRUE(failsWith(s, "t.vlmc: function 'prefill': input 'input_ids': "
                           "refers to value 9, but the function has 9 values"));
}

TEST(ArtifactVerify, UnknownOpCode) {
  Sample s = sample();
  prefill(s).ops[3].code = fb::OpCode(999);
  EXPECT_TRUE(failsWith(s, "t.vlmc: function 'prefill': op 3: unknown op code "
                           "999"));
}

// The sampler kernels' op codes name no program op: no executor runs them.
TEST(ArtifactVerify, SamplerOpCodesAreNotProgramOps) {
  for (fb::OpCode code : {fb::OpCode::ArgMax, fb::OpCode::Sample}) {
    Sample s = sample();
    prefill(s).ops[3].code = code;
    EXPECT_TRUE(failsWith(s, "t.vlmc: function 'prefill': op 3 (" +
                                 std::string(fb::EnumNameOpCode(code)) +
                                 ", layer 'norm'): is a sampler kernel's op code, not "
                                 "a program op"));
  }
}

TEST(ArtifactVerify, OpInputOutOfRange) {
  Sample s = sample();
  prefill(s).ops[3].inputs[1] = 9;
  EXPECT_TRUE(failsWith(s, "t.vlmc: function 'prefill': op 3 (RmsNorm, layer "
                           "'norm'): input 1 refers to value 9, but the "
                           "function has 9 values"));
  prefill(s).ops[3].inputs[1] = -2;
  EXPECT_TRUE(failsWith(s, "input 1 refers to value -2"));
  prefill(s).ops[3].inputs[1] = -1; // an absent optional operand is fine
  EXPECT_TRUE(Artifact::fromBytes(assemble(s), "t.vlmc").isOk());
}

TEST(ArtifactVerify, OpReadsAValueBeforeItIsProduced) {
  Sample s = sample();
  prefill(s).ops[3].inputs[1] = 5; // produced by op 4
  EXPECT_TRUE(failsWith(s, "t.vlmc: function 'prefill': op 3 (RmsNorm, layer "
                           "'norm'): input 1 reads value 5, which no input or "
                           "earlier op produces"));
}

TEST(ArtifactVerify, FunctionOutputNeverProduced) {
  Sample s = sample();
  prefill(s).ops.pop_back(); // the op that produced the output, value 8
  EXPECT_TRUE(failsWith(s, "t.vlmc: function 'prefill': output 0 is value 8, "
                           "which nothing produces"));
}

TEST(ArtifactVerify, OpOutputOutOfRange) {
  Sample s = sample();
  prefill(s).ops[3].outputs[0] = -1;
  EXPECT_TRUE(failsWith(s, "function 'prefill': op 3 (RmsNorm, layer 'norm'): "
                           "output 0: refers to value -1, but the function "
                           "has 9 values"));
}

TEST(ArtifactVerify, ValueProducedTwiceByOps) {
  Sample s = sample();
  prefill(s).ops[3].outputs[0] = 2;
  EXPECT_TRUE(failsWith(s, "function 'prefill': op 3 (RmsNorm, layer 'norm'): "
                           "output 0: value 2 is already produced by op 1"));
}

TEST(ArtifactVerify, ValueProducedByArgumentAndOp) {
  Sample s = sample();
  prefill(s).ops[1].outputs[0] = 0;
  EXPECT_TRUE(failsWith(s, "op 1 (Embedding, layer 'embed'): output 0: value 0 "
                           "is already produced by input 'input_ids'"));
}

TEST(ArtifactVerify, ValueBoundToTwoArguments) {
  Sample s = sample();
  prefill(s).inputs.push_back({"positions", 0});
  EXPECT_TRUE(failsWith(s, "function 'prefill': input 'positions': value 0 is "
                           "already produced by input 'input_ids'"));
}

TEST(ArtifactVerify, ParameterTensorOutOfRange) {
  Sample s = sample();
  prefill(s).ops[2].tensor = 6;
  EXPECT_TRUE(failsWith(s, "function 'prefill': op 2 (Parameter, layer "
                           "'norm'): tensor index 6 is out of range (the "
                           "artifact has 6 tensors)"));
  prefill(s).ops[2].tensor = -1;
  EXPECT_TRUE(failsWith(s, "tensor index -1 is out of range"));
}

TEST(ArtifactVerify, ParameterDTypeMismatch) {
  Sample s = sample();
  prefill(s).values[3].dtype = fb::DType::BF16;
  EXPECT_TRUE(failsWith(s, "op 2 (Parameter, layer 'norm'): value 3 (BF16 "
                           "[32]) does not match tensor 'norm.weight' (F32 "
                           "[32])"));
}

TEST(ArtifactVerify, ParameterShapeMismatch) {
  Sample s = sample();
  prefill(s).values[3].shape = {1, 32};
  EXPECT_TRUE(failsWith(s, "op 2 (Parameter, layer 'norm'): value 3 (F32 [1, "
                           "32]) does not match tensor 'norm.weight' (F32 "
                           "[32])"));
}

TEST(ArtifactVerify, ParameterOutputCount) {
  Sample s = sample();
  prefill(s).ops[2].outputs = {};
  EXPECT_TRUE(failsWith(s, "op 2 (Parameter, layer 'norm'): has 0 outputs, "
                           "Parameter has exactly 1"));
}

// An executor writes outputs[0] of every op (and outputs[1] of AddRmsNorm):
// an op without them would make it index past the list.
TEST(ArtifactVerify, OpOutputCount) {
  Sample s = sample();
  prefill(s).ops[7].outputs.push_back(prefill(s).ops[7].outputs[0]);
  EXPECT_TRUE(failsWith(s, "op 7 (QMatmul, layer 'layers.0.q'): has 2 outputs, "
                           "QMatmul has exactly 1"));
}

// The CUDA runtime looks kernels up by these indices.
TEST(ArtifactVerify, OpKernelOutOfRange) {
  Sample s = sample();
  prefill(s).ops[7].kernel = 1;
  EXPECT_TRUE(failsWith(s, "op 7 (QMatmul, layer 'layers.0.q'): kernel index 1 is out of "
                           "range (the artifact has 1 kernels)"));
  prefill(s).ops[7].kernel = -2;
  EXPECT_TRUE(failsWith(s, "kernel index -2 is out of range"));
  prefill(s).ops[7].kernel = 0;
  EXPECT_TRUE(Artifact::fromBytes(assemble(s), "t.vlmc").isOk());
}

TEST(ArtifactVerify, SamplingKernelsOutOfRange) {
  Sample s = sample();
  s.model.greedyKernel = 3;
  EXPECT_TRUE(failsWith(s, "greedy_kernel: kernel index 3 is out of range (the artifact "
                           "has 1 kernels)"));
  s.model.greedyKernel = 0;
  s.model.sampleKernel = 1;
  EXPECT_TRUE(failsWith(s, "sample_kernel: kernel index 1 is out of range (the artifact "
                           "has 1 kernels)"));
  s.model.sampleKernel = 0;
  EXPECT_TRUE(Artifact::fromBytes(assemble(s), "t.vlmc").isOk());
}

TEST(ArtifactVerify, OpUnknownQuantMode) {
  Sample s = sample();
  prefill(s).ops[7].quant->mode = fb::QuantMode(-3);
  EXPECT_TRUE(failsWith(s, "op 7 (QMatmul, layer 'layers.0.q'): unknown quant "
                           "mode -3"));
}

TEST(ArtifactVerify, OpMisalignedI64Attrs) {
  Sample s = sample();
  s.functions[1].ops[2].i64 = {1};
  std::string bytes = assemble(s);
  const auto *op = rootOf(bytes).functions()->Get(1)->ops()->Get(2);
  shiftVectorField(bytes, op, fb::Op::VT_I64_ATTRS, 4);
  EXPECT_TRUE(failsWith(bytes, "function 'decode_step': op 2 (Activation, "
                               "layer 'act'): misaligned i64_attrs vector"));
}

TEST(ArtifactVerify, FunctionOutputOutOfRange) {
  Sample s = sample();
  prefill(s).outputs = {8, 9};
  EXPECT_TRUE(failsWith(s, "t.vlmc: function 'prefill': output 1 refers to "
                           "value 9, but the function has 9 values"));
}

// Ops sharing one long inputs vector: tiny on disk, 10^8 ids to check. The
// reader gives up instead of spending seconds (or hours) on it.
TEST(ArtifactVerify, AliasedVectorsBoundTheWork) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<int32_t> absent(100000, -1);
  auto inputs = fbb.CreateVector(absent);
  // Each op is otherwise valid: it produces a value of its own.
  std::vector<flatbuffers::Offset<fb::Op>> ops;
  std::vector<flatbuffers::Offset<fb::Value>> values;
  for (int i = 0; i < 1000; ++i) {
    values.push_back(fb::CreateValue(fbb, fb::DType::F32));
    ops.push_back(fb::CreateOp(fbb, fb::OpCode::Add, 0, inputs,
                               fbb.CreateVector(std::vector<int32_t>{i})));
  }
  auto f = fb::CreateFunction(fbb, fbb.CreateString("f"), fbb.CreateVector(values), 0, 0,
                              fbb.CreateVector(ops));
  auto functions = fbb.CreateVector(std::vector{f});
  fb::FinishArtifactBuffer(
      fbb, fb::CreateArtifact(fbb, 0, 0, 0, false, 0, 0, 0, functions));
  Header h{};
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.formatVersion = kFormatVersion;
  h.flatbufferOffset = kHeaderSize;
  h.flatbufferSize = fbb.GetSize();
  h.weightsOffset = (kHeaderSize + fbb.GetSize() + 4095) / 4096 * 4096;
  std::string bytes(size_t(h.weightsOffset), '\0');
  std::memcpy(bytes.data(), &h, sizeof h);
  std::memcpy(bytes.data() + kHeaderSize, fbb.GetBufferPointer(),
              fbb.GetSize());
  EXPECT_TRUE(failsWith(bytes, "t.vlmc: the flatbuffer refers to far more "
                               "elements than it holds"));
}

TEST(ArtifactVerify, NamesInMessagesAreEscaped) {
  Sample s = sample();
  s.tensors[0].name = s.tensors[3].name = "a\nb" + std::string(200, 'x');
  auto a = Artifact::fromBytes(assemble(s), "t.vlmc");
  ASSERT_FALSE(a.isOk());
  const std::string &m = a.status().message();
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  EXPECT_NE(m.find("tensor 'a\\x0abxxx"), std::string::npos) << m;
  EXPECT_NE(m.find("...' is defined twice"), std::string::npos) << m;
}

} // namespace
