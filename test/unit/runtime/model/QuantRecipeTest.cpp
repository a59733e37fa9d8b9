// mlx_vlm.convert's quantization rules as QuantRecipe implements them: flag
// validation (with the exact error texts), the multimodal skip, the
// divisibility rule and the mixed recipes' per-layer bits.
#include "vlmc/model/QuantRecipe.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace vlmc;
using namespace vlmc::model;

namespace {

// The text model's quantizable modules (MLX paths) with `prefix` (the
// Qwen2/Llama layout "language_model.model." or Idefics3's
// "language_model."), in MLX module order.
std::vector<std::string> textModules(const std::string &prefix, int64_t n) {
  std::vector<std::string> out = {prefix + "embed_tokens"};
  for (int64_t i = 0; i < n; ++i)
    for (const char *m :
         {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
          "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"})
      out.push_back(prefix + "layers." + std::to_string(i) + "." + m);
  out.push_back("language_model.lm_head");
  return out;
}

// The rule of mixed_quant_predicate_builder, written out: v_proj and
// down_proj of layer i get the high bits when
//   i < N/8  or  i >= 7N/8  or  (i - N/8) % 3 == 2,
// lm_head and embed_tokens always; everything else the low bits.
bool wantsHighBits(const std::string &path, int64_t i, int64_t n) {
  if (path.find("lm_head") != std::string::npos ||
      path.find("embed_tokens") != std::string::npos)
    return true;
  bool vOrDown = path.find(".v_proj") != std::string::npos ||
                 path.find(".down_proj") != std::string::npos;
  return vOrDown && (i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2);
}

int64_t layerOf(const std::string &path) {
  size_t at = path.find("layers.");
  return at == std::string::npos ? -1 : std::stoll(path.substr(at + 7));
}

QuantRecipe make(QuantOptions options) {
  Result<QuantRecipe> r = QuantRecipe::create(options);
  EXPECT_TRUE(r.isOk()) << r.status().message();
  return r.isOk() ? *r : QuantRecipe();
}

std::string createError(QuantOptions options) {
  Result<QuantRecipe> r = QuantRecipe::create(options);
  EXPECT_FALSE(r.isOk());
  return r.isOk() ? "" : r.status().message();
}

const std::pair<const char *, std::pair<int, int>> kRecipes[] = {
    {"mixed_2_6", {2, 6}}, {"mixed_3_4", {3, 4}}, {"mixed_3_5", {3, 5}},
    {"mixed_3_6", {3, 6}}, {"mixed_3_8", {3, 8}}, {"mixed_4_6", {4, 6}},
    {"mixed_4_8", {4, 8}}};

TEST(QuantRecipe, HighLayersOf28And2LayerModels) {
  // The rule above, evaluated by hand for the two sizes.
  const std::vector<int64_t> high28 = {0,  1,  2,  5,  8,  11, 14,
                                       17, 20, 23, 24, 25, 26, 27};
  const std::vector<int64_t> high2 = {1};
  for (int64_t n : {28, 2}) {
    std::vector<int64_t> fromRule;
    for (int64_t i = 0; i < n; ++i)
      if (wantsHighBits(".v_proj", i, n))
        fromRule.push_back(i);
    EXPECT_EQ(fromRule, n == 28 ? high28 : high2);
  }

  for (const auto &[name, bits] : kRecipes) {
    const auto [low, high] = bits;
    for (const std::string prefix : {"language_model.model.", "language_model."})
      for (int64_t n : {28, 2}) {
        SCOPED_TRACE(std::string(name) + " " + prefix + " N=" + std::to_string(n));
        QuantOptions o;
        o.predicate = name;
        QuantRecipe r = make(o);
        EXPECT_TRUE(r.mixed());
        const std::vector<std::string> paths = textModules(prefix, n);
        ASSERT_TRUE(r.locateLayers(paths, n).isOk());
        int highCount = 0;
        for (const std::string &p : paths) {
          LayerChoice c = r.choose(p, 128);
          ASSERT_TRUE(c.spec.has_value()) << p;
          EXPECT_FALSE(c.notDivisible);
          EXPECT_TRUE(c.perLayerEntry);
          EXPECT_EQ(c.spec->mode, quant::Mode::kAffine);
          EXPECT_EQ(c.spec->groupSize, 64);
          EXPECT_FALSE(c.spec->globalScale);
          const bool wantHigh = wantsHighBits(p, layerOf(p), n);
          EXPECT_EQ(c.spec->bits, wantHigh ? high : low) << p;
          highCount += wantHigh;
        }
        // embed_tokens, lm_head and the v_proj/down_proj of the high layers.
        EXPECT_EQ(highCount, 2 + 2 * (n == 28 ? 14 : 1));
      }
  }
}

TEST(QuantRecipe, LocatesLayersFromTheTextModelsDownProj) {
  QuantOptions o;
  o.predicate = "mixed_3_6";
  // Qwen2.5-VL: the vision tower (first in MLX module order) has down_proj
  // too; its layer index sits at a different position and must not count.
  std::vector<std::string> paths = {"vision_tower.blocks.0.mlp.down_proj",
                                    "vision_tower.blocks.1.mlp.down_proj"};
  for (const std::string &p : textModules("language_model.model.", 28))
    paths.push_back(p);
  QuantRecipe r = make(o);
  ASSERT_TRUE(r.locateLayers(paths, 28).isOk());
  const std::string l = "language_model.model.layers.";
  EXPECT_EQ(r.choose(l + "3.mlp.down_proj", 128).spec->bits, 3);
  EXPECT_EQ(r.choose(l + "5.mlp.down_proj", 128).spec->bits, 6);
  EXPECT_EQ(r.choose(l + "5.mlp.up_proj", 128).spec->bits, 3);
  // Parameter names (".weight") locate the same way.
  QuantRecipe w = make(o);
  ASSERT_TRUE(w.locateLayers({l + "0.mlp.down_proj.weight"}, 28).isOk());
  EXPECT_EQ(w.choose(l + "3.mlp.down_proj", 128).spec->bits, 3);
  EXPECT_EQ(w.choose(l + "5.mlp.down_proj", 128).spec->bits, 6);

  // No text down_proj: mlx_vlm's error. Without a recipe nothing is needed.
  for (const std::vector<std::string> &bad :
       {std::vector<std::string>{}, std::vector<std::string>{
                                        "vision_tower.blocks.0.mlp.down_proj",
                                        l + "0.mlp.up_proj"}}) {
    QuantRecipe m = make(o);
    Status s = m.locateLayers(bad, 28);
    ASSERT_FALSE(s.isOk());
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(s.message(), "Model does not have expected keys for mixed quant.");
  }
  EXPECT_TRUE(make(QuantOptions()).locateLayers({}, 28).isOk());
}

TEST(QuantRecipe, GlobalSpecWithoutRecipe) {
  struct Case {
    const char *mode;
    std::optional<int> bits, group;
    bool global;
    quant::QuantSpec want;
  };
  const Case cases[] = {
      {"affine", {}, {}, false, {quant::Mode::kAffine, 4, 64, false}},
      {"affine", 8, 32, false, {quant::Mode::kAffine, 8, 32, false}},
      {"mxfp4", {}, {}, false, {quant::Mode::kMxfp4, 4, 32, false}},
      {"mxfp8", {}, {}, false, {quant::Mode::kMxfp8, 8, 32, false}},
      {"nvfp4", {}, {}, false, {quant::Mode::kNvfp4, 4, 16, false}},
      {"nvfp4", {}, {}, true, {quant::Mode::kNvfp4, 4, 16, true}},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.mode);
    QuantOptions o;
    o.mode = c.mode;
    o.bits = c.bits;
    o.groupSize = c.group;
    o.nvfp4GlobalScale = c.global;
    QuantRecipe r = make(o);
    EXPECT_FALSE(r.mixed());
    EXPECT_EQ(r.global().mode, c.want.mode);
    EXPECT_EQ(r.global().bits, c.want.bits);
    EXPECT_EQ(r.global().groupSize, c.want.groupSize);
    EXPECT_EQ(r.global().globalScale, c.want.globalScale);
    ASSERT_TRUE(r.locateLayers({}, 0).isOk());
    for (const std::string p :
         {"language_model.model.layers.0.mlp.down_proj",
          "language_model.lm_head", "connector.modality_projection.proj"}) {
      LayerChoice choice = r.choose(p, 128);
      ASSERT_TRUE(choice.spec.has_value()) << p;
      EXPECT_FALSE(choice.perLayerEntry);
      EXPECT_FALSE(choice.notDivisible);
      EXPECT_EQ(choice.spec->mode, c.want.mode);
      EXPECT_EQ(choice.spec->bits, c.want.bits);
      EXPECT_EQ(choice.spec->groupSize, c.want.groupSize);
      EXPECT_EQ(choice.spec->globalScale, c.want.globalScale);
    }
  }
}

