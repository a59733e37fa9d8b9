// config.json in the layouts seen in the wild: transformers 4 (flat) and 5
// (nested text_config, rope_parameters, dtype), and MLX-VLM's rewritten
// configs with a quantization dict.
#include "vlmc/model/ModelConfig.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <string>

using namespace vlmc;
using namespace vlmc::model;
using json = nlohmann::json;

namespace {

const std::string kData = VLMC_TEST_DATA_DIR;

// A small valid text-only (llama) config.
json llamaConfig() {
  return json::parse(R"({"model_type": "llama", "hidden_size": 64,
      "intermediate_size": 128, "num_hidden_layers": 2,
      "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 100})");
}

// A small valid transformers-5 style Qwen2-VL config.
json qwenConfig() {
  return json::parse(R"({"model_type": "qwen2_vl", "image_token_id": 99,
      "text_config": {"hidden_size": 64, "intermediate_size": 128,
        "num_hidden_layers": 2, "num_attention_heads": 4,
        "num_key_value_heads": 2, "vocab_size": 100},
      "vision_config": {"depth": 2, "embed_dim": 32, "num_heads": 2,
        "patch_size": 14, "hidden_size": 64}})");
}

Result<ModelConfig> parse(const json &j) {
  return parseModelConfig(j.dump(), "c.json");
}

ModelConfig parseOk(const json &j) {
  Result<ModelConfig> r = parse(j);
  EXPECT_TRUE(r.isOk()) << r.status().message();
  return r.isOk() ? *r : ModelConfig();
}

std::string parseError(const json &j) {
  Result<ModelConfig> r = parse(j);
  EXPECT_FALSE(r.isOk());
  return r.isOk() ? "" : r.status().message();
}

TEST(ModelConfig, FlatTransformers4Qwen2VL) {
  Result<ModelConfig> r = loadModelConfig(kData + "/configs/qwen2-vl-2b-instruct");
  ASSERT_TRUE(r.isOk()) << r.status().message();
  const ModelConfig &c = *r;
  EXPECT_EQ(c.family, Family::kQwen2VL);
  EXPECT_EQ(c.modelType, "qwen2_vl");
  EXPECT_STREQ(familyName(c.family), "qwen2_vl");
  const TextConfig &t = c.text;
  EXPECT_EQ(t.hidden, 1536);
  EXPECT_EQ(t.intermediate, 8960);
  EXPECT_EQ(t.layers, 28);
  EXPECT_EQ(t.heads, 12);
  EXPECT_EQ(t.kvHeads, 2);
  EXPECT_EQ(t.headDim, 128);
  EXPECT_EQ(t.vocab, 151936);
  EXPECT_TRUE(t.tieWordEmbeddings);
  EXPECT_TRUE(t.attentionBias); // Qwen2's q/k/v carry a bias
  EXPECT_DOUBLE_EQ(t.ropeTheta, 1e6);
  EXPECT_EQ(t.mropeSection, (std::vector<int64_t>{16, 24, 24}));
  EXPECT_EQ(t.eosTokenIds, (std::vector<int64_t>{151645}));
  EXPECT_EQ(t.bosTokenId, 151643);
  EXPECT_EQ(c.dtype, "bfloat16");
  EXPECT_EQ(c.imageTokenId, 151655);
  EXPECT_EQ(c.visionStartTokenId, 151652);
  EXPECT_EQ(c.visionEndTokenId, 151653);
  EXPECT_FALSE(c.quantization.has_value());
  ASSERT_TRUE(c.vision.has_value());
  EXPECT_EQ(c.vision->depth, 32);
  EXPECT_EQ(c.vision->width, 1280);
  EXPECT_EQ(c.vision->heads, 16);
  EXPECT_EQ(c.vision->intermediate, 1280 * 4);
  EXPECT_EQ(c.vision->outHidden, 1536);
  EXPECT_EQ(c.vision->patchSize, 14);
  EXPECT_EQ(c.vision->temporalPatchSize, 2);
  EXPECT_EQ(c.vision->spatialMergeSize, 2);
  EXPECT_EQ(c.vision->hiddenAct, "quick_gelu");
}

