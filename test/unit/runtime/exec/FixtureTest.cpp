// End to end on the CPU backend: artifacts compiled from the tiny fixtures
// (real transformers checkpoints, random weights) and TinyStories-656K (real
// trained weights) against transformers' own fp32 outputs.
//
// The artifacts are compiled by vlm-compile in a ctest fixture and found
// through VLMC_TEST_ARTIFACTS; without it (a runtime-only build) the tests
// skip.
#include "vlmc/exec/Model.h"
#include "vlmc/io/Safetensors.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace vlmc::exec {
namespace {

std::string artifactDir() {
  const char *dir = std::getenv("VLMC_TEST_ARTIFACTS");
  return dir ? dir : "";
}

std::string dataDir() { return VLMC_TEST_DATA_DIR; }

struct Reference {
  io::SafetensorsFile file;

  static Reference open(const std::string &path) {
    Result<io::SafetensorsFile> f = io::SafetensorsFile::open(path);
    EXPECT_TRUE(f.isOk()) << f.status().message();
    return Reference{std::move(*f)};
  }
  const io::TensorView &get(const std::string &name) const {
    const io::TensorView *t = file.find(name);
    EXPECT_NE(t, nullptr) << name;
    return *t;
  }
  std::vector<float> floats(const std::string &name) const {
    const io::TensorView &t = get(name);
    std::vector<float> out(size_t(t.numel()));
    std::memcpy(out.data(), t.data, out.size() * 4);
    return out;
  }
  std::vector<int32_t> ids(const std::string &name) const {
    const io::TensorView &t = get(name);
    std::vector<int32_t> out;
    for (int64_t i = 0; i < t.numel(); ++i) {
      int64_t v;
      std::memcpy(&v, t.data + 8 * i, 8);
      out.push_back(int32_t(v));
    }
    return out;
  }
  bool has(const std::string &name) const { return file.find(name) != nullptr; }
};

// The criterion: max |a - b| <= 1e-3 of the reference's range, and
// the same argmax in every row.
void expectLogitsMatch(const float *got, const std::vector<float> &want, int64_t rows,
                       int64_t vocab, const std::string &what) {
  float lo = *std::min_element(want.begin(), want.end());
  float hi = *std::max_element(want.begin(), want.end());
  float tolerance = 1e-3f * (hi - lo);
  float worst = 0;
  for (size_t i = 0; i < want.size(); ++i)
    worst = std::max(worst, std::fabs(got[i] - want[i]));
  EXPECT_LE(worst, tolerance) << what << ": max abs error " << worst << " (range " << hi - lo
                              << ")";
  std::printf("  %s: max abs error %.3g, %.2g of the logit range %.3g\n", what.c_str(), worst,
              worst / (hi - lo), hi - lo);
  for (int64_t r = 0; r < rows; ++r) {
    const float *g = got + r * vocab;
    const float *w = want.data() + r * vocab;
    EXPECT_EQ(std::max_element(g, g + vocab) - g, std::max_element(w, w + vocab) - w)
        << what << ": argmax differs at position " << r;
  }
}

void expectClose(const float *got, const std::vector<float> &want, float tolerance,
                 const std::string &what) {
  float worst = 0;
  for (size_t i = 0; i < want.size(); ++i)
    worst = std::max(worst, std::fabs(got[i] - want[i]));
  EXPECT_LE(worst, tolerance) << what << ": max abs error " << worst;
  std::printf("  %s: max abs error %.3g\n", what.c_str(), worst);
}

int32_t argmax(const TensorRef &logits, int64_t row) {
  int64_t vocab = logits.shape.back();
  const float *p = logits.as<float>() + row * vocab;
  return int32_t(std::max_element(p, p + vocab) - p);
}

std::vector<int32_t> greedy(Session &session, int32_t first, size_t count) {
  std::vector<int32_t> out{first};
  while (out.size() < count) {
    Result<TensorRef> logits = session.decode(out.back());
    EXPECT_TRUE(logits.isOk()) << logits.status().message();
    if (!logits)
      break;
    out.push_back(argmax(*logits, 0));
  }
  return out;
}

struct Case {
  std::string model;   // fixture directory and artifact name
  std::string refFile; // reference file in the fixture directory
  std::string variant; // "" or "from-mlx": the artifact compiled from vlm-convert's output
};

class FixtureTest : public ::testing::TestWithParam<Case> {};

// The images a reference case feeds (Qwen: pixel_values + image_grid_thw;
// SmolVLM: tiles + pixel_attention_mask).
std::vector<ImageInput> imagesOf(const Reference &ref) {
  std::vector<ImageInput> images;
  if (!ref.has("pixel_values"))
    return images;
  ImageInput image;
  image.pixels = ref.floats("pixel_values");
  if (ref.has("image_grid_thw")) {
    std::vector<int32_t> thw = ref.ids("image_grid_thw");
    image.grid = {thw[0], thw[1], thw[2]};
  } else {
    image.tiles = ref.get("pixel_values").shape[1];
    std::vector<int32_t> mask = ref.ids("pixel_attention_mask");
    image.pixelMask.assign(mask.begin(), mask.end());
  }
  images.push_back(std::move(image));
  return images;
}

// The reference case's prompt through `session`: its image (if any)
// encoded, then the prefill.
Result<TensorRef> prefillReference(Session &session, const Reference &ref) {
  std::vector<ImageInput> images = imagesOf(ref);
  TensorRef embeds;
  if (!images.empty()) {
    Result<TensorRef> e = session.encodeImages(images);
    if (!e)
      return e.status();
    embeds = *e;
  }
  return session.prefill(ref.ids("input_ids"), images.empty() ? nullptr : &embeds, images);
}

// Prefill logits [ids, vocab] of an artifact on a reference case.
std::vector<float> prefillLogits(const std::string &artifact, const Reference &ref) {
  Result<std::shared_ptr<Model>> model = Model::load(artifact);
  EXPECT_TRUE(model.isOk()) << model.status().message();
  if (!model)
    return {};
  Result<std::unique_ptr<Session>> session = Session::create(*model, {512, 2});
  EXPECT_TRUE(session.isOk()) << session.status().message();
  if (!session)
    return {};
  Result<TensorRef> logits = prefillReference(**session, ref);
  EXPECT_TRUE(logits.isOk()) << logits.status().message();
  if (!logits)
    return {};
  return std::vector<float>(logits->as<float>(), logits->as<float>() + logits->numel());
}

TEST_P(FixtureTest, LogitsAndGreedyTokensMatchTransformers) {
  if (artifactDir().empty())
    GTEST_SKIP() << "VLMC_TEST_ARTIFACTS not set (artifacts come from vlm-compile)";
  const Case &c = GetParam();
  std::string artifact = artifactDir() + "/" + c.model +
                         (c.variant.empty() ? "" : "." + c.variant) + ".vlmc";
  Result<std::shared_ptr<Model>> model = Model::load(artifact);
  ASSERT_TRUE(model.isOk()) << model.status().message();
  Result<std::unique_ptr<Session>> session = Session::create(*model, {512, 2});
  ASSERT_TRUE(session.isOk()) << session.status().message();
  Reference ref = Reference::open(dataDir() + "/" + c.model + "/" + c.refFile);
  std::vector<int32_t> ids = ref.ids("input_ids");

  std::vector<ImageInput> images = imagesOf(ref);
  TensorRef imageEmbeddings;
  if (!images.empty()) {
    Result<TensorRef> embeds = (*session)->encodeImages(images);
    ASSERT_TRUE(embeds.isOk()) << embeds.status().message();
    imageEmbeddings = *embeds;
    if (ref.has("vision_embeds"))
      expectClose(imageEmbeddings.as<float>(), ref.floats("vision_embeds"), 1e-3f,
                  "vision embeddings");
  }

  Result<TensorRef> logits =
      (*session)->prefill(ids, images.empty() ? nullptr : &imageEmbeddings, images);
  ASSERT_TRUE(logits.isOk()) << logits.status().message();
  int64_t vocab = logits->shape.back();
  int64_t rows = int64_t(ids.size());
  if (ref.has("logits")) {
    expectLogitsMatch(logits->as<float>(), ref.floats("logits"), rows, vocab, "prefill logits");
  } else { // SmolVLM's 49k vocabulary: the last 4 rows, and every row's argmax
    std::vector<float> last4 = ref.floats("logits_last4");
    expectLogitsMatch(logits->as<float>() + (rows - 4) * vocab, last4, 4, vocab,
                      "last 4 prefill logits");
    std::vector<int32_t> argmaxes = ref.ids("logits_argmax");
    for (int64_t r = 0; r < rows; ++r)
      EXPECT_EQ(argmax(*logits, r), argmaxes[size_t(r)]) << "argmax at position " << r;
  }

  std::vector<int32_t> want = ref.ids("generated_ids");
  std::vector<int32_t> got = greedy(**session, argmax(*logits, rows - 1), want.size());
  EXPECT_EQ(got, want) << "greedy tokens";
}

// With SessionOptions::prefillLastLogitsOnly (what generation uses) prefill
// returns one row: transformers' last one.
TEST_P(FixtureTest, LastLogitsOnlyMatchTransformersLastRow) {
  if (artifactDir().empty())
    GTEST_SKIP() << "VLMC_TEST_ARTIFACTS not set (artifacts come from vlm-compile)";
  const Case &c = GetParam();
  if (!c.variant.empty())
    GTEST_SKIP() << "the float artifact covers it";
  Result<std::shared_ptr<Model>> model = Model::load(artifactDir() + "/" + c.model + ".vlmc");
  ASSERT_TRUE(model.isOk()) << model.status().message();
  SessionOptions options{512, 2};
  options.prefillLastLogitsOnly = true;
  Result<std::unique_ptr<Session>> session = Session::create(*model, options);
  ASSERT_TRUE(session.isOk()) << session.status().message();
  Reference ref = Reference::open(dataDir() + "/" + c.model + "/" + c.refFile);
  Result<TensorRef> logits = prefillReference(**session, ref);
  ASSERT_TRUE(logits.isOk()) << logits.status().message();
  ASSERT_EQ(logits->shape.size(), 2u);
  EXPECT_EQ(logits->shape[0], 1);
  int64_t vocab = logits->shape[1];
  std::vector<float> want = ref.has("logits") ? ref.floats("logits") : ref.floats("logits_last4");
  want.erase(want.begin(), want.end() - vocab);
  expectLogitsMatch(logits->as<float>(), want, 1, vocab, "last prefill logits");
}

// Token ids outside the vocabulary are refused before any backend sees them
// (a GPU kernel could not report them), and the session stays usable.
TEST(SessionTest, TokenIdsOutsideTheVocabularyAreErrors) {
  if (artifactDir().empty())
    GTEST_SKIP() << "VLMC_TEST_ARTIFACTS not set (artifacts come from vlm-compile)";
  Result<std::shared_ptr<Model>> model = Model::load(artifactDir() + "/tinystories-656k.vlmc");
  ASSERT_TRUE(model.isOk()) << model.status().message();
  const int32_t vocab = int32_t((*model)->config().text.vocab);
  Result<std::unique_ptr<Session>> session = Session::create(*model, {64, 1});
  ASSERT_TRUE(session.isOk()) << session.status().message();
  Result<TensorRef> bad = (*session)->prefill({1, vocab, 2});
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "token id " + std::to_string(vocab) +
                                        " at position 1 is outside the vocabulary [0, " +
                                        std::to_string(vocab) + ")");
  EXPECT_EQ((*session)->length(), 0);
  ASSERT_TRUE((*session)->prefill({1, 2}).isOk());
  Result<TensorRef> negative = (*session)->decode(-1);
  ASSERT_FALSE(negative.isOk());
  EXPECT_NE(negative.status().message().find("token id -1 at position 0"), std::string::npos);
  EXPECT_EQ((*session)->length(), 2);
  EXPECT_TRUE((*session)->decode(vocab - 1).isOk());
}

