// HF -> MLX tensor naming per family, mirroring mlx-vlm's sanitize().
#include "vlmc/model/MlxNaming.h"

#include <gtest/gtest.h>

using namespace vlmc;
using namespace vlmc::convert;

namespace {

ModelSpec spec(Family f, bool tie = false) {
  ModelSpec s;
  s.family = f;
  s.tieWordEmbeddings = tie;
  s.text = {64, 128, 100, 4, 2, 16, 2};
  return s;
}

std::string mlx(const ModelSpec &s, const std::string &hf,
                std::vector<int64_t> shape = {4, 4}) {
  auto m = mapName(s, hf, shape);
  return m ? m->mlxName : "<dropped>";
}

TEST(Naming, Qwen2VL) {
  for (Family f : {Family::kQwen2VL, Family::kQwen2_5VL}) {
    ModelSpec s = spec(f);
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
  ModelSpec s = spec(Family::kIdefics3);
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
  ModelSpec s = spec(Family::kLlama, /*tie=*/true);
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

TEST(Naming, DetectModel) {
  using ojson = nlohmann::ordered_json;
  auto cfg = ojson::parse(R"({"model_type":"qwen2_vl","tie_word_embeddings":true,
      "text_config":{"hidden_size":128,"num_hidden_layers":2,"vocab_size":1508,
      "num_attention_heads":4,"num_key_value_heads":2,"intermediate_size":384}})");
  auto m = detectModel(cfg, "c.json");
  ASSERT_TRUE(m.isOk());
  EXPECT_EQ(m->family, Family::kQwen2VL);
  EXPECT_TRUE(m->tieWordEmbeddings);
  EXPECT_EQ(m->text.headDim, 32);
  auto bad = detectModel(ojson::parse(R"({"model_type":"gemma3"})"), "c.json");
  ASSERT_FALSE(bad.isOk());
  EXPECT_NE(bad.status().message().find("unsupported architecture 'gemma3'"),
            std::string::npos);
  EXPECT_FALSE(detectModel(ojson::parse("{}"), "c.json").isOk());
}

} // namespace
