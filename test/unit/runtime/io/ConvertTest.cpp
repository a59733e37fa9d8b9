// End-to-end vlm-convert tests on the tiny fixtures: every mode, re-reading the
// output and checking names, dtypes, shapes, config entries and that the
// stored bytes decode exactly like quantize->dequantize of the source tensor.
#include "Convert.h"
#include "ConfigJson.h"
#include "TensorOps.h"
#include "TestUtil.h"
#include "vlmc/io/Safetensors.h"
#include "vlmc/model/MlxNaming.h"
#include "vlmc/model/QuantRecipe.h"
#include "vlmc/quant/Quant.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

using namespace vlmc;
using namespace vlmc::convert;
using namespace vlmc::io::testing;
namespace fs = std::filesystem;

namespace {

struct ModeCase {
  const char *label;
  std::string mode = "affine";
  std::optional<int> bits, group;
  std::string recipe;
  bool global = false;
};

const ModeCase kModes[] = {
    {"affine4g64", "affine", {}, {}, "", false},
    {"affine8", "affine", 8, {}, "", false},
    {"affine3g32", "affine", 3, 32, "", false},
    {"mxfp4", "mxfp4", {}, {}, "", false},
    {"mxfp8", "mxfp8", {}, {}, "", false},
    {"nvfp4", "nvfp4", {}, {}, "", false},
    {"nvfp4global", "nvfp4", {}, {}, "", true},
    {"mixed_3_6", "affine", {}, {}, "mixed_3_6", false},
};

Result<ConvertSummary> runConvert(const ConvertOptions &o) {
  return vlmc::convert::convert(o);
}

const char *kFixtures[] = {"qwen2vl-tiny", "qwen2_5vl-tiny", "smolvlm-tiny",
                           "tinystories-656k"};

std::vector<float> dequantStored(const io::Checkpoint &ck,
                                 const std::string &layer,
                                 const quant::QuantSpec &spec) {
  const io::TensorView *w = ck.find(layer + ".weight");
  const io::TensorView *s = ck.find(layer + ".scales");
  const io::TensorView *b = ck.find(layer + ".biases");
  const io::TensorView *g = ck.find(layer + ".global_scale");
  std::vector<uint32_t> packed(w->nbytes / 4);
  std::memcpy(packed.data(), w->data, w->nbytes);
  std::vector<uint8_t> scales(s->data, s->data + s->nbytes), biases;
  if (b)
    biases.assign(b->data, b->data + b->nbytes);
  std::optional<float> gs;
  if (g) {
    float v;
    std::memcpy(&v, g->data, 4);
    gs = v;
  }
  int64_t rows = w->shape[0];
  int64_t cols = w->shape[1] * 32 / spec.bits;
  std::vector<float> out(size_t(rows * cols));
  quant::QuantSpec qs = spec;
  qs.globalScale = gs.has_value();
  Status st = quant::dequantize(packed.data(), scales.data(),
                                b ? biases.data() : nullptr,
                                *toQuantDType(s->dtype), rows, cols, qs, gs,
                                quant::DType::kF32, out.data());
  EXPECT_TRUE(st.isOk()) << st.message();
  return out;
}

class ConvertModes
    : public ::testing::TestWithParam<std::tuple<const char *, ModeCase>> {};

TEST_P(ConvertModes, OutputDecodesLikeQuantizeOfSource) {
  const std::string fixture = std::get<0>(GetParam());
  const ModeCase mc = std::get<1>(GetParam());
  const std::string src = testDataDir() + "/" + fixture;
  TempDir tmp;
  ConvertOptions opt;
  opt.hfPath = src;
  opt.mlxPath = tmp / "out";
  opt.quantize = true;
  opt.mode = mc.mode;
  opt.bits = mc.bits;
  opt.groupSize = mc.group;
  opt.quantPredicate = mc.recipe;
  opt.nvfp4GlobalScale = mc.global;
  auto sum = runConvert(opt);
  ASSERT_TRUE(sum.isOk()) << sum.status().message();
  EXPECT_GT(sum->bitsPerWeight, 0.0);

  // Nothing but the output directory is left next to it.
  size_t entries = 0;
  for (auto it = fs::directory_iterator(tmp.path());
       it != fs::directory_iterator(); ++it)
    ++entries;
  EXPECT_EQ(entries, 1u);

  auto cfg = readJsonFile(opt.mlxPath + "/config.json");
  ASSERT_TRUE(cfg.isOk());
  const ojson &q = (*cfg)["quantization"];
  EXPECT_EQ(q, (*cfg)["quantization_config"]);
  EXPECT_FALSE(cfg->contains("torch_dtype"));
  EXPECT_FALSE(cfg->contains("_name_or_path"));
  std::string prev;
  for (auto it = cfg->begin(); it != cfg->end(); ++it) {
    EXPECT_LT(prev, it.key());
    prev = it.key();
  }
  quant::QuantSpec global = quant::defaultSpec(*quant::parseMode(mc.mode));
  if (mc.bits)
    global.bits = *mc.bits;
  if (mc.group)
    global.groupSize = *mc.group;
  EXPECT_EQ(q["group_size"], global.groupSize);
  EXPECT_EQ(q["bits"], global.bits);
  EXPECT_EQ(q["mode"], mc.mode);

  auto srcCfg = loadModelConfig(src);
  auto model = model::parseModelConfig(srcCfg->dump(), "config.json");
  ASSERT_TRUE(model.isOk());
  auto in = io::Checkpoint::open(src);
  auto out = io::Checkpoint::open(opt.mlxPath);
  ASSERT_TRUE(in.isOk() && out.isOk()) << out.status().message();
  EXPECT_TRUE(out->sharded()); // MLX always writes the index
  for (const auto &f : out->files())
    EXPECT_EQ(f.metadata().at("format"), "mlx");

  // Source tensors by MLX name (aliases resolved as the converter does).
  std::map<std::string, const io::TensorView *> byMlx;
  for (const std::string &n : in->names())
    if (auto m = model::mapName(*model, n, in->find(n)->shape))
      byMlx[m->mlxName] = in->find(n);
  if (fixture == "tinystories-656k")
    byMlx["language_model.model.embed_tokens.weight"] =
        in->find("lm_head.weight");

  int quantized = 0, mixedHigh = 0;
  for (const auto &[name, srcView] : byMlx) {
    const io::TensorView *o = out->find(name);
    ASSERT_NE(o, nullptr) << name;
    const std::string layer = name.substr(0, name.size() - 7);
    const io::TensorView *scales = out->find(layer + ".scales");
    if (!scales) {
      // Carried over: same element count and dtype (fixtures need no cast).
      EXPECT_EQ(o->dtype, srcView->dtype) << name;
      EXPECT_EQ(o->numel(), srcView->numel()) << name;
      if (name.find("patch_embed") == std::string::npos) {
        EXPECT_EQ(std::memcmp(o->data, srcView->data, o->nbytes), 0) << name;
      }
      continue;
    }
    ++quantized;
    EXPECT_FALSE(model::isMultimodalPath(layer)) << layer;
    quant::QuantSpec spec = global;
    if (q.contains(layer)) {
      ASSERT_FALSE(mc.recipe.empty()) << layer;
      spec = quant::defaultSpec(quant::Mode::kAffine);
      spec.groupSize = q[layer]["group_size"];
      spec.bits = q[layer]["bits"];
      mixedHigh += spec.bits == 6;
    } else {
      EXPECT_TRUE(mc.recipe.empty()) << "no per-layer entry for " << layer;
    }
    spec.globalScale = mc.global;
    const int64_t rows = srcView->shape[0], cols = srcView->shape[1];
    EXPECT_EQ(o->dtype, io::DType::kU32);
    EXPECT_EQ(o->shape, (std::vector<int64_t>{rows, cols * spec.bits / 32}));
    EXPECT_EQ(scales->shape,
              (std::vector<int64_t>{rows, cols / spec.groupSize}));
    const bool affine = spec.mode == quant::Mode::kAffine;
    EXPECT_EQ(scales->dtype, affine ? srcView->dtype : io::DType::kU8);
    EXPECT_EQ(out->find(layer + ".biases") != nullptr, affine) << layer;
    EXPECT_EQ(out->find(layer + ".global_scale") != nullptr, mc.global);

    // Reference: quantize the source with the numerics library.
    std::vector<uint8_t> srcBytes(srcView->data, srcView->data + srcView->nbytes);
    auto ref = quant::quantize(srcBytes.data(), *toQuantDType(srcView->dtype),
                               rows, cols, spec);
    ASSERT_TRUE(ref.isOk()) << ref.status().message();
    EXPECT_EQ(std::memcmp(o->data, ref->packed.data(), o->nbytes), 0) << layer;
    EXPECT_EQ(std::memcmp(scales->data, ref->scales.data(), scales->nbytes), 0)
        << layer;
    std::vector<float> want(size_t(rows * cols));
    ASSERT_TRUE(quant::dequantize(ref->view(), want.data()).isOk());
    std::vector<float> got = dequantStored(*out, layer, spec);
    ASSERT_EQ(got.size(), want.size());
    EXPECT_EQ(std::memcmp(got.data(), want.data(), got.size() * 4), 0) << layer;
  }
  int expectedLayers = 0;
  for (const auto &[k, v] : sum->quantizedLayers)
    expectedLayers += v;
  EXPECT_EQ(quantized, expectedLayers);
  EXPECT_GT(quantized, 0);
  if (!mc.recipe.empty()) {
    EXPECT_GT(mixedHigh, 0);
  }
  // Every MLX tensor came from a source tensor or is a quantization part.
  for (const std::string &n : out->names()) {
    bool part = n.size() > 7 && (n.rfind(".scales") == n.size() - 7 ||
                                 n.rfind(".biases") == n.size() - 7);
    part |= n.find(".global_scale") != std::string::npos;
    EXPECT_TRUE(part || byMlx.count(n)) << n;
  }
  EXPECT_TRUE(fs::exists(opt.mlxPath + "/tokenizer.json"));
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, ConvertModes,
    ::testing::Combine(::testing::ValuesIn(kFixtures), ::testing::ValuesIn(kModes)),
    [](const auto &info) {
      std::string n = std::string(std::get<0>(info.param)) + "_" +
                      std::get<1>(info.param).label;
      for (char &c : n)
        if (!isalnum(static_cast<unsigned char>(c)))
          c = '_';
      return n;
    });

TEST(Convert, MixedRecipeFollowsLayerRule) {
  // 2 text layers: N/8 = 0, 7N/8 = 1 -> layer 1's v_proj/down_proj and the
  // embeddings/lm_head get 6 bits, everything else 3.
  TempDir tmp;
  ConvertOptions opt;
  opt.hfPath = testDataDir() + "/qwen2vl-tiny";
  opt.mlxPath = tmp / "out";
  opt.quantize = true;
  opt.quantPredicate = "mixed_3_6";
  ASSERT_TRUE(runConvert(opt).isOk());
  auto cfg = readJsonFile(opt.mlxPath + "/config.json");
  const ojson &q = (*cfg)["quantization"];
  const std::string l = "language_model.model.layers.";
  EXPECT_EQ(q[l + "0.self_attn.v_proj"]["bits"], 3);
  EXPECT_EQ(q[l + "0.mlp.down_proj"]["bits"], 3);
  EXPECT_EQ(q[l + "1.self_attn.v_proj"]["bits"], 6);
  EXPECT_EQ(q[l + "1.mlp.down_proj"]["bits"], 6);
  EXPECT_EQ(q[l + "1.self_attn.q_proj"]["bits"], 3);
  EXPECT_EQ(q["language_model.model.embed_tokens"]["bits"], 6);
  EXPECT_EQ(q["language_model.lm_head"]["bits"], 6);
  EXPECT_FALSE(q[l + "1.mlp.down_proj"].contains("mode"));
  // Entries follow the module order: embed_tokens first, lm_head last.
  std::vector<std::string> keys;
  for (auto it = q.begin(); it != q.end(); ++it)
    keys.push_back(it.key());
  EXPECT_EQ(keys[3], "language_model.model.embed_tokens");
  EXPECT_EQ(keys[4], l + "0.self_attn.q_proj");
  EXPECT_EQ(keys.back(), "language_model.lm_head");
}

TEST(Convert, PatchEmbedIsChannelsLast) {
  TempDir tmp;
  ConvertOptions opt;
  opt.hfPath = testDataDir() + "/qwen2vl-tiny";
  opt.mlxPath = tmp / "out";
  ASSERT_TRUE(runConvert(opt).isOk());
  auto in = io::Checkpoint::open(opt.hfPath);
  auto out = io::Checkpoint::open(opt.mlxPath);
  const io::TensorView *a = in->find("visual.patch_embed.proj.weight");
  const io::TensorView *b = out->find("vision_tower.patch_embed.proj.weight");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(b->shape, (std::vector<int64_t>{64, 2, 14, 14, 3}));
  // b[o, t, h, w, c] == a[o, c, t, h, w] (bf16 elements).
  auto at = [](const io::TensorView *v, std::vector<int64_t> idx) {
    int64_t off = 0;
    for (size_t d = 0; d < idx.size(); ++d)
      off = off * v->shape[d] + idx[d];
    uint16_t x;
    std::memcpy(&x, v->data + 2 * off, 2);
    return x;
  };
  for (int64_t o : {0, 63})
    for (int64_t c : {0, 2})
      for (int64_t t : {0, 1})
        EXPECT_EQ(at(b, {o, t, 5, 13, c}), at(a, {o, c, t, 5, 13}));
}

TEST(Convert, DequantizeRoundTrip) {
  for (const char *mode : {"affine", "mxfp4", "nvfp4"}) {
    TempDir tmp;
    ConvertOptions q;
    q.hfPath = testDataDir() + "/smolvlm-tiny";
    q.mlxPath = tmp / "q";
    q.quantize = true;
    q.mode = mode;
    q.nvfp4GlobalScale = std::string(mode) == "nvfp4";
    ASSERT_TRUE(runConvert(q).isOk());
    ConvertOptions d;
    d.hfPath = q.mlxPath;
    d.mlxPath = tmp / "d";
    d.dequantize = true;
    auto sum = runConvert(d);
    ASSERT_TRUE(sum.isOk()) << sum.status().message();
    EXPECT_EQ(sum->dequantizedLayers, 17);
    ConvertOptions plain;
    plain.hfPath = q.hfPath;
    plain.mlxPath = tmp / "plain";
    ASSERT_TRUE(runConvert(plain).isOk());
    auto qc = io::Checkpoint::open(q.mlxPath);
    auto dc = io::Checkpoint::open(d.mlxPath);
    auto pc = io::Checkpoint::open(plain.mlxPath);
    EXPECT_EQ(dc->names(), pc->names());
    auto cfg = readJsonFile(d.mlxPath + "/config.json");
    EXPECT_FALSE(cfg->contains("quantization"));
    EXPECT_FALSE(cfg->contains("quantization_config"));
    quant::QuantSpec spec = quant::defaultSpec(*quant::parseMode(mode));
    const std::string layer = "language_model.layers.0.mlp.down_proj";
    std::vector<float> want = dequantStored(*qc, layer, spec);
    const io::TensorView *w = dc->find(layer + ".weight");
    ASSERT_EQ(w->dtype, io::DType::kBF16); // the config's dtype
    std::vector<float> got(size_t(w->numel()));
    std::vector<uint8_t> raw(w->data, w->data + w->nbytes);
    ASSERT_TRUE(quant::convertToFloat(raw.data(), quant::DType::kBF16,
                                      w->numel(), got.data())
                    .isOk());
    for (size_t i = 0; i < got.size(); ++i)
      ASSERT_EQ(got[i], quant::bf16ToFloat(quant::floatToBf16(want[i]))) << i;
  }
}

// A writable copy of a fixture for corruption tests.
std::string copyFixture(const TempDir &tmp, const std::string &name) {
  std::string dst = tmp / name;
  fs::copy(testDataDir() + "/" + name, dst, fs::copy_options::recursive);
  for (auto &e : fs::directory_iterator(dst))
    fs::permissions(e.path(), fs::perms::owner_write, fs::perm_options::add);
  return dst;
}

std::string convertError(const std::string &src, const std::string &dst) {
  ConvertOptions opt;
  opt.hfPath = src;
  opt.mlxPath = dst;
  opt.quantize = true;
  auto r = runConvert(opt);
  EXPECT_FALSE(r.isOk());
  EXPECT_FALSE(fs::exists(dst)) << "partial output left at " << dst;
  return r.isOk() ? "" : r.status().message();
}

TEST(Convert, ErrorsNameFileAndTensorAndLeaveNothing) {
  TempDir tmp;
  std::string src = copyFixture(tmp, "qwen2vl-tiny");
  std::string st = src + "/model.safetensors";
  std::string good = readFile(st);

  // Truncated safetensors.
  writeFile(st, good.substr(0, good.size() - 100));
  EXPECT_NE(convertError(src, tmp / "o").find("model.safetensors"),
            std::string::npos);
  // Lying header length.
  std::string lie = good;
  lie[5] = 1;
  writeFile(st, lie);
  EXPECT_NE(convertError(src, tmp / "o").find("header length"),
            std::string::npos);
  // Unknown dtype.
  std::string unk = good;
  size_t p = unk.find("\"BF16\"");
  unk.replace(p, 6, "\"BX16\"");
  writeFile(st, unk);
  EXPECT_NE(convertError(src, tmp / "o").find("unknown dtype 'BX16'"),
            std::string::npos);
  writeFile(st, good);

  // Shape mismatch against config dims.
  auto cfg = readJsonFile(src + "/config.json");
  ojson c = *cfg;
  c["text_config"]["intermediate_size"] = 256;
  writeFile(src + "/config.json", c.dump());
  std::string e = convertError(src, tmp / "o");
  EXPECT_NE(e.find("mlp.down_proj.weight"), std::string::npos) << e;
  EXPECT_NE(e.find("does not match"), std::string::npos) << e;
  // Unsupported architecture.
  c = *cfg;
  c["model_type"] = "gemma3";
  writeFile(src + "/config.json", c.dump());
  EXPECT_NE(convertError(src, tmp / "o").find("unsupported architecture"),
            std::string::npos);
  // Missing config.
  fs::remove(src + "/config.json");
  EXPECT_NE(convertError(src, tmp / "o").find("config.json"), std::string::npos);
  writeFile(src + "/config.json", cfg->dump());

  // Existing destination: refused without --force, replaced with it.
  fs::create_directory(tmp / "exists");
  writeFile(tmp / "exists/marker", "x");
  ConvertOptions opt;
  opt.hfPath = src;
  opt.mlxPath = tmp / "exists";
  auto r = runConvert(opt);
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find("already exists"), std::string::npos);
  EXPECT_TRUE(fs::exists(tmp / "exists/marker"));
  opt.force = true;
  ASSERT_TRUE(runConvert(opt).isOk());
  EXPECT_FALSE(fs::exists(tmp / "exists/marker"));
  EXPECT_TRUE(fs::exists(tmp / "exists/model.safetensors"));

  // Quantize and dequantize together.
  opt.dequantize = true;
  opt.quantize = true;
  EXPECT_EQ(runConvert(opt).status().message(),
            "Choose either quantize or dequantize, not both.");
  // -d on a float model.
  ConvertOptions d;
  d.hfPath = src;
  d.mlxPath = tmp / "o3";
  d.dequantize = true;
  EXPECT_NE(runConvert(d).status().message().find("not an MLX quantized model"),
            std::string::npos);
}

} // namespace