// Two TinyStories sessions after the same prompt, to be stepped in lockstep:
// one returning logits, the other only the picked token.
void lockstepSessions(std::unique_ptr<Session> &withLogits, std::unique_ptr<Session> &picking) {
  Result<std::shared_ptr<Model>> model = Model::load(artifactDir() + "/tinystories-656k.vlmc");
  ASSERT_TRUE(model.isOk()) << model.status().message();
  Result<std::unique_ptr<Session>> a = Session::create(*model, {64, 1});
  Result<std::unique_ptr<Session>> b = Session::create(*model, {64, 1});
  ASSERT_TRUE(a.isOk() && b.isOk());
  const std::vector<int32_t> prompt = {1, 5, 9, 13};
  ASSERT_TRUE((*a)->prefill(prompt).isOk());
  ASSERT_TRUE((*b)->prefill(prompt).isOk());
  withLogits = std::move(*a);
  picking = std::move(*b);
}

// decodeGreedy picks what the host would pick from decode's logits: two
// sessions in lockstep, one returning logits, one only the token. The
// expected token is computed here from the logits, not by cpu::argMax.
TEST(SessionTest, DecodeGreedyPicksTheFirstLargestLogit) {
  if (artifactDir().empty())
    GTEST_SKIP() << "VLMC_TEST_ARTIFACTS not set (artifacts come from vlm-compile)";
  std::unique_ptr<Session> withLogits, greedy;
  ASSERT_NO_FATAL_FAILURE(lockstepSessions(withLogits, greedy));
  int32_t token = 7;
  for (int step = 0; step < 12; ++step) {
    Result<TensorRef> logits = withLogits->decode(token);
    Result<int32_t> picked = greedy->decodeGreedy(token);
    ASSERT_TRUE(logits.isOk() && picked.isOk());
    const float *row = logits->as<float>();
    int32_t expected = 0;
    for (int64_t i = 1; i < logits->shape.back(); ++i)
      if (row[i] > row[expected])
        expected = int32_t(i);
    ASSERT_EQ(*picked, expected) << "step " << step;
    token = expected;
  }
  EXPECT_EQ(greedy->length(), withLogits->length());
  EXPECT_FALSE(greedy->decodeGreedy(-1).isOk());
}