TEST(ModelConfig, NestedTransformers5Qwen2VL) {
  Result<ModelConfig> r = loadModelConfig(kData + "/qwen2vl-tiny");
  ASSERT_TRUE(r.isOk()) << r.status().message();
  const ModelConfig &c = *r;
  EXPECT_EQ(c.family, Family::kQwen2VL);
  const TextConfig &t = c.text;
  EXPECT_EQ(t.hidden, 128);
  EXPECT_EQ(t.intermediate, 384);
  EXPECT_EQ(t.layers, 2);
  EXPECT_EQ(t.heads, 4);
  EXPECT_EQ(t.kvHeads, 2);
  EXPECT_EQ(t.headDim, 32);
  EXPECT_EQ(t.vocab, 1508);
  EXPECT_FALSE(t.tieWordEmbeddings);
  EXPECT_DOUBLE_EQ(t.ropeTheta, 1e6);
  EXPECT_EQ(t.mropeSection, (std::vector<int64_t>{4, 6, 6}));
  EXPECT_EQ(t.eosTokenIds, (std::vector<int64_t>{1502}));
  EXPECT_EQ(c.dtype, "bfloat16"); // "dtype", not "torch_dtype"
  EXPECT_EQ(c.imageTokenId, 1506);
  ASSERT_TRUE(c.vision.has_value());
  EXPECT_EQ(c.vision->depth, 2);
  EXPECT_EQ(c.vision->width, 64);
  EXPECT_EQ(c.vision->intermediate, 128);
  EXPECT_EQ(c.vision->outHidden, 128);
  EXPECT_DOUBLE_EQ(c.vision->ropeTheta, 10000.0);
}

TEST(ModelConfig, Idefics3AndLlamaFixtures) {
  Result<ModelConfig> smol = loadModelConfig(kData + "/configs/smolvlm-256m-instruct");
  ASSERT_TRUE(smol.isOk()) << smol.status().message();
  EXPECT_EQ(smol->family, Family::kIdefics3);
  EXPECT_EQ(smol->text.layers, 30);
  EXPECT_EQ(smol->text.headDim, 64);
  EXPECT_FALSE(smol->text.attentionBias);
  ASSERT_TRUE(smol->vision.has_value());
  EXPECT_EQ(smol->vision->scaleFactor, 4);

  Result<ModelConfig> tiny = loadModelConfig(kData + "/tinystories-656k");
  ASSERT_TRUE(tiny.isOk()) << tiny.status().message();
  EXPECT_EQ(tiny->family, Family::kLlama);
  EXPECT_FALSE(tiny->vision.has_value());
  EXPECT_TRUE(tiny->text.tieWordEmbeddings);
  EXPECT_EQ(tiny->dtype, "float32");

  Result<ModelConfig> missing = loadModelConfig(kData + "/no-such-model");
  ASSERT_FALSE(missing.isOk());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("no-such-model/config.json"),
            std::string::npos);
}

TEST(ModelConfig, RopeScalingOrRopeParameters) {
  for (const char *key : {"rope_scaling", "rope_parameters"}) {
    SCOPED_TRACE(key);
    // Nested in text_config.
    json j = qwenConfig();
    j["text_config"][key] = {{"rope_theta", 5e5}, {"mrope_section", {2, 3, 3}}};
    ModelConfig c = parseOk(j);
    EXPECT_DOUBLE_EQ(c.text.ropeTheta, 5e5);
    EXPECT_EQ(c.text.mropeSection, (std::vector<int64_t>{2, 3, 3}));
    // At the top level, theta beside it (transformers 4).
    j = qwenConfig();
    j[key] = {{"type", "mrope"}, {"mrope_section", {2, 3, 3}}};
    j["rope_theta"] = 2e5;
    c = parseOk(j);
    EXPECT_DOUBLE_EQ(c.text.ropeTheta, 2e5);
    EXPECT_EQ(c.text.mropeSection, (std::vector<int64_t>{2, 3, 3}));
    // Sections must cover head_dim / 2 (= 8).
    j[key]["mrope_section"] = {2, 2, 2};
    EXPECT_NE(parseError(j).find("mrope_section sums to 6 but head_dim / 2 is 8"),
              std::string::npos);
  }
  // Neither: plain RoPE with the default theta.
  ModelConfig plain = parseOk(llamaConfig());
  EXPECT_TRUE(plain.text.mropeSection.empty());
  EXPECT_DOUBLE_EQ(plain.text.ropeTheta, 10000.0);
  json null = llamaConfig();
  null["rope_scaling"] = nullptr; // TinyStories writes this
  EXPECT_TRUE(parseOk(null).text.mropeSection.empty());
}