TEST(QuantRecipe, MultimodalModulesStayFloatUnlessQuantizeVision) {
  EXPECT_TRUE(isMultimodalPath("vision_tower.blocks.0.attn.qkv"));
  EXPECT_TRUE(isMultimodalPath("vision_model.encoder.layers.0.mlp.fc1"));
  EXPECT_TRUE(isMultimodalPath("multi_modal_projector.linear_1"));
  EXPECT_FALSE(isMultimodalPath("connector.modality_projection.proj"));
  EXPECT_FALSE(isMultimodalPath("language_model.lm_head"));

  const std::string qkv = "vision_tower.blocks.0.attn.qkv";
  for (const char *predicate : {"", "mixed_4_8"}) {
    SCOPED_TRACE(predicate);
    QuantOptions o;
    o.predicate = predicate;
    QuantRecipe r = make(o);
    ASSERT_TRUE(r.locateLayers(textModules("language_model.model.", 2), 2).isOk());
    LayerChoice skipped = r.choose(qkv, 128);
    EXPECT_FALSE(skipped.spec.has_value());
    EXPECT_FALSE(skipped.perLayerEntry);
    EXPECT_FALSE(skipped.notDivisible);
    // Skipped before the divisibility check: not reported as not divisible.
    EXPECT_FALSE(r.choose(qkv, 100).notDivisible);
    // The connector is not multimodal in mlx_vlm's sense.
    EXPECT_TRUE(r.choose("connector.modality_projection.proj", 128).spec.has_value());

    o.quantizeVision = true;
    QuantRecipe v = make(o);
    ASSERT_TRUE(v.locateLayers(textModules("language_model.model.", 2), 2).isOk());
    LayerChoice quantized = v.choose(qkv, 128);
    ASSERT_TRUE(quantized.spec.has_value());
    EXPECT_EQ(quantized.perLayerEntry, v.mixed());
    EXPECT_TRUE(v.choose(qkv, 100).notDivisible);
  }
}