// decodeSample draws from decode's logits: with top-k 3, the smallest draw
// gives the first of the three largest logits in index order and the largest
// draw the last (the draw walks kept tokens in index order); top-k 1 is
// greedy whatever the draw. Expectations come from the logits here.
TEST(SessionTest, DecodeSampleDrawsFromTheKeptTokensInIndexOrder) {
  if (artifactDir().empty())
    GTEST_SKIP() << "VLMC_TEST_ARTIFACTS not set (artifacts come from vlm-compile)";
  std::unique_ptr<Session> withLogits, sampled;
  ASSERT_NO_FATAL_FAILURE(lockstepSessions(withLogits, sampled));
  int32_t token = 7;
  for (int step = 0; step < 12; ++step) {
    cpu::SamplingStep s;
    s.spec.temperature = 1.0f;
    s.spec.topK = step % 3 == 2 ? 1 : 3;
    s.draw = step % 2 == 0 ? 0 : (uint64_t(1) << 53) - 1;
    Result<TensorRef> logits = withLogits->decode(token);
    Result<int32_t> picked = sampled->decodeSample(token, s);
    ASSERT_TRUE(logits.isOk() && picked.isOk());
    const float *row = logits->as<float>();
    std::vector<int32_t> order(size_t(logits->shape.back()));
    for (size_t i = 0; i < order.size(); ++i)
      order[i] = int32_t(i);
    std::partial_sort(order.begin(), order.begin() + 3, order.end(),
                      [row](int32_t a, int32_t b) { return row[a] > row[b]; });
    int32_t expected = order[0];
    if (s.spec.topK == 3)
      expected = s.draw == 0 ? *std::min_element(order.begin(), order.begin() + 3)
                             : *std::max_element(order.begin(), order.begin() + 3);
    ASSERT_EQ(*picked, expected) << "step " << step;
    token = expected;
  }
  cpu::SamplingStep bad;
  bad.spec.temperature = 1.0f;
  EXPECT_FALSE(sampled->decodeSample(-1, bad).isOk());
}

