// The C API without a model: statuses, NULL arguments, load errors, images.
#include "ApiTestUtil.h"

#include "vlmc/vlmc.hpp"

#include <cstdio>
#include <fstream>
#include <string>

using vlmc::apitest::outcome;

namespace {

std::string tempFile(const char *name, const std::string &contents) {
  std::string path = ::testing::TempDir() + name;
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

TEST(ApiStatus, NullIsOk) {
  EXPECT_EQ(vlmc_status_code(nullptr), VLMC_OK);
  EXPECT_STREQ(vlmc_status_message(nullptr), "");
  vlmc_status_free(nullptr);
}

TEST(ApiStatus, CodeNames) {
  EXPECT_STREQ(vlmc_code_name(VLMC_OK), "OK");
  EXPECT_STREQ(vlmc_code_name(VLMC_ERR_NOT_FOUND), "NOT_FOUND");
  EXPECT_STREQ(vlmc_code_name(VLMC_ERR_INTERNAL), "INTERNAL");
}

TEST(ApiStatus, ErrorCarriesCodeAndMessage) {
  vlmc_model *model = nullptr;
  vlmc_status st = vlmc_model_load(nullptr, nullptr, &model);
  ASSERT_NE(st, nullptr);
  EXPECT_EQ(vlmc_status_code(st), VLMC_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(vlmc_status_message(st), "vlmc_model_load: path is NULL");
  vlmc_status_free(st);
  EXPECT_EQ(model, nullptr);
}

TEST(ApiVersion, MatchesProject) {
  EXPECT_STREQ(vlmc_version(), VLMC_TEST_VERSION);
  EXPECT_EQ(vlmc::version(), VLMC_TEST_VERSION);
}

// Every entry point refuses NULL handles and out-parameters with
// INVALID_ARGUMENT; getters and frees accept NULL.
TEST(ApiNull, FallibleFunctionsReportInvalidArgument) {
  vlmc_model *model = nullptr;
  vlmc_session *session = nullptr;
  vlmc_image *image = nullptr;
  vlmc_result *result = nullptr;
  int32_t ids[4];
  char text[8];
  size_t n = 0;
  uint8_t rgb[3] = {1, 2, 3};
  auto code = [](vlmc_status s) { return outcome(s).code; };
  const vlmc_code kInvalid = VLMC_ERR_INVALID_ARGUMENT;
  EXPECT_EQ(code(vlmc_model_load("x.vlmc", nullptr, nullptr)), kInvalid);
  EXPECT_EQ(code(vlmc_tokenize(nullptr, "a", 0, ids, 4, &n)), kInvalid);
  EXPECT_EQ(code(vlmc_detokenize(nullptr, ids, 1, 0, text, 8, &n)), kInvalid);
  EXPECT_EQ(code(vlmc_token_to_piece(nullptr, 1, text, 8, &n)), kInvalid);
  EXPECT_EQ(code(vlmc_image_from_rgb8(1, 1, rgb, nullptr)), kInvalid);
  EXPECT_EQ(code(vlmc_image_load_file(nullptr, &image)), kInvalid);
  EXPECT_EQ(code(vlmc_image_load_file("x.png", nullptr)), kInvalid);
  EXPECT_EQ(code(vlmc_image_decode(nullptr, 0, &image)), kInvalid);
  EXPECT_EQ(code(vlmc_session_create(nullptr, &session)), kInvalid);
  EXPECT_EQ(code(vlmc_session_reset(nullptr)), kInvalid);
  EXPECT_EQ(code(vlmc_generate(nullptr, "hi", nullptr, nullptr, 0, nullptr, nullptr, nullptr,
                               &result)),
            kInvalid);
  EXPECT_EQ(model, nullptr);
  EXPECT_EQ(session, nullptr);
  EXPECT_EQ(image, nullptr);
  EXPECT_EQ(result, nullptr);

  EXPECT_STREQ(vlmc_model_family(nullptr), "");
  EXPECT_STREQ(vlmc_model_type(nullptr), "");
  EXPECT_EQ(vlmc_model_has_vision(nullptr), 0);
  EXPECT_EQ(vlmc_model_vocab_size(nullptr), 0);
  EXPECT_EQ(vlmc_model_quantizes_activations(nullptr), 0);
  EXPECT_EQ(vlmc_image_width(nullptr), 0);
  EXPECT_EQ(vlmc_image_height(nullptr), 0);
  size_t len = 1;
  EXPECT_STREQ(vlmc_result_text(nullptr, &len), "");
  EXPECT_EQ(len, 0u);
  EXPECT_EQ(vlmc_result_generated_ids(nullptr, &n), nullptr);
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(vlmc_result_prompt_ids(nullptr, nullptr), nullptr);
  EXPECT_EQ(vlmc_result_finish_reason(nullptr), VLMC_FINISH_STOP);
  EXPECT_EQ(vlmc_result_stats(nullptr).prompt_tokens, 0);
  vlmc_model_free(nullptr);
  vlmc_session_free(nullptr);
  vlmc_image_free(nullptr);
  vlmc_result_free(nullptr);
}

TEST(ApiModelLoad, MissingFile) {
  vlmc_model *model = nullptr;
  vlmc::apitest::Outcome o =
      outcome(vlmc_model_load("/nonexistent/model.vlmc", nullptr, &model));
  EXPECT_EQ(o.code, VLMC_ERR_NOT_FOUND) << o.message;
  EXPECT_NE(o.message.find("/nonexistent/model.vlmc"), std::string::npos) << o.message;
  EXPECT_EQ(model, nullptr);
}

TEST(ApiModelLoad, NotAnArtifact) {
  std::string path = tempFile("api-not-an-artifact.vlmc", std::string(4096, 'x'));
  vlmc_model *model = nullptr;
  vlmc::apitest::Outcome o = outcome(vlmc_model_load(path.c_str(), nullptr, &model));
  EXPECT_NE(o.code, VLMC_OK);
  EXPECT_NE(o.message.find(path), std::string::npos) << o.message;
  EXPECT_EQ(model, nullptr);
  std::remove(path.c_str());
}

TEST(ApiModelLoad, DirectoryPointsAtTheCompiler) {
  vlmc_model *model = nullptr;
  vlmc::apitest::Outcome o =
      outcome(vlmc_model_load(VLMC_TEST_DATA_DIR "/tinystories-656k", nullptr, &model));
  EXPECT_EQ(o.code, VLMC_ERR_INVALID_ARGUMENT);
  EXPECT_NE(o.message.find("vlm-compile"), std::string::npos) << o.message;
}

// (Out-of-range enum values are tested from C, in api_c_test.c: C may store
// any int in an enum, C++ may not.)
TEST(ApiModelLoad, BadParams) {
  vlmc_model *model = nullptr;
  vlmc_model_params p = vlmc_model_params_default();
  EXPECT_EQ(p.device, VLMC_DEVICE_AUTO);
  EXPECT_EQ(p.n_threads, 0);
  EXPECT_GT(p.max_context, 0);
  p.max_context = 0;
  EXPECT_EQ(outcome(vlmc_model_load("x.vlmc", &p, &model)).code, VLMC_ERR_INVALID_ARGUMENT);
  p = vlmc_model_params_default();
  p.n_threads = -1;
  EXPECT_EQ(outcome(vlmc_model_load("x.vlmc", &p, &model)).code, VLMC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(model, nullptr);
}

TEST(ApiModelLoad, WrapperThrowsError) {
  try {
    vlmc::Model::load("/nonexistent/model.vlmc");
    FAIL() << "no exception";
  } catch (const vlmc::Error &e) {
    EXPECT_EQ(e.code(), VLMC_ERR_NOT_FOUND);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/model.vlmc"), std::string::npos);
  }
}

TEST(ApiImage, FromRgb8) {
  const uint8_t rgb[2 * 3 * 3] = {};
  vlmc_image *image = nullptr;
  VLMC_ASSERT_OK(vlmc_image_from_rgb8(2, 3, rgb, &image));
  EXPECT_EQ(vlmc_image_width(image), 2);
  EXPECT_EQ(vlmc_image_height(image), 3);
  vlmc_image_free(image);
}

TEST(ApiImage, FromRgb8Errors) {
  const uint8_t rgb[3] = {};
  vlmc_image *image = nullptr;
  EXPECT_EQ(outcome(vlmc_image_from_rgb8(0, 1, rgb, &image)).code, VLMC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(outcome(vlmc_image_from_rgb8(1, 0, rgb, &image)).code, VLMC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(outcome(vlmc_image_from_rgb8(-4, 4, rgb, &image)).code, VLMC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(outcome(vlmc_image_from_rgb8(1, 1, nullptr, &image)).code,
            VLMC_ERR_INVALID_ARGUMENT);
  // Refused before reading (or allocating) anything.
  EXPECT_EQ(outcome(vlmc_image_from_rgb8(65535, 65535, rgb, &image)).code,
            VLMC_ERR_RESOURCE_EXHAUSTED);
  EXPECT_EQ(image, nullptr);
  EXPECT_THROW(vlmc::Image::fromRgb8(0, 0, rgb), vlmc::Error);
}

TEST(ApiImage, LoadFile) {
  vlmc::Image image = vlmc::Image::load(VLMC_TEST_DATA_DIR "/images/chelsea.png");
  EXPECT_GT(image.width(), 0);
  EXPECT_GT(image.height(), 0);
  vlmc_image *missing = nullptr;
  EXPECT_EQ(outcome(vlmc_image_load_file("/nonexistent.png", &missing)).code,
            VLMC_ERR_NOT_FOUND);
}

TEST(ApiImage, DecodeErrors) {
  vlmc_image *image = nullptr;
  const char junk[] = "not an image";
  EXPECT_EQ(outcome(vlmc_image_decode(junk, sizeof junk, &image)).code,
            VLMC_ERR_INVALID_ARGUMENT);
  const char pngMagic[] = "\x89PNG\r\n\x1a\n";
  EXPECT_NE(outcome(vlmc_image_decode(pngMagic, 8, &image)).code, VLMC_OK);
  EXPECT_EQ(image, nullptr);
}

TEST(ApiImage, WrapperIsMoveOnly) {
  static_assert(!std::is_copy_constructible_v<vlmc::Image>);
  static_assert(std::is_nothrow_move_constructible_v<vlmc::Image>);
  static_assert(!std::is_copy_constructible_v<vlmc::Model>);
  static_assert(!std::is_copy_constructible_v<vlmc::Session>);
  const uint8_t rgb[3] = {};
  vlmc::Image a = vlmc::Image::fromRgb8(1, 1, rgb);
  vlmc::Image b = std::move(a);
  EXPECT_EQ(a.get(), nullptr);
  EXPECT_EQ(b.width(), 1);
  a = std::move(b);
  EXPECT_EQ(a.width(), 1);
}

} // namespace
