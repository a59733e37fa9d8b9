// SafetensorsWriter / CheckpointWriter: round trips, header styles, atomicity.
#include "TestUtil.h"
#include "vlmc/io/SafetensorsWriter.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

using namespace vlmc;
using namespace vlmc::io;
using namespace vlmc::io::testing;

namespace {

std::string bytesOf(size_t n, uint8_t seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i)
    s[i] = char(seed + i * 7);
  return s;
}

TEST(SafetensorsWriter, RoundTripPadded) {
  TempDir dir;
  std::vector<TensorData> tensors = {
      {{"z.weight", DType::kBF16, {3, 5}}, bytesOf(30, 1)},
      {{"a.scales", DType::kU8, {3}}, bytesOf(3, 2)},
      {{"m.empty", DType::kF32, {0, 4}}, ""},
      {{"b.weight", DType::kU32, {2, 2}}, bytesOf(16, 3)},
  };
  ASSERT_TRUE(writeSafetensors(dir / "x.safetensors", tensors,
                               {{{"format", "mlx"}}, HeaderStyle::kPadded})
                  .isOk());
  std::string raw = readFile(dir / "x.safetensors");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i)
    n = (n << 8) | uint8_t(raw[i]);
  EXPECT_EQ(n % 8, 0u);
  EXPECT_EQ(raw[8 + n - 1] == ' ' || raw[8 + n - 1] == '}', true);

  auto r = SafetensorsFile::open(dir / "x.safetensors");
  ASSERT_TRUE(r.isOk()) << r.status().message();
  EXPECT_EQ(r->metadata().at("format"), "mlx");
  // Data is laid out in spec order.
  ASSERT_EQ(r->tensors().size(), 4u);
  EXPECT_EQ(r->tensors()[0].name, "z.weight");
  for (const auto &t : tensors) {
    const TensorView *v = r->find(t.spec.name);
    ASSERT_NE(v, nullptr) << t.spec.name;
    EXPECT_EQ(v->dtype, t.spec.dtype);
    EXPECT_EQ(v->shape, t.spec.shape);
    EXPECT_EQ(std::string(reinterpret_cast<const char *>(v->data), v->nbytes),
              t.bytes);
  }
  // No temporaries left behind.
  size_t files = 0;
  for (auto &e : std::filesystem::directory_iterator(dir.path()))
    files += e.is_regular_file();
  EXPECT_EQ(files, 1u);
}

TEST(SafetensorsWriter, MlxStyleHeaderIsCompactSortedUnpadded) {
  TempDir dir;
  std::vector<TensorData> tensors = {
      {{"b", DType::kF32, {1}}, bytesOf(4, 1)},
      {{"a", DType::kU8, {3}}, bytesOf(3, 2)},
  };
  ASSERT_TRUE(writeSafetensors(dir / "m.safetensors", tensors,
                               {{{"format", "mlx"}}, HeaderStyle::kMlx})
                  .isOk());
  std::string raw = readFile(dir / "m.safetensors");
  std::string header =
      R"({"__metadata__":{"format":"mlx"},"a":{"data_offsets":[4,7],"dtype":"U8","shape":[3]},"b":{"data_offsets":[0,4],"dtype":"F32","shape":[1]}})";
  EXPECT_EQ(raw.substr(8, header.size()), header);
  EXPECT_EQ(raw.size(), 8 + header.size() + 7);
  EXPECT_EQ(uint8_t(raw[0]), header.size());
  // No metadata: MLX writes null.
  ASSERT_TRUE(writeSafetensors(dir / "n.safetensors", tensors,
                               {{}, HeaderStyle::kMlx})
                  .isOk());
  EXPECT_EQ(readFile(dir / "n.safetensors").substr(8, 20),
            R"({"__metadata__":null)");
  EXPECT_TRUE(SafetensorsFile::open(dir / "n.safetensors").isOk());
}