TEST(QuantRecipe, InputDimNotDivisible) {
  const std::string p = "language_model.model.layers.0.mlp.down_proj";
  QuantOptions o;
  QuantRecipe g64 = make(o);
  EXPECT_TRUE(g64.choose(p, 96).notDivisible);
  EXPECT_FALSE(g64.choose(p, 96).spec.has_value());
  EXPECT_FALSE(g64.choose(p, 192).notDivisible);

  o.groupSize = 32;
  QuantRecipe g32 = make(o);
  EXPECT_FALSE(g32.choose(p, 96).notDivisible);
  EXPECT_EQ(g32.choose(p, 96).spec->groupSize, 32);

  // Mixed recipes quantize with group 64, whatever --q-group-size says, and
  // need both divisibilities.
  o.predicate = "mixed_3_6";
  QuantRecipe mixed = make(o);
  ASSERT_TRUE(mixed.locateLayers({p}, 2).isOk());
  EXPECT_EQ(mixed.global().groupSize, 32);
  LayerChoice c = mixed.choose(p, 96);
  EXPECT_TRUE(c.notDivisible);
  EXPECT_FALSE(c.spec.has_value());
  EXPECT_FALSE(c.perLayerEntry);
  EXPECT_EQ(mixed.choose(p, 128).spec->groupSize, 64);

  QuantOptions nv;
  nv.mode = "nvfp4";
  QuantRecipe g16 = make(nv);
  EXPECT_TRUE(g16.choose(p, 40).notDivisible);
  EXPECT_FALSE(g16.choose(p, 48).notDivisible);
}

TEST(QuantRecipe, FlagErrors) {
  QuantOptions o;
  o.mode = "int4";
  EXPECT_EQ(createError(o), "[quantize] Invalid quantization mode 'int4'.");

  o = QuantOptions();
  o.bits = 7;
  EXPECT_EQ(createError(o), "[quantize] The requested number of bits 7 is not "
                            "supported. The supported bits are 2, 3, 4, 5, 6 "
                            "and 8.");
  o = QuantOptions();
  o.groupSize = 16;
  EXPECT_EQ(createError(o), "[quantize] The requested group size 16 is not "
                            "supported. The supported group sizes are 32, 64, "
                            "and 128.");
  o = QuantOptions();
  o.mode = "mxfp4";
  o.groupSize = 64;
  EXPECT_EQ(createError(o),
            "[quantize] mxfp4 quantization requires group size 32 but got 64.");
  o = QuantOptions();
  o.mode = "mxfp8";
  o.bits = 4;
  EXPECT_EQ(createError(o),
            "[quantize] mxfp8 quantization requires bits to be 8 but got 4.");

  o = QuantOptions();
  o.nvfp4GlobalScale = true;
  EXPECT_EQ(createError(o), "--nvfp4-global-scale requires --q-mode nvfp4");
  o.mode = "nvfp4";
  o.predicate = "mixed_3_6";
  EXPECT_EQ(createError(o),
            "--nvfp4-global-scale cannot be combined with --quant-predicate "
            "(mixed recipes are affine)");

  o = QuantOptions();
  o.predicate = "mixed_5_9";
  EXPECT_EQ(createError(o), "Invalid quant recipe mixed_5_9");
  o.predicate = "mixed";
  EXPECT_EQ(createError(o), "Invalid quant recipe mixed");

  // Checked in order: the mode first, then the global scale, the spec and
  // the recipe name.
  o = QuantOptions();
  o.mode = "int4";
  o.nvfp4GlobalScale = true;
  o.predicate = "bogus";
  EXPECT_EQ(createError(o), "[quantize] Invalid quantization mode 'int4'.");
  o.mode = "affine";
  EXPECT_EQ(createError(o), "--nvfp4-global-scale requires --q-mode nvfp4");
  o.nvfp4GlobalScale = false;
  o.bits = 7;
  EXPECT_NE(createError(o).find("number of bits 7"), std::string::npos);
  o.bits.reset();
  EXPECT_EQ(createError(o), "Invalid quant recipe bogus");
}

} // namespace