// transformers' hidden_states (input embeddings, each layer's output, the
// final norm) against what the artifact compiled with --emit-hidden-states
// returns after the logits and KV caches.
TEST_P(FixtureTest, HiddenStatesMatchTransformers) {
  if (artifactDir().empty())
    GTEST_SKIP() << "VLMC_TEST_ARTIFACTS not set (artifacts come from vlm-compile)";
  const Case &c = GetParam();
  if (!c.variant.empty() || c.model == "tinystories-656k")
    GTEST_SKIP() << "the reference has no hidden states for this case";
  Reference ref = Reference::open(dataDir() + "/" + c.model + "/" + c.refFile);
  Result<std::shared_ptr<Model>> model =
      Model::load(artifactDir() + "/" + c.model + ".hidden.vlmc");
  ASSERT_TRUE(model.isOk()) << model.status().message();
  Result<std::unique_ptr<Session>> session = Session::create(*model, {512, 2});
  ASSERT_TRUE(session.isOk()) << session.status().message();
  std::vector<ImageInput> images = imagesOf(ref);
  TensorRef embeds;
  if (!images.empty()) {
    Result<TensorRef> e = (*session)->encodeImages(images);
    ASSERT_TRUE(e.isOk()) << e.status().message();
    embeds = *e;
  }
  Result<TensorRef> logits = (*session)->prefill(ref.ids("input_ids"),
                                                 images.empty() ? nullptr : &embeds, images);
  ASSERT_TRUE(logits.isOk()) << logits.status().message();
  const std::vector<TensorRef> &outputs = (*session)->lastOutputs();
  int64_t layers = (*model)->config().text.layers;
  ASSERT_EQ(int64_t(outputs.size()), 1 + 2 * layers + layers + 1);
  for (int64_t i = 0; i <= layers; ++i) {
    std::string name = "hidden_states." + std::to_string(i);
    std::vector<float> want = ref.floats(name);
    const TensorRef &got = outputs[size_t(1 + 2 * layers + i)];
    ASSERT_EQ(size_t(got.numel()), want.size()) << name;
    float lo = *std::min_element(want.begin(), want.end());
    float hi = *std::max_element(want.begin(), want.end());
    expectClose(got.as<float>(), want, 1e-3f * (hi - lo), name);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, FixtureTest,
    ::testing::Values(Case{"qwen2vl-tiny", "ref_text_only.safetensors"},
                      Case{"qwen2vl-tiny", "ref_img_chelsea.safetensors"},
                      Case{"qwen2vl-tiny", "ref_img_astronaut.safetensors"},
                      Case{"qwen2_5vl-tiny", "ref_text_only.safetensors"},
                      Case{"qwen2_5vl-tiny", "ref_img_chelsea.safetensors"},
                      Case{"qwen2_5vl-tiny", "ref_img_astronaut.safetensors"},
                      Case{"smolvlm-tiny", "ref_text_only.safetensors"},
                      Case{"smolvlm-tiny", "ref_img_astronaut.safetensors"},
                      Case{"tinystories-656k", "../tinystories-656k-ref/ref_0.safetensors"},
                      Case{"tinystories-656k", "../tinystories-656k-ref/ref_1.safetensors"},
                      Case{"tinystories-656k", "../tinystories-656k-ref/ref_2.safetensors"},
                      Case{"qwen2vl-tiny", "ref_img_chelsea.safetensors", "from-mlx"},
                      Case{"qwen2_5vl-tiny", "ref_img_astronaut.safetensors", "from-mlx"},
                      Case{"smolvlm-tiny", "ref_img_astronaut.safetensors", "from-mlx"},
                      Case{"tinystories-656k", "../tinystories-656k-ref/ref_1.safetensors",
                           "from-mlx"}),
    [](const ::testing::TestParamInfo<Case> &info) {
      std::string name = info.param.model + "_" + info.param.refFile +
                         (info.param.variant.empty() ? "" : "_" + info.param.variant);
      for (char &ch : name)
        if (!std::isalnum(static_cast<unsigned char>(ch)))
          ch = '_';
      return name;
    });

// Quantized runs: the artifact vlm-compile quantized against the same graph
// over the reference weights vlm-convert wrote (quantized, then dequantized to
// f32 with -d): only the accumulation order may differ. Activation-quantized
// (-qa) runs have no float twin; they are checked against the weight-only run
// of the same weights. Every case also prints its error against transformers'
// unquantized logits (the table in docs/quantization.md).
struct QuantCase {
  std::string model, refFile, mode;
};

class QuantizedFixtureTest : public ::testing::TestWithParam<QuantCase> {};

struct Error {
  float maxAbs = 0, range = 0;
  double argmaxAgreement = 0;
};

Error compare(const std::vector<float> &got, const std::vector<float> &want, int64_t vocab) {
  Error e;
  e.range = *std::max_element(want.begin(), want.end()) -
            *std::min_element(want.begin(), want.end());
  for (size_t i = 0; i < want.size(); ++i)
    e.maxAbs = std::max(e.maxAbs, std::fabs(got[i] - want[i]));
  int64_t rows = int64_t(want.size()) / vocab, same = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const float *g = got.data() + r * vocab, *w = want.data() + r * vocab;
    same += (std::max_element(g, g + vocab) - g) == (std::max_element(w, w + vocab) - w);
  }
  e.argmaxAgreement = double(same) / double(rows);
  return e;
}