TEST(SafetensorsWriter, StreamsInChunksAndChecksSizes) {
  TempDir dir;
  auto w = SafetensorsWriter::create(
      dir / "s.safetensors",
      {{"a", DType::kF32, {4}}, {"b", DType::kU8, {2}}});
  ASSERT_TRUE(w.isOk());
  std::string a = bytesOf(16, 9);
  EXPECT_EQ((*w)->nextName(), "a");
  ASSERT_TRUE((*w)->write(a.data(), 10).isOk());
  ASSERT_TRUE((*w)->write(a.data() + 10, 6).isOk());
  EXPECT_EQ((*w)->nextName(), "b");
  EXPECT_FALSE((*w)->commit().isOk()); // b missing
  EXPECT_FALSE((*w)->write("xyz", 3).isOk());
  ASSERT_TRUE((*w)->write("xy", 2).isOk());
  EXPECT_FALSE((*w)->write("x", 1).isOk());
  ASSERT_TRUE((*w)->commit().isOk());
  auto r = SafetensorsFile::open(dir / "s.safetensors");
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ(std::string((const char *)r->find("a")->data, 16), a);
}

TEST(SafetensorsWriter, AbandonedWriterLeavesNothing) {
  TempDir dir;
  {
    auto w = SafetensorsWriter::create(dir / "s.safetensors",
                                       {{"a", DType::kF32, {4}}});
    ASSERT_TRUE(w.isOk());
    ASSERT_TRUE((*w)->write("abcd", 4).isOk());
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(SafetensorsWriter, RejectsBadSpecs) {
  TempDir dir;
  EXPECT_FALSE(SafetensorsWriter::create(dir / "x.safetensors",
                                         {{"a", DType::kF32, {-1}}})
                   .isOk());
  EXPECT_FALSE(SafetensorsWriter::create(
                   dir / "x.safetensors",
                   {{"a", DType::kF32, {1}}, {"a", DType::kF32, {1}}})
                   .isOk());
  EXPECT_FALSE(SafetensorsWriter::create("/nonexistent-dir/x.safetensors",
                                         {{"a", DType::kF32, {1}}})
                   .isOk());
}

TEST(CheckpointWriter, ShardsLikeMlxAndWritesIndex) {
  std::vector<TensorSpec> specs = {{"c", DType::kU8, {6}},
                                   {"a", DType::kU8, {5}},
                                   {"b", DType::kU8, {4}}};
  ShardPlan one = planShards(specs);
  EXPECT_EQ(one.fileNames, std::vector<std::string>{"model.safetensors"});
  EXPECT_EQ(one.totalSize, 15u);
  ShardPlan three = planShards(specs, 10);
  EXPECT_EQ(three.shardOf, (std::vector<size_t>{0, 1, 1}));
  EXPECT_EQ(three.fileNames,
            (std::vector<std::string>{"model-00001-of-00002.safetensors",
                                      "model-00002-of-00002.safetensors"}));
  EXPECT_EQ(indexJson(specs, three),
            "{\n    \"metadata\": {\n        \"total_size\": 15\n    },\n"
            "    \"weight_map\": {\n"
            "        \"a\": \"model-00002-of-00002.safetensors\",\n"
            "        \"b\": \"model-00002-of-00002.safetensors\",\n"
            "        \"c\": \"model-00001-of-00002.safetensors\"\n    }\n}");

  TempDir dir;
  auto w = CheckpointWriter::create(dir.path(), specs,
                                    {{{"format", "mlx"}}, HeaderStyle::kMlx},
                                    10);
  ASSERT_TRUE(w.isOk()) << w.status().message();
  for (const auto &s : specs) {
    EXPECT_EQ((*w)->nextName(), s.name);
    std::string b = bytesOf(size_t(s.shape[0]), 4);
    ASSERT_TRUE((*w)->write(b.data(), b.size()).isOk());
  }
  ASSERT_TRUE((*w)->finish().isOk());
  auto ck = Checkpoint::open(dir.path());
  ASSERT_TRUE(ck.isOk()) << ck.status().message();
  EXPECT_TRUE(ck->sharded());
  EXPECT_EQ(ck->names(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(ck->files().size(), 2u);
}

} // namespace
