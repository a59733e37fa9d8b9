// Model metadata and the tokenizer functions, on the compiled test artifacts.
#include "ApiTestUtil.h"

#include "vlmc/vlmc.hpp"

#include <vector>

using vlmc::apitest::outcome;

namespace {

const std::vector<int32_t> kOnceUponATime = {1, 80, 147, 201, 282, 57};

TEST(ApiModel, Metadata) {
  VLMC_REQUIRE_ARTIFACT(textPath, "tinystories-656k.vlmc");
  vlmc::Model text = vlmc::Model::load(textPath);
  EXPECT_EQ(text.family(), "llama");
  EXPECT_FALSE(text.hasVision());
  EXPECT_GT(text.vocabSize(), 0);
  EXPECT_FALSE(text.quantizesActivations());

  vlmc::Model vision = vlmc::Model::load(vlmc::apitest::artifactPath("qwen2vl-tiny.vlmc"));
  EXPECT_EQ(vision.family(), "qwen2_vl");
  EXPECT_EQ(vision.modelType(), "qwen2_vl");
  EXPECT_TRUE(vision.hasVision());

  vlmc::Model qa = vlmc::Model::load(vlmc::apitest::artifactPath("qwen2vl-tiny.mxfp8-qa.vlmc"));
  EXPECT_TRUE(qa.quantizesActivations());
}

// A CPU artifact runs on the CPU: asking for CUDA names the fix.
TEST(ApiModel, DeviceMustMatchTheTarget) {
  VLMC_REQUIRE_ARTIFACT(path, "tinystories-656k.vlmc");
  vlmc_model_params params = vlmc_model_params_default();
  params.device = VLMC_DEVICE_CUDA;
  vlmc_model *model = nullptr;
  vlmc::apitest::Outcome o = outcome(vlmc_model_load(path.c_str(), &params, &model));
  EXPECT_EQ(o.code, VLMC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(o.message.find("--target cuda"), std::string::npos) << o.message;
  EXPECT_EQ(model, nullptr);
  params.device = VLMC_DEVICE_CPU;
  VLMC_ASSERT_OK(vlmc_model_load(path.c_str(), &params, &model));
  vlmc_model_free(model);
}

TEST(ApiTokenize, KnownIds) {
  VLMC_REQUIRE_ARTIFACT(path, "tinystories-656k.vlmc");
  vlmc_model *model = nullptr;
  VLMC_ASSERT_OK(vlmc_model_load(path.c_str(), nullptr, &model));
  size_t n = 0;
  // The sizing call, then the fill.
  VLMC_ASSERT_OK(vlmc_tokenize(model, "Once upon a time", 1, nullptr, 0, &n));
  ASSERT_EQ(n, kOnceUponATime.size());
  std::vector<int32_t> ids(n);
  VLMC_ASSERT_OK(vlmc_tokenize(model, "Once upon a time", 1, ids.data(), ids.size(), &n));
  EXPECT_EQ(ids, kOnceUponATime);
  // Without special tokens the leading <|start_story|> (1) is gone.
  VLMC_ASSERT_OK(vlmc_tokenize(model, "Once upon a time", 0, ids.data(), ids.size(), &n));
  EXPECT_EQ(std::vector<int32_t>(ids.begin(), ids.begin() + n),
            std::vector<int32_t>(kOnceUponATime.begin() + 1, kOnceUponATime.end()));
  vlmc_model_free(model);
}

TEST(ApiTokenize, SmallBufferIsOutOfRange) {
  VLMC_REQUIRE_ARTIFACT(path, "tinystories-656k.vlmc");
  vlmc_model *model = nullptr;
  VLMC_ASSERT_OK(vlmc_model_load(path.c_str(), nullptr, &model));
  int32_t ids[2] = {-7, -7};
  size_t n = 0;
  EXPECT_EQ(outcome(vlmc_tokenize(model, "Once upon a time", 1, ids, 2, &n)).code,
            VLMC_ERR_OUT_OF_RANGE);
  EXPECT_EQ(n, kOnceUponATime.size()); // still says how much is needed
  EXPECT_EQ(ids[0], -7);               // and wrote nothing
  EXPECT_EQ(outcome(vlmc_tokenize(model, "x", 1, nullptr, 4, &n)).code,
            VLMC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(outcome(vlmc_tokenize(model, nullptr, 1, ids, 2, &n)).code,
            VLMC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(outcome(vlmc_tokenize(model, "x", 1, ids, 2, nullptr)).code,
            VLMC_ERR_INVALID_ARGUMENT);
  // Invalid UTF-8 is the tokenizer's INVALID_ARGUMENT, not a crash.
  EXPECT_EQ(outcome(vlmc_tokenize(model, "\xff", 0, ids, 2, &n)).code,
            VLMC_ERR_INVALID_ARGUMENT);
  vlmc_model_free(model);
}

TEST(ApiTokenize, RoundTrip) {
  VLMC_REQUIRE_ARTIFACT(path, "tinystories-656k.vlmc");
  vlmc::Model model = vlmc::Model::load(path);
  const std::string text = "Once upon a time, a little girl named Lily lived in a small house";
  std::vector<int32_t> ids = model.tokenize(text, true);
  EXPECT_EQ(std::vector<int32_t>(ids.begin(), ids.begin() + 6), kOnceUponATime);
  EXPECT_EQ(model.detokenize(ids, /*skipSpecial=*/true), text);
  EXPECT_EQ(model.detokenize({}), "");
}

TEST(ApiDetokenize, Sizing) {
  VLMC_REQUIRE_ARTIFACT(path, "tinystories-656k.vlmc");
  vlmc_model *model = nullptr;
  VLMC_ASSERT_OK(vlmc_model_load(path.c_str(), nullptr, &model));
  const int32_t *ids = kOnceUponATime.data() + 1;
  size_t n = 0;
  VLMC_ASSERT_OK(vlmc_detokenize(model, ids, 5, 1, nullptr, 0, &n));
  ASSERT_EQ(n, std::string("Once upon a time").size());
  std::vector<char> exact(n); // no room for the NUL
  EXPECT_EQ(outcome(vlmc_detokenize(model, ids, 5, 1, exact.data(), n, &n)).code,
            VLMC_ERR_OUT_OF_RANGE);
  std::vector<char> buffer(n + 1, 'x');
  VLMC_ASSERT_OK(vlmc_detokenize(model, ids, 5, 1, buffer.data(), buffer.size(), &n));
  EXPECT_STREQ(buffer.data(), "Once upon a time");
  EXPECT_EQ(outcome(vlmc_detokenize(model, nullptr, 3, 1, buffer.data(), buffer.size(), &n))
                .code,
            VLMC_ERR_INVALID_ARGUMENT);
  VLMC_ASSERT_OK(vlmc_detokenize(model, nullptr, 0, 1, buffer.data(), buffer.size(), &n));
  EXPECT_EQ(n, 0u);
  vlmc_model_free(model);
}

TEST(ApiTokenToPiece, VocabularyEntries) {
  VLMC_REQUIRE_ARTIFACT(path, "tinystories-656k.vlmc");
  vlmc::Model model = vlmc::Model::load(path);
  EXPECT_EQ(model.tokenToPiece(1), "<|start_story|>");
  EXPECT_EQ(model.tokenToPiece(80), "\xE2\x96\x81");     // "▁"
  EXPECT_EQ(model.tokenToPiece(201), "ce\xE2\x96\x81"); // "ce▁"
  try {
    model.tokenToPiece(1 << 30);
    FAIL() << "no exception";
  } catch (const vlmc::Error &e) {
    EXPECT_EQ(e.code(), VLMC_ERR_OUT_OF_RANGE);
  }
}

} // namespace