TEST(ModelConfig, TorchDtypeOrDtype) {
  json j = llamaConfig();
  EXPECT_EQ(parseOk(j).dtype, "float32"); // neither
  j["dtype"] = "bfloat16";
  EXPECT_EQ(parseOk(j).dtype, "bfloat16");
  j["torch_dtype"] = "float16"; // torch_dtype first
  EXPECT_EQ(parseOk(j).dtype, "float16");
  json nested = qwenConfig();
  nested["text_config"]["torch_dtype"] = "bfloat16";
  EXPECT_EQ(parseOk(nested).dtype, "bfloat16");
  j["torch_dtype"] = "float64";
  EXPECT_EQ(parseError(j), "c.json: unsupported dtype 'float64'");
}

TEST(ModelConfig, TieWordEmbeddingsTopLevelOrTextConfig) {
  json j = qwenConfig();
  EXPECT_FALSE(parseOk(j).text.tieWordEmbeddings); // Qwen's default
  j["text_config"]["tie_word_embeddings"] = true;
  EXPECT_TRUE(parseOk(j).text.tieWordEmbeddings);
  // transformers 5 keeps the composite config's value at the top level; it
  // wins over text_config's.
  j["tie_word_embeddings"] = false;
  EXPECT_FALSE(parseOk(j).text.tieWordEmbeddings);
  j["text_config"]["tie_word_embeddings"] = false;
  j["tie_word_embeddings"] = true;
  EXPECT_TRUE(parseOk(j).text.tieWordEmbeddings);

  json llama = llamaConfig();
  EXPECT_TRUE(parseOk(llama).text.tieWordEmbeddings); // Llama's default
  llama["tie_word_embeddings"] = false;
  EXPECT_FALSE(parseOk(llama).text.tieWordEmbeddings);
}

TEST(ModelConfig, MissingOrInconsistentDimensions) {
  for (const char *key : {"hidden_size", "intermediate_size", "num_hidden_layers",
                          "num_attention_heads", "vocab_size"}) {
    SCOPED_TRACE(key);
    json j = llamaConfig();
    j.erase(key);
    EXPECT_EQ(parseError(j),
              "c.json: missing or invalid text dimensions (need hidden_size, "
              "intermediate_size, num_hidden_layers, num_attention_heads, "
              "vocab_size)");
    j = qwenConfig();
    j["text_config"][key] = 0;
    EXPECT_NE(parseError(j).find("missing or invalid text dimensions"),
              std::string::npos);
  }
  // Defaults: kv heads = heads, head_dim = hidden / heads.
  json j = llamaConfig();
  j.erase("num_key_value_heads");
  ModelConfig c = parseOk(j);
  EXPECT_EQ(c.text.kvHeads, 4);
  EXPECT_EQ(c.text.headDim, 16);
  j["head_dim"] = 32;
  EXPECT_EQ(parseOk(j).text.headDim, 32);

  j = llamaConfig();
  j["num_key_value_heads"] = 3;
  EXPECT_EQ(parseError(j), "c.json: num_attention_heads (4) is not a multiple "
                           "of num_key_value_heads (3)");
  j = llamaConfig();
  j["head_dim"] = 15;
  EXPECT_EQ(parseError(j), "c.json: head_dim 15 must be positive and even");

  j = qwenConfig();
  j.erase("vision_config");
  EXPECT_EQ(parseError(j), "c.json: qwen2_vl needs a vision_config");
  j = qwenConfig();
  j["vision_config"].erase("depth");
  EXPECT_NE(parseError(j).find("missing or invalid vision dimensions"),
            std::string::npos);
  j = qwenConfig();
  j.erase("image_token_id");
  EXPECT_EQ(parseError(j), "c.json: a vision model needs image_token_id");
  j["image_token_index"] = 7; // the older name
  EXPECT_EQ(parseOk(j).imageTokenId, 7);
}

TEST(ModelConfig, UnsupportedOrMissingModelType) {
  json j = llamaConfig();
  j["model_type"] = "gemma3";
  Result<ModelConfig> r = parse(j);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kUnimplemented);
  EXPECT_EQ(r.status().message(),
            "c.json: unsupported architecture 'gemma3' (supported: qwen2_vl, "
            "qwen2_5_vl, idefics3, smolvlm, llama)");
  j.erase("model_type");
  EXPECT_EQ(parseError(j), "c.json: no \"model_type\"");
  EXPECT_EQ(parseError(json::array()), "c.json: not a JSON object");
  Result<ModelConfig> text = parseModelConfig("{not json", "c.json");
  ASSERT_FALSE(text.isOk());
  EXPECT_EQ(text.status().message(), "c.json: not a JSON object");

  j = llamaConfig();
  j["model_type"] = "smolvlm";
  j["image_token_id"] = 5;
  j["vision_config"] = {{"num_hidden_layers", 2}, {"hidden_size", 32},
                        {"num_attention_heads", 2}, {"intermediate_size", 64},
                        {"patch_size", 8}, {"image_size", 32}};
  EXPECT_EQ(parseOk(j).family, Family::kIdefics3);
  j["model_type"] = "qwen2_5_vl";
  j["vision_config"] = {{"depth", 2}, {"hidden_size", 32}, {"num_heads", 2},
                        {"intermediate_size", 64}, {"patch_size", 14},
                        {"out_hidden_size", 64}};
  EXPECT_EQ(parseOk(j).family, Family::kQwen2_5VL);
}

