// The fixtures end to end on a GPU: artifacts compiled for --target cuda
// (bf16 compute) against transformers' fp32 reference, with the criteria for
// bf16: the same argmax at >= 99% of positions, per-position cosine of the
// logits >= 0.999, and greedy tokens identical wherever the reference's top-2
// margin exceeds what bf16 can move. Quantized and -qa artifacts are compared
// with the CPU backend's run of the same quantization by the same criteria.
//
// Artifacts come from VLMC_TEST_CUDA_ARTIFACTS (scripts/gpu-check.sh);
// without a GPU or without the variable the tests skip.
#include "vlmc/exec/Model.h"
#include "vlmc/io/Safetensors.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <random>

namespace vlmc::exec {
namespace {

std::string cudaDir() {
  const char *dir = std::getenv("VLMC_TEST_CUDA_ARTIFACTS");
  return dir ? dir : "";
}

std::vector<int32_t> readIds(const io::SafetensorsFile &f, const std::string &name) {
  const io::TensorView *t = f.find(name);
  std::vector<int32_t> out;
  for (int64_t i = 0; t && i < t->numel(); ++i) {
    int64_t v;
    std::memcpy(&v, t->data + 8 * i, 8);
    out.push_back(int32_t(v));
  }
  return out;
}

std::vector<float> readFloats(const io::SafetensorsFile &f, const std::string &name) {
  const io::TensorView *t = f.find(name);
  std::vector<float> out(t ? size_t(t->numel()) : 0);
  if (t)
    std::memcpy(out.data(), t->data, out.size() * 4);
  return out;
}

struct ModelRun {
  std::vector<float> logits; // [rows, vocab]
  std::vector<int32_t> greedy;
  int64_t vocab = 0;
};

ModelRun runModel(const std::string &artifact, const io::SafetensorsFile &ref, size_t tokens) {
  ModelRun run;
  Result<std::shared_ptr<Model>> model = Model::load(artifact);
  EXPECT_TRUE(model.isOk()) << model.status().message();
  if (!model)
    return run;
  Result<std::unique_ptr<Session>> session = Session::create(*model, {512, 2});
  EXPECT_TRUE(session.isOk()) << session.status().message();
  if (!session)
    return run;
  std::vector<ImageInput> images;
  if (ref.find("pixel_values")) {
    ImageInput image;
    image.pixels = readFloats(ref, "pixel_values");
    if (ref.find("image_grid_thw")) {
      std::vector<int32_t> thw = readIds(ref, "image_grid_thw");
      image.grid = {thw[0], thw[1], thw[2]};
    } else {
      image.tiles = ref.find("pixel_values")->shape[1];
      std::vector<int32_t> mask = readIds(ref, "pixel_attention_mask");
      image.pixelMask.assign(mask.begin(), mask.end());
    }
    images.push_back(std::move(image));
  }
  TensorRef embeds;
  std::vector<float> embedCopy;
  if (!images.empty()) {
    Result<TensorRef> e = (*session)->encodeImages(images);
    EXPECT_TRUE(e.isOk()) << e.status().message();
    if (!e)
      return run;
    embedCopy.assign(e->as<float>(), e->as<float>() + e->numel());
    embeds = TensorRef{ElementType::kF32, e->shape, embedCopy.data()};
  }
  Result<TensorRef> logits = (*session)->prefill(readIds(ref, "input_ids"),
                                                 images.empty() ? nullptr : &embeds, images);
  EXPECT_TRUE(logits.isOk()) << logits.status().message();
  if (!logits)
    return run;
  run.vocab = logits->shape.back();
  run.logits.assign(logits->as<float>(), logits->as<float>() + logits->numel());
  int64_t rows = logits->shape[0];
  const float *last = run.logits.data() + (rows - 1) * run.vocab;
  run.greedy.push_back(int32_t(std::max_element(last, last + run.vocab) - last));
  while (run.greedy.size() < tokens) {
    Result<TensorRef> next = (*session)->decode(run.greedy.back());
    EXPECT_TRUE(next.isOk()) << next.status().message();
    if (!next)
      break;
    const float *row = next->as<float>();
    run.greedy.push_back(int32_t(std::max_element(row, row + run.vocab) - row));
  }
  return run;
}

// The reference's top-1 minus top-2 logit in a row.
float margin(const float *row, int64_t vocab) {
  float a = -INFINITY, b = -INFINITY;
  for (int64_t i = 0; i < vocab; ++i) {
    if (row[i] > a) {
      b = a;
      a = row[i];
    } else if (row[i] > b) {
      b = row[i];
    }
  }
  return a - b;
}

// What bf16 compute can move a logit by, relative to the logit range: rows
// whose top-2 margin is below it are near-ties, where either token is right.
constexpr float kNearTie = 0.02f;

// Compares `got` with `want` row by row ([rows, vocab] each, `want` may be
// a suffix of rows: wantRows <= rows). Argmax agreement is counted over the
// rows that are not near-ties (the criterion: >= 99% of them).
void expectClose(const std::vector<float> &got, const std::vector<float> &want, int64_t vocab,
                 const std::string &what) {
  int64_t rows = int64_t(want.size()) / vocab;
  int64_t offset = int64_t(got.size()) / vocab - rows;
  float range = *std::max_element(want.begin(), want.end()) -
                *std::min_element(want.begin(), want.end());
  int64_t same = 0, decided = 0, ties = 0;
  double minCos = 1;
  for (int64_t r = 0; r < rows; ++r) {
    const float *g = got.data() + (offset + r) * vocab, *w = want.data() + r * vocab;
    bool agree = (std::max_element(g, g + vocab) - g) == (std::max_element(w, w + vocab) - w);
    if (margin(w, vocab) < kNearTie * range) {
      ++ties;
    } else {
      ++decided;
      same += agree;
    }
    double dot = 0, ng = 0, nw = 0;
    for (int64_t i = 0; i < vocab; ++i) {
      dot += double(g[i]) * w[i];
      ng += double(g[i]) * g[i];
      nw += double(w[i]) * w[i];
    }
    minCos = std::min(minCos, dot / std::sqrt(ng * nw));
  }
  double agreement = decided ? double(same) / double(decided) : 1.0;
  std::printf("  %s: argmax agreement %.1f%% over %lld positions (%lld near-ties of the "
              "reference left out), min cosine %.6f\n",
              what.c_str(), 100 * agreement, (long long)decided, (long long)ties, minCos);
  EXPECT_GE(agreement, 0.99) << what;
  EXPECT_GE(minCos, 0.999) << what;
}

// Greedy tokens: report how far they agree. Only the first token's reference
// margin is known (the prefill's last row); if it is decided, the first
// token must agree. Later divergence is reported, not failed: a near-tie at
// any step lets bf16 take the other, equally valid, branch.
void expectGreedy(const std::vector<int32_t> &got, const std::vector<int32_t> &want,
                  bool firstDecided, const std::string &what) {
  size_t same = 0;
  while (same < got.size() && same < want.size() && got[same] == want[same])
    ++same;
  std::printf("  %s: greedy tokens identical for %zu of %zu\n", what.c_str(), same, want.size());
  if (firstDecided)
    EXPECT_GE(same, 1u) << what << ": the first token differs where the reference is decided";
}

struct Case {
  std::string model, ref, variant; // variant "": bf16 vs transformers; else a quantized mode
};

class CudaFixtureTest : public ::testing::TestWithParam<Case> {};

TEST_P(CudaFixtureTest, MatchesReference) {
  if (cudaDir().empty())
    GTEST_SKIP() << "VLMC_TEST_CUDA_ARTIFACTS not set (scripts/gpu-check.sh sets it)";
  const Case &c = GetParam();
  Result<io::SafetensorsFile> ref =
      io::SafetensorsFile::open(std::string(VLMC_TEST_DATA_DIR) + "/" + c.model + "/" + c.ref);
  ASSERT_TRUE(ref.isOk()) << ref.status().message();
  std::vector<int32_t> wantTokens = readIds(*ref, "generated_ids");
  std::string suffix = c.variant.empty() ? "" : "." + c.variant;
  std::string artifact = cudaDir() + "/" + c.model + suffix + ".cuda.vlmc";
  if (std::FILE *f = std::fopen(artifact.c_str(), "rb"))
    std::fclose(f);
  else
    GTEST_SKIP() << artifact << " is not in this bundle (scripts/gpu-bundle.sh sets)";
  ModelRun gpu = runModel(artifact, *ref, wantTokens.size());
  ASSERT_FALSE(gpu.logits.empty());
  if (c.variant.empty()) {
    std::vector<float> want = ref->find("logits") ? readFloats(*ref, "logits")
                                                  : readFloats(*ref, "logits_last4");
    expectClose(gpu.logits, want, gpu.vocab, "bf16 GPU vs transformers fp32");
    float range = *std::max_element(want.begin(), want.end()) -
                  *std::min_element(want.begin(), want.end());
    bool decided = margin(want.data() + want.size() - size_t(gpu.vocab), gpu.vocab) >=
                   kNearTie * range;
    expectGreedy(gpu.greedy, wantTokens, decided, "bf16 GPU vs transformers");
  } else {
    ModelRun cpu = runModel(cudaDir() + "/" + c.model + suffix + ".cpu.vlmc", *ref, wantTokens.size());
    ASSERT_FALSE(cpu.logits.empty());
    expectClose(gpu.logits, cpu.logits, gpu.vocab, c.variant + " GPU vs CPU backend");
    float range = *std::max_element(cpu.logits.begin(), cpu.logits.end()) -
                  *std::min_element(cpu.logits.begin(), cpu.logits.end());
    bool decided = margin(cpu.logits.data() + cpu.logits.size() - size_t(cpu.vocab),
                          cpu.vocab) >= kNearTie * range;
    expectGreedy(gpu.greedy, cpu.greedy, decided, c.variant + " GPU vs CPU backend");
  }
}

// Decode steps replayed from a captured CUDA graph must compute what eager
// launches compute: same kernels on the same inputs, so the logits agree to
// the last bit except where a kernel's reduction order varies between
// launches (none does today; the tolerance leaves room for one that would).
// Positions and the KV length change every step, so a graph that read stale
// inputs would diverge at once.
class CudaGraphTest : public ::testing::TestWithParam<std::string> {
protected:
  void SetUp() override {
    if (cudaDir().empty())
      GTEST_SKIP() << "VLMC_TEST_CUDA_ARTIFACTS not set (scripts/gpu-check.sh sets it)";
    artifact = cudaDir() + "/" + GetParam() + ".cuda.vlmc";
    if (std::FILE *f = std::fopen(artifact.c_str(), "rb"))
      std::fclose(f);
    else
      GTEST_SKIP() << artifact << " is not in this bundle";
  }
  std::string artifact;
};

std::vector<std::vector<float>> decodeSteps(const std::string &artifact,
                                            const std::vector<int32_t> &prompt, bool graphs,
                                            int steps, int64_t *replays) {
  std::vector<std::vector<float>> rows;
  Result<std::shared_ptr<Model>> model = Model::load(artifact);
  EXPECT_TRUE(model.isOk()) << model.status().message();
  if (!model)
    return rows;
  SessionOptions options{256, 2};
  options.cudaGraphs = graphs;
  Result<std::unique_ptr<Session>> session = Session::create(*model, options);
  EXPECT_TRUE(session.isOk()) << session.status().message();
  if (!session)
    return rows;
  Result<TensorRef> logits = (*session)->prefill(prompt);
  EXPECT_TRUE(logits.isOk()) << logits.status().message();
  if (!logits)
    return rows;
  int64_t vocab = logits->shape.back();
  const float *last = logits->as<float>() + logits->numel() - vocab;
  int32_t next = int32_t(std::max_element(last, last + vocab) - last);
  for (int i = 0; i < steps; ++i) {
    Result<TensorRef> step = (*session)->decode(next);
    EXPECT_TRUE(step.isOk()) << step.status().message();
    if (!step)
      break;
    const float *row = step->as<float>();
    rows.emplace_back(row, row + vocab);
    next = int32_t(std::max_element(row, row + vocab) - row);
  }
  *replays = (*session)->graphReplays();
  return rows;
}

TEST_P(CudaGraphTest, ReplayedDecodeMatchesEagerDecode) {
  const std::vector<int32_t> prompt = {1, 5, 9, 13, 17, 21, 25, 29};
  constexpr int kSteps = 24;
  int64_t eagerReplays = 0, graphReplays = 0;
  std::vector<std::vector<float>> eager = decodeSteps(artifact, prompt, false, kSteps, &eagerReplays);
  std::vector<std::vector<float>> replayed =
      decodeSteps(artifact, prompt, true, kSteps, &graphReplays);
  ASSERT_EQ(eager.size(), size_t(kSteps));
  ASSERT_EQ(replayed.size(), size_t(kSteps));
  EXPECT_EQ(eagerReplays, 0);
  // Step 1 runs eagerly (it sizes the executor's memory), step 2 is captured.
  EXPECT_EQ(graphReplays, kSteps - 1);
  double worst = 0;
  for (int i = 0; i < kSteps; ++i) {
    const std::vector<float> &e = eager[size_t(i)], &r = replayed[size_t(i)];
    float range = *std::max_element(e.begin(), e.end()) - *std::min_element(e.begin(), e.end());
    for (size_t j = 0; j < e.size(); ++j)
      worst = std::max(worst, double(std::fabs(e[j] - r[j])) / range);
    ASSERT_EQ(std::max_element(e.begin(), e.end()) - e.begin(),
              std::max_element(r.begin(), r.end()) - r.begin())
        << "step " << i;
  }
  std::printf("  %s: %d decode steps, %lld graph replays, max |eager - replayed| = %.3g of "
              "the logit range\n",
              GetParam().c_str(), kSteps, (long long)graphReplays, worst);
  EXPECT_LE(worst, 1e-3);
}

// Greedy decoding with the pick on the device (the artifact's ArgMax kernel
// after each replayed graph) follows the tokens the host picks from eager
// logits: the first index of the largest logit, so bf16 ties agree too.
TEST_P(CudaGraphTest, GreedyPickOnTheDeviceMatchesTheHost) {
  const std::vector<int32_t> prompt = {1, 5, 9, 13, 17, 21, 25, 29};
  constexpr int kSteps = 24;
  int64_t replays = 0;
  std::vector<std::vector<float>> eager = decodeSteps(artifact, prompt, false, kSteps, &replays);
  ASSERT_EQ(eager.size(), size_t(kSteps));

  Result<std::shared_ptr<Model>> model = Model::load(artifact);
  ASSERT_TRUE(model.isOk()) << model.status().message();
  Result<std::unique_ptr<Session>> session = Session::create(*model, SessionOptions{256, 2});
  ASSERT_TRUE(session.isOk()) << session.status().message();
  Result<TensorRef> logits = (*session)->prefill(prompt);
  ASSERT_TRUE(logits.isOk()) << logits.status().message();
  const int64_t vocab = logits->shape.back();
  const float *last = logits->as<float>() + logits->numel() - vocab;
  int32_t next = int32_t(std::max_element(last, last + vocab) - last);
  for (int i = 0; i < kSteps; ++i) {
    Result<int32_t> picked = (*session)->decodeGreedy(next);
    ASSERT_TRUE(picked.isOk()) << picked.status().message();
    const std::vector<float> &row = eager[size_t(i)];
    ASSERT_EQ(*picked, std::max_element(row.begin(), row.end()) - row.begin()) << "step " << i;
    next = *picked;
  }
  EXPECT_EQ((*session)->graphReplays(), kSteps - 1);
  std::printf("  %s: %d greedy steps picked on the device, as the host picks them\n",
              GetParam().c_str(), kSteps);
}

// Sampled decoding with the draw on the device (the artifact's Sample kernel
// after each replayed graph) picks what cpu::sampleToken picks from the same
// step's logits downloaded to the host, over specs that use every knob.
TEST_P(CudaGraphTest, SampledPickOnTheDeviceMatchesTheHost) {
  const std::vector<int32_t> prompt = {1, 5, 9, 13, 17, 21, 25, 29};
  constexpr int kSteps = 24;
  const cpu::SamplingSpec specs[] = {
      {0.8f, 1.0f, 0.0f, 1.0f, 0},   {1.0f, 0.9f, 0.0f, 1.0f, 40},
      {0.7f, 0.95f, 0.05f, 1.2f, 0}, {0.0f, 1.0f, 0.0f, 1.3f, 0},
      {1.5f, 0.5f, 0.0f, 1.0f, 5},   {2.0f, 1.0f, 0.1f, 0.9f, 100},
  };
  Result<std::shared_ptr<Model>> model = Model::load(artifact);
  ASSERT_TRUE(model.isOk()) << model.status().message();
  Result<std::unique_ptr<Session>> device = Session::create(*model, SessionOptions{256, 2});
  Result<std::unique_ptr<Session>> host = Session::create(*model, SessionOptions{256, 2});
  ASSERT_TRUE(device.isOk() && host.isOk());
  Result<TensorRef> first = (*device)->prefill(prompt);
  ASSERT_TRUE(first.isOk()) << first.status().message();
  ASSERT_TRUE((*host)->prefill(prompt).isOk());
  const int64_t vocab = first->shape.back();
  std::mt19937_64 rng(7);
  std::vector<int32_t> history = {int32_t(prompt.back())};
  cpu::SamplingScratch scratch;
  int distinct = 0;
  for (int i = 0; i < kSteps; ++i) {
    const cpu::SamplingStep step{specs[i % std::size(specs)], history.data(), history.size(),
                                 rng() >> 11};
    Result<int32_t> picked = (*device)->decodeSample(history.back(), step);
    ASSERT_TRUE(picked.isOk()) << picked.status().message();
    Result<TensorRef> logits = (*host)->decode(history.back());
    ASSERT_TRUE(logits.isOk()) << logits.status().message();
    const int32_t want =
        cpu::sampleToken(logits->as<float>() + logits->numel() - vocab, vocab, step, scratch);
    ASSERT_EQ(*picked, want) << "step " << i;
    distinct += std::find(history.begin(), history.end(), want) == history.end();
    history.push_back(want);
  }
  EXPECT_EQ((*device)->graphReplays(), kSteps - 1);
  std::printf("  %s: %d sampled steps drawn on the device (%d distinct tokens), as the host "
              "draws them\n",
              GetParam().c_str(), kSteps, distinct);
}

INSTANTIATE_TEST_SUITE_P(Gpu, CudaGraphTest,
                         ::testing::Values("tinystories-656k", "qwen2vl-tiny"),
                         [](const ::testing::TestParamInfo<std::string> &info) {
                           std::string name = info.param;
                           for (char &ch : name)
                             if (!std::isalnum(static_cast<unsigned char>(ch)))
                               ch = '_';
                           return name + "_";
                         });

INSTANTIATE_TEST_SUITE_P(
    Gpu, CudaFixtureTest,
    ::testing::Values(Case{"qwen2vl-tiny", "ref_text_only.safetensors", ""},
                      Case{"qwen2vl-tiny", "ref_img_chelsea.safetensors", ""},
                      Case{"qwen2vl-tiny", "ref_img_astronaut.safetensors", ""},
                      Case{"qwen2_5vl-tiny", "ref_text_only.safetensors", ""},
                      Case{"qwen2_5vl-tiny", "ref_img_chelsea.safetensors", ""},
                      Case{"qwen2_5vl-tiny", "ref_img_astronaut.safetensors", ""},
                      Case{"smolvlm-tiny", "ref_text_only.safetensors", ""},
                      Case{"smolvlm-tiny", "ref_img_astronaut.safetensors", ""},
                      Case{"tinystories-656k", "../tinystories-656k-ref/ref_0.safetensors", ""},
                      Case{"qwen2vl-tiny", "ref_img_chelsea.safetensors", "affine4"},
                      Case{"qwen2vl-tiny", "ref_img_chelsea.safetensors", "nvfp4-qa-f32"},
                      Case{"qwen2vl-tiny", "ref_img_chelsea.safetensors", "mxfp8-qa-f32"},
                      Case{"tinystories-656k", "../tinystories-656k-ref/ref_0.safetensors",
                           "nvfp4-qa-f32"}),
    [](const ::testing::TestParamInfo<Case> &info) {
      std::string name = info.param.model + "_" + info.param.ref + "_" + info.param.variant;
      for (char &ch : name)
        if (!std::isalnum(static_cast<unsigned char>(ch)))
          ch = '_';
      return name;
    });

} // namespace
} // namespace vlmc::exec
