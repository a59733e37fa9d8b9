// Checkpoint::open: single files, sharded indexes and their failure modes.
#include "TestUtil.h"
#include "vlmc/io/SafetensorsWriter.h"

#include <gtest/gtest.h>

#include <filesystem>

using namespace vlmc;
using namespace vlmc::io;
using namespace vlmc::io::testing;

namespace {

void writeShard(const std::string &path,
                const std::vector<std::string> &names) {
  std::vector<TensorData> tensors;
  for (const auto &n : names)
    tensors.push_back({{n, DType::kF32, {2}}, std::string(8, 'x')});
  ASSERT_TRUE(writeSafetensors(path, tensors).isOk());
}

std::string openError(const std::string &dir) {
  auto r = Checkpoint::open(dir);
  EXPECT_FALSE(r.isOk());
  return r.isOk() ? "" : r.status().message();
}

TEST(Checkpoint, OpensShardedFixture) {
  auto ck = Checkpoint::open(testDataDir() + "/smolvlm-tiny");
  ASSERT_TRUE(ck.isOk()) << ck.status().message();
  EXPECT_TRUE(ck->sharded());
  EXPECT_EQ(ck->files().size(), 3u);
  const TensorView *emb = ck->find("model.text_model.embed_tokens.weight");
  ASSERT_NE(emb, nullptr);
  EXPECT_EQ(emb->shape, (std::vector<int64_t>{49280, 64}));
  EXPECT_NE(ck->fileOf("lm_head.weight").find("model-00002-of-00003"),
            std::string::npos);
}

TEST(Checkpoint, OpensSingleFile) {
  auto ck = Checkpoint::open(testDataDir() + "/qwen2vl-tiny");
  ASSERT_TRUE(ck.isOk()) << ck.status().message();
  EXPECT_FALSE(ck->sharded());
  EXPECT_NE(ck->find("visual.patch_embed.proj.weight"), nullptr);
}

TEST(Checkpoint, IndexErrors) {
  TempDir dir;
  EXPECT_NE(openError(dir.path()).find("neither"), std::string::npos);

  writeShard(dir / "s1.safetensors", {"a", "b"});
  writeShard(dir / "s2.safetensors", {"c"});
  const std::string index = dir / "model.safetensors.index.json";

  writeFile(index, R"({"weight_map":{"a":"s1.safetensors","b":"s1.safetensors","c":"s2.safetensors"}})");
  EXPECT_TRUE(Checkpoint::open(dir.path()).isOk());

  writeFile(index, R"({"weight_map":{"a":"s1.safetensors","b":"s1.safetensors","c":"s3.safetensors"}})");
  EXPECT_NE(openError(dir.path()).find("missing shard"), std::string::npos);

  writeFile(index, R"({"weight_map":{"a":"s1.safetensors","b":"s1.safetensors","c":"s2.safetensors","d":"s2.safetensors"}})");
  EXPECT_NE(openError(dir.path()).find("tensor 'd' is listed"),
            std::string::npos);

  writeFile(index, R"({"weight_map":{"a":"s1.safetensors","c":"s2.safetensors"}})");
  EXPECT_NE(openError(dir.path()).find("tensor 'b' is not listed"),
            std::string::npos);

  writeFile(index, R"({"weight_map":{"a":"../s1.safetensors"}})");
  EXPECT_NE(openError(dir.path()).find("invalid shard name"),
            std::string::npos);

  writeFile(index, R"({"weight_map":["s1.safetensors"]})");
  EXPECT_NE(openError(dir.path()).find("weight_map"), std::string::npos);

  writeFile(index, R"({"weight_map":{"a":1}})");
  openError(dir.path());

  writeFile(index, "{not json");
  EXPECT_NE(openError(dir.path()).find("not a valid JSON"), std::string::npos);

  // A shard that is itself corrupt: the error names the shard.
  writeFile(index, R"({"weight_map":{"a":"s1.safetensors","b":"s1.safetensors","c":"s2.safetensors"}})");
  writeFile(dir / "s2.safetensors", "garbage");
  EXPECT_NE(openError(dir.path()).find("s2.safetensors"), std::string::npos);

  // The same tensor stored in two shards.
  writeShard(dir / "s2.safetensors", {"c", "a"});
  EXPECT_NE(openError(dir.path()).find("tensor 'a' is also stored"),
            std::string::npos);
}

} // namespace