TEST(ModelConfig, MlxQuantizationDict) {
  for (const char *key : {"quantization", "quantization_config"}) {
    SCOPED_TRACE(key);
    json j = llamaConfig();
    j[key] = json::parse(R"({"group_size": 64, "bits": 4, "mode": "affine",
        "language_model.model.layers.0.mlp.down_proj": {"group_size": 64, "bits": 6},
        "model.layers.1.self_attn.v_proj": {"group_size": 32, "bits": 8},
        "language_model.model.layers.1.mlp.up_proj": false,
        "language_model.model.norm": true})");
    ModelConfig c = parseOk(j);
    ASSERT_TRUE(c.quantization.has_value());
    const QuantizationConfig &q = *c.quantization;
    EXPECT_EQ(q.defaults.mode, "affine");
    EXPECT_EQ(q.defaults.bits, 4);
    EXPECT_EQ(q.defaults.groupSize, 64);
    // Only dict entries and `false` are per-layer entries.
    EXPECT_EQ(q.layers.size(), 3u);

    // The full path.
    auto down = q.lookup("language_model.model.layers.0.mlp.down_proj");
    ASSERT_TRUE(down.has_value());
    EXPECT_EQ(down->bits, 6);
    EXPECT_EQ(down->groupSize, 64);
    EXPECT_EQ(down->mode, "affine"); // a per-layer dict without mode
    // Stored without "language_model.": found with and without the prefix.
    for (const char *path : {"language_model.model.layers.1.self_attn.v_proj",
                             "model.layers.1.self_attn.v_proj"}) {
      auto v = q.lookup(path);
      ASSERT_TRUE(v.has_value()) << path;
      EXPECT_EQ(v->bits, 8) << path;
      EXPECT_EQ(v->groupSize, 32) << path;
    }
    // Stored with the prefix: the bare path does not find it (MLX-VLM only
    // strips, never adds, the prefix) and gets the defaults.
    auto bare = q.lookup("model.layers.0.mlp.down_proj");
    ASSERT_TRUE(bare.has_value());
    EXPECT_EQ(bare->bits, 4);
    // false: explicitly not quantized.
    EXPECT_FALSE(q.lookup("language_model.model.layers.1.mlp.up_proj").has_value());
    // Anything else: the defaults.
    auto other = q.lookup("language_model.model.layers.1.mlp.gate_proj");
    ASSERT_TRUE(other.has_value());
    EXPECT_EQ(other->bits, 4);
    EXPECT_EQ(other->groupSize, 64);
  }

  // The fp modes take their MLX defaults.
  json j = llamaConfig();
  j["quantization"] = {{"mode", "nvfp4"}};
  ModelConfig c = parseOk(j);
  ASSERT_TRUE(c.quantization.has_value());
  EXPECT_EQ(c.quantization->defaults.mode, "nvfp4");
  EXPECT_EQ(c.quantization->defaults.bits, 4);
  EXPECT_EQ(c.quantization->defaults.groupSize, 16);
  j["quantization"] = {{"mode", "mxfp8"}};
  EXPECT_EQ(parseOk(j).quantization->defaults.groupSize, 32);
  // Other tools' quantization_config (quant_method) is not ours.
  j.erase("quantization");
  j["quantization_config"] = {{"quant_method", "gptq"}, {"bits", 4}};
  EXPECT_FALSE(parseOk(j).quantization.has_value());
  // Unknown modes are errors naming the entry.
  j.erase("quantization_config");
  j["quantization"] = {{"bits", 4}, {"x.proj", {{"mode", "int4"}}}};
  EXPECT_EQ(parseError(j),
            "c.json: quantization entry 'x.proj': unknown quantization mode 'int4'");
}

} // namespace
