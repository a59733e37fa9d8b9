// ArtifactBuilder: layout, streaming sources, atomic files, and the checks it
// runs before writing.
#include "TestArtifacts.h"

#include <gtest/gtest.h>

#include <fstream>

using namespace vlmc;
using namespace vlmc::artifact;
using namespace vlmc::artifact::testing;

namespace {

bool contains(const std::string &s, const std::string &part) {
  return s.find(part) != std::string::npos;
}

// A builder holding sample() with in-memory tensors.
void addSample(ArtifactBuilder &b, const Sample &s) {
  b.setModelInfo(s.model);
  for (const auto &[name, data] : s.files)
    ASSERT_TRUE(b.addEmbeddedFile(name, data).isOk());
  for (size_t i = 0; i < s.tensors.size(); ++i) {
    const TensorDesc &t = s.tensors[i];
    auto index =
        b.addTensor({t.name, t.dtype, t.shape, t.quant}, tensorBytes(s, i));
    ASSERT_TRUE(index.isOk()) << index.status().message();
    EXPECT_EQ(*index, i);
  }
  for (const auto &f : s.functions)
    ASSERT_TRUE(b.addFunction(createFunction(b.fbb(), f)).isOk());
}

TEST(ArtifactBuilder, FileAndStringAgree) {
  TempDir dir;
  ArtifactBuilder b;
  addSample(b, sample());
  auto bytes = b.finishToString();
  ASSERT_TRUE(bytes.isOk()) << bytes.status().message();
  ASSERT_TRUE(b.finishToFile(dir / "m.vlmc").isOk());
  EXPECT_EQ(readFile(dir / "m.vlmc"), *bytes);
  EXPECT_EQ(dir.list(), std::vector<std::string>{"m.vlmc"}); // no temporaries
}

TEST(ArtifactBuilder, Layout) {
  ArtifactBuilder b;
  addSample(b, sample());
  auto bytes = b.finishToString();
  ASSERT_TRUE(bytes.isOk());
  const Header h = readHeader(*bytes);
  EXPECT_EQ(h.flags, 0u);
  EXPECT_EQ(h.weightsOffset,
            (kHeaderSize + h.flatbufferSize + 4095) / 4096 * 4096);
  EXPECT_EQ(bytes->size(), h.weightsOffset + h.weightsSize);
  EXPECT_EQ(h.weightsSize, b.weightsSize());
  auto a = Artifact::fromBytes(*bytes, "m.vlmc");
  ASSERT_TRUE(a.isOk());
  uint64_t expectedOffset = 0;
  for (size_t i = 0; i < a->tensorCount(); ++i) {
    EXPECT_EQ(a->tensor(i)->offset(), expectedOffset) << i;
    expectedOffset =
        (a->tensor(i)->offset() + a->tensor(i)->size() + 255) / 256 * 256;
  }
  // Padding is zeros.
  for (uint64_t i = kHeaderSize + h.flatbufferSize; i < h.weightsOffset; ++i)
    ASSERT_EQ((*bytes)[i], '\0') << i;
}

// A 16 MiB tensor produced in odd-sized chunks by a source that only runs
// during finish.
TEST(ArtifactBuilder, StreamingSource) {
  TempDir dir;
  ArtifactBuilder b;
  const int64_t rows = 4096, cols = 1024; // f32: 16 MiB
  int calls = 0;
  auto index = b.addTensor(
      {"big", fb::DType::F32, {rows, cols}, {}}, [&](TensorSink &out) {
        ++calls;
        std::vector<float> row(cols);
        for (int64_t r = 0; r < rows; ++r) {
          for (int64_t c = 0; c < cols; ++c)
            row[size_t(c)] = float(r * cols + c);
          // Halves, to exercise chunking that doesn't match rows.
          VLMC_RETURN_IF_ERROR(out.write(row.data(), 1000));
          VLMC_RETURN_IF_ERROR(
              out.write(reinterpret_cast<char *>(row.data()) + 1000,
                        row.size() * 4 - 1000));
        }
        return Status::ok();
      });
  ASSERT_TRUE(index.isOk());
  ASSERT_TRUE(b.addTensor({"small", fb::DType::U8, {3}, {}}, std::string("abc"))
                  .isOk());
  EXPECT_EQ(calls, 0);
  ASSERT_TRUE(b.finishToFile(dir / "big.vlmc").isOk());
  EXPECT_EQ(calls, 1);

  auto a = Artifact::open(dir / "big.vlmc");
  ASSERT_TRUE(a.isOk()) << a.status().message();
  ByteSpan big = a->tensorData(*a->findTensor("big"));
  ASSERT_EQ(big.size, size_t(rows * cols * 4));
  const float *f = reinterpret_cast<const float *>(big.data);
  for (int64_t i = 0; i < rows * cols; i += 9973)
    ASSERT_EQ(f[i], float(i)) << i;
  ByteSpan small = a->tensorData(*a->findTensor("small"));
  EXPECT_EQ(std::string(reinterpret_cast<const char *>(small.data), small.size),
            "abc");
  EXPECT_EQ(small.data - big.data, rows * cols * 4); // 16 MiB is 256-aligned
}

TEST(ArtifactBuilder, RejectsBadTensors) {
  ArtifactBuilder b;
  ASSERT_TRUE(
      b.addTensor({"w", fb::DType::F32, {2}, {}}, std::string(8, 'x')).isOk());
  struct Case {
    TensorInfo info;
    size_t bytes;
    std::string message;
  } cases[] = {
      {{"w", fb::DType::F32, {2}, {}}, 8, "tensor 'w' was added twice"},
      {{"", fb::DType::F32, {2}, {}}, 8, "a tensor needs a name"},
      {{"d", fb::DType(77), {2}, {}}, 8, "tensor 'd': unknown dtype 77"},
      {{"n", fb::DType::F32, {-2}, {}}, 8, "tensor 'n': invalid shape [-2]"},
      {{"o", fb::DType::F32, {int64_t(1) << 62, 4}, {}},
       8,
       "tensor 'o': invalid shape [4611686018427387904, 4]"},
      {{"s", fb::DType::F32, {3}, {}},
       8,
       "tensor 's': got 8 bytes, its shape holds 12"},
      {{"q", fb::DType::U32, {2}, QuantInfo{fb::QuantMode(20), 4, 64, false}},
       8,
       "tensor 'q': unknown quant mode"},
  };
  for (const Case &c : cases) {
    auto r = b.addTensor(c.info, std::string(c.bytes, 'x'));
    ASSERT_FALSE(r.isOk()) << c.message;
    EXPECT_EQ(r.status().message(), "vlmc artifact builder: " + c.message);
  }
  auto noSource = b.addTensor({"z", fb::DType::F32, {2}, {}}, TensorSource());
  ASSERT_FALSE(noSource.isOk());
  EXPECT_TRUE(contains(noSource.status().message(), "no source"));
  EXPECT_EQ(b.tensorCount(), 1u);
}

TEST(ArtifactBuilder, RejectsBadFiles) {
  ArtifactBuilder b;
  ASSERT_TRUE(b.addEmbeddedFile("config.json", "{}").isOk());
  EXPECT_EQ(
      b.addEmbeddedFile("config.json", "{}").message(),
      "vlmc artifact builder: embedded file 'config.json' was added twice");
  EXPECT_EQ(b.addEmbeddedFile("", "{}").message(),
            "vlmc artifact builder: an embedded file needs a name");
}

TEST(ArtifactBuilder, SealedAfterFinish) {
  ArtifactBuilder b;
  addSample(b, sample());
  ASSERT_TRUE(b.finishToString().isOk());
  EXPECT_EQ(b.addTensor({"late", fb::DType::U8, {1}, {}}, std::string("x"))
                .status()
                .message(),
            "vlmc artifact builder: addTensor after the artifact was finished");
  EXPECT_FALSE(b.addEmbeddedFile("late", "").isOk());
  EXPECT_FALSE(
      b.addFunction(createFunction(b.fbb(), sample().functions[0])).isOk());
  EXPECT_FALSE(b.addKernel(fb::CreateKernelDirect(b.fbb(), "k")).isOk());
  // ...but it can still write the same artifact again.
  EXPECT_TRUE(b.finishToString().isOk());
}

// The reader's rules run before anything is written.
TEST(ArtifactBuilder, VerifiesBeforeWriting) {
  TempDir dir;
  Sample s = sample();
  s.functions[0].ops[3].inputs[1] = 42;
  ArtifactBuilder b;
  addSample(b, s);
  Status st = b.finishToFile(dir / "m.vlmc");
  ASSERT_FALSE(st.isOk());
  EXPECT_EQ(st.message(), "vlmc artifact builder: function 'prefill': op 3 "
                          "(RmsNorm, layer 'norm'): input 1 refers to value "
                          "42, but the function has 9 values");
  EXPECT_TRUE(dir.list().empty());

  // Tests may switch that off to produce invalid files on purpose.
  ArtifactBuilder unchecked(ArtifactBuilder::Options{false});
  addSample(unchecked, s);
  auto bytes = unchecked.finishToString();
  ASSERT_TRUE(bytes.isOk());
  EXPECT_FALSE(Artifact::fromBytes(*bytes, "m.vlmc").isOk());
}

TEST(ArtifactBuilder, SourceErrorsLeaveNothing) {
  TempDir dir;
  const std::string path = dir / "m.vlmc";
  std::ofstream(path) << "previous";
  struct Case {
    TensorSource source;
    std::string message;
  } cases[] = {
      {[](TensorSink &) { return internalError("boom"); },
       "vlmc artifact builder: tensor 'w': boom"},
      {[](TensorSink &out) { return out.write("abc", 3); },
       "vlmc artifact builder: tensor 'w': the source wrote 3 of its 8 bytes"},
      {[](TensorSink &out) { return out.write("0123456789", 10); },
       "vlmc artifact builder: tensor 'w': the source wrote more bytes than "
       "its shape holds"},
      // A source that ignores the failed write still fails the finish.
      {[](TensorSink &out) {
         (void)out.write("0123456789", 10);
         (void)out.write("01234567", 8);
         return Status::ok();
       },
       "the source wrote more bytes than its shape holds"},
  };
  for (const Case &c : cases) {
    ArtifactBuilder b;
    ASSERT_TRUE(b.addTensor({"w", fb::DType::F32, {2}, {}}, c.source).isOk());
    Status st = b.finishToFile(path);
    ASSERT_FALSE(st.isOk()) << c.message;
    EXPECT_TRUE(contains(st.message(), c.message)) << st.message();
    EXPECT_EQ(dir.list(), std::vector<std::string>{"m.vlmc"});
    EXPECT_EQ(readFile(path), "previous");
  }
}

TEST(ArtifactBuilder, ReplacesExistingFile) {
  TempDir dir;
  const std::string path = dir / "m.vlmc";
  std::ofstream(path) << "previous";
  ArtifactBuilder b;
  addSample(b, sample());
  ASSERT_TRUE(b.finishToFile(path).isOk());
  EXPECT_TRUE(Artifact::open(path).isOk());
  EXPECT_EQ(dir.list(), std::vector<std::string>{"m.vlmc"});
}

TEST(ArtifactBuilder, UnwritableDirectory) {
  TempDir dir;
  ArtifactBuilder b;
  addSample(b, sample());
  Status st = b.finishToFile(dir / "missing/m.vlmc");
  ASSERT_FALSE(st.isOk());
  EXPECT_TRUE(contains(st.message(), dir / "missing/m.vlmc: cannot create"))
      << st.message();
  EXPECT_TRUE(contains(st.message(), "No such file or directory"));
  EXPECT_TRUE(dir.list().empty());
}

} // namespace