TEST_P(QuantizedFixtureTest, MatchesDequantizedReferenceWeights) {
  if (artifactDir().empty())
    GTEST_SKIP() << "VLMC_TEST_ARTIFACTS not set (artifacts come from vlm-compile)";
  const QuantCase &c = GetParam();
  Reference ref = Reference::open(dataDir() + "/" + c.model + "/" + c.refFile);
  std::string base = artifactDir() + "/" + c.model;
  std::vector<float> quantized = prefillLogits(base + "." + c.mode + ".vlmc", ref);
  ASSERT_FALSE(quantized.empty());
  int64_t vocab = int64_t(quantized.size() / ref.ids("input_ids").size());

  bool qa = c.mode.size() > 3 && c.mode.substr(c.mode.size() - 3) == "-qa";
  std::string weightOnly = qa ? c.mode.substr(0, c.mode.size() - 3) : c.mode;
  if (!qa) {
    std::vector<float> reference = prefillLogits(base + "." + c.mode + ".dequantized.vlmc", ref);
    ASSERT_EQ(reference.size(), quantized.size());
    Error e = compare(quantized, reference, vocab);
    EXPECT_LE(e.maxAbs, 1e-4f * e.range) << "vs dequantized reference weights";
    EXPECT_EQ(e.argmaxAgreement, 1.0) << "argmax vs dequantized reference weights";
  } else {
    std::vector<float> reference = prefillLogits(base + "." + weightOnly + ".vlmc", ref);
    ASSERT_EQ(reference.size(), quantized.size());
    Error e = compare(quantized, reference, vocab);
    // Quantizing activations must change the result (it ran), without
    // breaking it.
    EXPECT_GT(e.maxAbs, 0.0f) << "-qa gave exactly the weight-only logits";
    EXPECT_LT(e.maxAbs, 0.5f * e.range);
    std::printf("  -qa vs weight-only %s: max abs %.3g (%.2g of range), argmax agreement %.0f%%\n",
                weightOnly.c_str(), e.maxAbs, e.maxAbs / e.range, 100 * e.argmaxAgreement);
  }
  if (ref.has("logits")) {
    Error e = compare(quantized, ref.floats("logits"), vocab);
    std::printf("  | %s | %s | %s | %.3g | %.2g | %.0f%% |\n", c.model.c_str(),
                c.refFile.c_str(), c.mode.c_str(), e.maxAbs, e.maxAbs / e.range,
                100 * e.argmaxAgreement);
  }
}

std::vector<QuantCase> quantCases() {
  std::vector<QuantCase> cases;
  for (const char *mode : {"affine4", "affine8", "mxfp4", "mxfp8", "nvfp4", "mixed_3_6",
                           "mxfp8-qa", "nvfp4-qa"}) {
    cases.push_back({"qwen2vl-tiny", "ref_text_only.safetensors", mode});
    cases.push_back({"qwen2vl-tiny", "ref_img_chelsea.safetensors", mode});
    cases.push_back({"qwen2_5vl-tiny", "ref_img_astronaut.safetensors", mode});
    cases.push_back({"smolvlm-tiny", "ref_img_astronaut.safetensors", mode});
    cases.push_back({"tinystories-656k", "../tinystories-656k-ref/ref_0.safetensors", mode});
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Modes, QuantizedFixtureTest, ::testing::ValuesIn(quantCases()),
                         [](const ::testing::TestParamInfo<QuantCase> &info) {
                           std::string name = info.param.model + "_" + info.param.mode + "_" +
                                              info.param.refFile;
                           for (char &ch : name)
                             if (!std::isalnum(static_cast<unsigned char>(ch)))
                               ch = '_';
                           return name;
                         });

} // namespace
} // namespace vlmc::exec
