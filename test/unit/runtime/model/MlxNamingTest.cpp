// HF -> MLX tensor naming per family, mirroring mlx-vlm's sanitize(), the
// MLX module order and the text-model shapes a config implies.
#include "vlmc/model/MlxNaming.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace vlmc;
using namespace vlmc::model;
namespace fs = std::filesystem;

namespace {

ModelConfig spec(Family f, bool tie = false) {
  ModelConfig c;
  c.family = f;
  c.text.tieWordEmbeddings = tie;
  c.text.hidden = 64;
  c.text.intermediate = 128;
  c.text.vocab = 100;
  c.text.heads = 4;
  c.text.kvHeads = 2;
  c.text.headDim = 16;
  c.text.layers = 2;
  return c;
}

std::string mlx(const ModelConfig &s, const std::string &hf,
                std::vector<int64_t> shape = {4, 4}) {
  auto m = mapName(s, hf, shape);
  return m ? m->mlxName : "<dropped>";
}

TEST(Naming, Qwen2VL) {
  for (Family f : {Family::kQwen2VL, Family::kQwen2_5VL}) {
    ModelConfig s = spec(f);
    EXPECT_EQ(mlx(s, "model.layers.0.self_attn.q_proj.weight"),
              "language_model.model.layers.0.self_attn.q_proj.weight");
    EXPECT_EQ(mlx(s, "model.embed_tokens.weight"),
              "language_model.model.embed_tokens.weight");
    EXPECT_EQ(mlx(s, "model.norm.weight"), "language_model.model.norm.weight");
    EXPECT_EQ(mlx(s, "lm_head.weight"), "language_model.lm_head.weight");
    EXPECT_EQ(mlx(s, "visual.blocks.0.attn.qkv.weight"),
              "vision_tower.blocks.0.attn.qkv.weight");
    EXPECT_EQ(mlx(s, "visual.merger.mlp.0.weight"),
              "vision_tower.merger.mlp.0.weight");
    // transformers >= 4.52 layout folds to the same names.
    EXPECT_EQ(mlx(s, "model.language_model.layers.1.mlp.down_proj.weight"),
              "language_model.model.layers.1.mlp.down_proj.weight");
    EXPECT_EQ(mlx(s, "model.visual.patch_embed.proj.weight", {64, 3, 2, 14, 14}),
              "vision_tower.patch_embed.proj.weight");
    // Already-MLX names are left alone.
    EXPECT_EQ(mlx(s, "language_model.model.norm.weight"),
              "language_model.model.norm.weight");
    EXPECT_EQ(mlx(s, "model.layers.0.self_attn.rotary_emb.inv_freq"), "<dropped>");
    EXPECT_EQ(mlx(spec(f, /*tie=*/true), "lm_head.weight"), "<dropped>");
    // Conv3d [O, C, T, H, W] -> [O, T, H, W, C]; MLX layout kept.
    auto conv = mapName(s, "visual.patch_embed.proj.weight", {64, 3, 2, 14, 14});
    EXPECT_EQ(conv->transpose, (std::vector<int>{0, 2, 3, 4, 1}));
    EXPECT_TRUE(mapName(s, "visual.patch_embed.proj.weight", {64, 2, 14, 14, 3})
                    ->transpose.empty());
  }
}

TEST(Naming, Idefics3) {
  ModelConfig s = spec(Family::kIdefics3);
  EXPECT_EQ(mlx(s, "model.text_model.layers.0.mlp.up_proj.weight"),
            "language_model.layers.0.mlp.up_proj.weight");
  EXPECT_EQ(mlx(s, "model.text_model.embed_tokens.weight"),
            "language_model.embed_tokens.weight");
  EXPECT_EQ(mlx(s, "lm_head.weight"), "language_model.lm_head.weight");
  EXPECT_EQ(mlx(s, "model.vision_model.encoder.layers.1.self_attn.out_proj.bias"),
            "vision_model.encoder.layers.1.self_attn.out_proj.bias");
  EXPECT_EQ(mlx(s, "model.connector.modality_projection.proj.weight"),
            "connector.modality_projection.proj.weight");
  auto conv = mapName(s, "model.vision_model.embeddings.patch_embedding.weight",
                      {64, 3, 8, 8});
  EXPECT_EQ(conv->mlxName, "vision_model.embeddings.patch_embedding.weight");
  EXPECT_EQ(conv->transpose, (std::vector<int>{0, 2, 3, 1}));
  EXPECT_TRUE(mapName(s, "model.vision_model.embeddings.patch_embedding.weight",
                      {64, 8, 8, 3})
                  ->transpose.empty());
}

TEST(Naming, Llama) {
  ModelConfig s = spec(Family::kLlama, /*tie=*/true);
  EXPECT_EQ(mlx(s, "model.layers.1.self_attn.o_proj.weight"),
            "language_model.model.layers.1.self_attn.o_proj.weight");
  EXPECT_EQ(mlx(s, "lm_head.weight"), "<dropped>");
  EXPECT_EQ(mlx(spec(Family::kLlama, false), "lm_head.weight"),
            "language_model.lm_head.weight");
}

TEST(Naming, ModuleOrder) {
  // mlx-vlm module declaration order, not alphabetical.
  auto less = [](Family f, const char *a, const char *b) {
    return mlxModuleLess(f, a, b);
  };
  Family q = Family::kQwen2VL;
  EXPECT_TRUE(less(q, "vision_tower.x", "language_model.model.norm"));
  EXPECT_TRUE(less(q, "language_model.model.embed_tokens",
                   "language_model.model.layers.0.self_attn.q_proj"));
  EXPECT_TRUE(less(q, "language_model.model.layers.2.mlp.down_proj",
                   "language_model.model.layers.10.self_attn.q_proj"));
  EXPECT_TRUE(less(q, "language_model.model.layers.0.self_attn.v_proj",
                   "language_model.model.layers.0.self_attn.o_proj"));
  EXPECT_TRUE(less(q, "language_model.model.layers.0.mlp.up_proj",
                   "language_model.model.layers.0.mlp.down_proj"));
  EXPECT_TRUE(less(Family::kLlama, "language_model.model.layers.0.mlp.down_proj",
                   "language_model.model.layers.0.mlp.up_proj"));
  EXPECT_TRUE(less(q, "language_model.model.norm", "language_model.lm_head"));
  EXPECT_TRUE(less(q, "a.weight", "a.scales"));
  EXPECT_TRUE(less(q, "a.scales", "a.biases"));
  EXPECT_TRUE(less(Family::kIdefics3, "language_model.layers.0.mlp.gate_proj",
                   "connector.modality_projection.proj"));
}

TEST(Naming, TextModelShapes) {
  for (Family f : {Family::kQwen2VL, Family::kQwen2_5VL, Family::kLlama}) {
    ModelConfig s = spec(f);
    EXPECT_EQ(textModelPrefix(f), "language_model.model.");
    const std::string l = "language_model.model.layers.";
    EXPECT_EQ(textLayerIndex(s, l + "1.mlp.down_proj.weight"), 1);
    EXPECT_EQ(textLayerIndex(s, l + "12.self_attn.q_proj.bias"), 12);
    EXPECT_EQ(textLayerIndex(s, "language_model.layers.1.mlp.down_proj.weight"), -1);
    EXPECT_EQ(textLayerIndex(s, "vision_tower.blocks.1.mlp.fc1.weight"), -1);
    EXPECT_EQ(textLayerIndex(s, l + "x.mlp.fc1.weight"), -1);
    EXPECT_EQ(textLayerIndex(s, l + "1234567890.mlp.fc1.weight"), -1);

    using Shape = std::vector<int64_t>;
    // The expected shape, or {-1} for none.
    auto shapeOf = [&](const std::string &name) {
      auto want = expectedTextShape(s, name);
      return want ? *want : Shape{-1};
    };
    // heads * headDim = 64, kvHeads * headDim = 32.
    EXPECT_EQ(shapeOf("language_model.model.embed_tokens.weight"),
              (Shape{100, 64}));
    EXPECT_EQ(shapeOf("language_model.lm_head.weight"), (Shape{100, 64}));
    EXPECT_EQ(shapeOf("language_model.model.norm.weight"), (Shape{64}));
    EXPECT_EQ(shapeOf(l + "0.self_attn.q_proj.weight"), (Shape{64, 64}));
    EXPECT_EQ(shapeOf(l + "0.self_attn.k_proj.weight"), (Shape{32, 64}));
    EXPECT_EQ(shapeOf(l + "0.self_attn.v_proj.bias"), (Shape{32}));
    EXPECT_EQ(shapeOf(l + "0.self_attn.o_proj.weight"), (Shape{64, 64}));
    EXPECT_EQ(shapeOf(l + "1.mlp.gate_proj.weight"), (Shape{128, 64}));
    EXPECT_EQ(shapeOf(l + "1.mlp.down_proj.weight"), (Shape{64, 128}));
    EXPECT_EQ(shapeOf(l + "1.post_attention_layernorm.weight"),
              (Shape{64}));
    EXPECT_EQ(shapeOf("vision_tower.blocks.0.attn.qkv.weight"), Shape{-1});

    std::vector<std::string> untied = requiredTextTensors(s);
    EXPECT_EQ(untied.size(), 3u + 9u * 2u);
    EXPECT_EQ(untied[0], "language_model.model.embed_tokens.weight");
    EXPECT_EQ(untied[2], "language_model.lm_head.weight");
    EXPECT_EQ(untied.back(), l + "1.post_attention_layernorm.weight");
    // A tied model has no lm_head (mapName drops it).
    EXPECT_EQ(requiredTextTensors(spec(f, /*tie=*/true)).size(), 2u + 9u * 2u);
  }
  ModelConfig s = spec(Family::kIdefics3, /*tie=*/true);
  EXPECT_EQ(textModelPrefix(Family::kIdefics3), "language_model.");
  EXPECT_EQ(textLayerIndex(s, "language_model.layers.1.mlp.up_proj.weight"), 1);
  auto embed = expectedTextShape(s, "language_model.embed_tokens.weight");
  ASSERT_TRUE(embed.has_value());
  EXPECT_EQ(*embed, (std::vector<int64_t>{100, 64}));
  // Idefics3 keeps lm_head even when tied.
  std::vector<std::string> req = requiredTextTensors(s);
  EXPECT_EQ(req.size(), 3u + 9u * 2u);
  EXPECT_EQ(req[2], "language_model.lm_head.weight");
}

// A model directory with one safetensors file holding F32 [2] tensors.
class ModelDir {
public:
  ModelDir(const std::vector<std::string> &tensors,
           const std::map<std::string, std::string> &metadata) {
    std::string tmpl =
        (fs::temp_directory_path() / "vlmc-model-test-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data()) ? tmpl : std::string();
    std::string header = "{\"__metadata__\":{";
    bool first = true;
    for (const auto &[k, v] : metadata) {
      header += (first ? "\"" : ",\"") + k + "\":\"" + v + "\"";
      first = false;
    }
    header += "}";
    size_t offset = 0;
    for (const std::string &t : tensors) {
      header += ",\"" + t + "\":{\"dtype\":\"F32\",\"shape\":[2],"
                "\"data_offsets\":[" + std::to_string(offset) + "," +
                std::to_string(offset + 8) + "]}";
      offset += 8;
    }
    header += "}";
    std::string bytes(8, '\0');
    for (int i = 0; i < 8; ++i)
      bytes[i] = char(uint64_t(header.size()) >> (8 * i));
    bytes += header + std::string(offset, '\0');
    std::ofstream(path_ + "/model.safetensors", std::ios::binary) << bytes;
  }
  ~ModelDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string &path() const { return path_; }

private:
  std::string path_;
};

TEST(Naming, SourceTensorsResolveMetadataAliases) {
  ModelDir dir({"lm_head.weight", "model.norm.weight"},
               {{"format", "pt"},
                {"model.embed_tokens.weight", "lm_head.weight"},
                {"model.norm.weight", "lm_head.weight"}, // stored: not an alias
                {"model.missing.weight", "nowhere.weight"}});
  auto ck = io::Checkpoint::open(dir.path());
  ASSERT_TRUE(ck.isOk()) << ck.status().message();
  std::vector<SourceTensor> got = sourceTensors(*ck);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].name, "lm_head.weight");
  EXPECT_EQ(got[0].storedAs, "lm_head.weight");
  EXPECT_EQ(got[1].name, "model.norm.weight");
  EXPECT_EQ(got[1].storedAs, "model.norm.weight");
  EXPECT_EQ(got[2].name, "model.embed_tokens.weight");
  EXPECT_EQ(got[2].storedAs, "lm_head.weight");
}

TEST(Naming, SourceTensorsOfTinyStories) {
  auto ck = io::Checkpoint::open(std::string(VLMC_TEST_DATA_DIR) +
                                 "/tinystories-656k");
  ASSERT_TRUE(ck.isOk()) << ck.status().message();
  std::vector<SourceTensor> got = sourceTensors(*ck);
  ASSERT_EQ(got.size(), ck->size() + 1);
  EXPECT_EQ(got.back().name, "model.embed_tokens.weight");
  EXPECT_EQ(got.back().storedAs, "lm_head.weight");
}

} // namespace
