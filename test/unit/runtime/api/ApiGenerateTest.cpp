// Sessions and generation through the C API and the C++ wrapper, checked
// against the transformers references in test/data.
#include "ApiTestUtil.h"

#include "vlmc/vlmc.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <string>
#include <thread>
#include <vector>

using vlmc::apitest::outcome;

namespace {

// transformers' greedy continuation of "Once upon a time" (64 tokens).
std::vector<int32_t> referenceIds() {
  std::ifstream in(VLMC_TEST_DATA_DIR "/tinystories-656k-ref/reference.json");
  nlohmann::json j = nlohmann::json::parse(in);
  return j["case0"]["generated_ids"].get<std::vector<int32_t>>();
}

vlmc::Request greedy(const std::string &prompt, int maxTokens) {
  vlmc::Request r;
  r.prompt = prompt;
  r.sampling.maxTokens = maxTokens;
  return r;
}

struct Stream {
  std::vector<int32_t> ids;
  std::string text;
  size_t stopAfter = 0; // 0: never
};

int collect(int32_t token, const char *piece, size_t n, void *user) {
  Stream &s = *static_cast<Stream *>(user);
  s.ids.push_back(token);
  s.text.append(piece, n);
  return s.stopAfter != 0 && s.ids.size() >= s.stopAfter;
}

TEST(ApiGenerate, GreedyMatchesReference) {
  VLMC_REQUIRE_ARTIFACT(path, "tinystories-656k.vlmc");
  vlmc_model *model = nullptr;
  VLMC_ASSERT_OK(vlmc_model_load(path.c_str(), nullptr, &model));
  vlmc_session *session = nullptr;
  VLMC_ASSERT_OK(vlmc_session_create(model, &session));
  vlmc_sampling_params sampling = vlmc_sampling_params_default();
  sampling.max_tokens = 64;
  Stream stream;
  vlmc_result *result = nullptr;
  VLMC_ASSERT_OK(vlmc_generate(session, "Once upon a time", nullptr, nullptr, 0, &sampling,
                               collect, &stream, &result));

  size_t n = 0;
  const int32_t *ids = vlmc_result_generated_ids(result, &n);
  EXPECT_EQ(std::vector<int32_t>(ids, ids + n), referenceIds());
  const int32_t *prompt = vlmc_result_prompt_ids(result, &n);
  EXPECT_EQ(std::vector<int32_t>(prompt, prompt + n),
            std::vector<int32_t>({1, 80, 147, 201, 282, 57}));
  size_t length = 0;
  std::string text = vlmc_result_text(result, &length);
  EXPECT_EQ(length, text.size());
  EXPECT_EQ(text.rfind(", a little girl named Lily lived in a small house", 0), 0u) << text;
  // The streamed pieces are the result, token by token.
  EXPECT_EQ(stream.ids, referenceIds());
  EXPECT_EQ(stream.text, text);
  EXPECT_EQ(vlmc_result_finish_reason(result), VLMC_FINISH_LENGTH);
  vlmc_generation_stats stats = vlmc_result_stats(result);
  EXPECT_EQ(stats.prompt_tokens, 6);
  EXPECT_EQ(stats.generated_tokens, 64);
  EXPECT_GT(stats.prompt_tps, 0);
  EXPECT_GT(stats.generation_tps, 0);
  EXPECT_GT(stats.time_to_first_token, 0);
  EXPECT_GT(stats.peak_memory_bytes, 0);

  vlmc_result_free(result);
  // Freeing the model first is fine: the session keeps the weights alive.
  vlmc_model_free(model);
  VLMC_ASSERT_OK(vlmc_session_reset(session));
  VLMC_ASSERT_OK(vlmc_generate(session, "Once upon a time", nullptr, nullptr, 0, &sampling,
                               nullptr, nullptr, &result));
  ids = vlmc_result_generated_ids(result, &n);
  EXPECT_EQ(std::vector<int32_t>(ids, ids + n), referenceIds());
  vlmc_result_free(result);
  vlmc_session_free(session);
}

TEST(ApiGenerate, CallbackStopsAfterN) {
  VLMC_REQUIRE_ARTIFACT(path, "tinystories-656k.vlmc");
  vlmc::Model model = vlmc::Model::load(path);
  vlmc::Session session(model);
  Stream stream;
  stream.stopAfter = 5;
  vlmc_result *result = nullptr;
  vlmc_sampling_params sampling = vlmc_sampling_params_default();
  sampling.max_tokens = 64;
  VLMC_ASSERT_OK(vlmc_generate(session.get(), "Once upon a time", nullptr, nullptr, 0,
                               &sampling, collect, &stream, &result));
  size_t n = 0;
  const int32_t *ids = vlmc_result_generated_ids(result, &n);
  std::vector<int32_t> expected = referenceIds();
  expected.resize(5);
  EXPECT_EQ(std::vector<int32_t>(ids, ids + n), expected); // the last token is kept
  EXPECT_EQ(stream.ids, expected);
  EXPECT_EQ(vlmc_result_finish_reason(result), VLMC_FINISH_CALLBACK);
  vlmc_result_free(result);

  // The wrapper: a lambda returning false stops too.
  int calls = 0;
  vlmc::Generation out = session.generate(greedy("Once upon a time", 64),
                                          [&](int32_t, std::string_view) { return ++calls < 3; });
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(out.generatedIds().size(), 3u);
  EXPECT_EQ(out.finishReason(), VLMC_FINISH_CALLBACK);
}

TEST(ApiGenerate, WrapperRethrowsCallbackExceptions) {
  VLMC_REQUIRE_ARTIFACT(path, "tinystories-656k.vlmc");
  vlmc::Model model = vlmc::Model::load(path);
  vlmc::Session session(model);
  int calls = 0;
  auto throwing = [&](int32_t, std::string_view) {
    if (++calls == 2)
      throw std::logic_error("from the callback");
  };
  EXPECT_THROW(session.generate(greedy("Once upon a time", 16), throwing), std::logic_error);
  EXPECT_EQ(calls, 2); // stopped at the throw
  // The session is still good.
  std::string streamed;
  vlmc::Generation out = session.generate(
      greedy("Once upon a time", 16), [&](int32_t, std::string_view p) { streamed += p; });
  EXPECT_EQ(out.generatedIds().size(), 16u);
  EXPECT_EQ(streamed, out.text());
}

TEST(ApiGenerate, TwoSessionsOneModel) {
  VLMC_REQUIRE_ARTIFACT(path, "tinystories-656k.vlmc");
  vlmc_model_params params = vlmc::Model::defaultParams();
  params.n_threads = 1;
  vlmc::Model model = vlmc::Model::load(path, params);
  vlmc::Session a(model), b(model);
  vlmc::Request request = greedy("Once upon a time", 64);
  EXPECT_EQ(a.generate(request).generatedIds(), referenceIds());
  EXPECT_EQ(b.generate(request).generatedIds(), referenceIds());

  // Concurrently, one session per thread, as vlmc.h allows.
  std::vector<int32_t> idsA, idsB;
  std::thread ta([&] { idsA = a.generate(request).generatedIds(); });
  std::thread tb([&] { idsB = b.generate(request).generatedIds(); });
  ta.join();
  tb.join();
  EXPECT_EQ(idsA, referenceIds());
  EXPECT_EQ(idsB, referenceIds());
}

TEST(ApiGenerate, SeededSamplingIsReproducible) {
  VLMC_REQUIRE_ARTIFACT(path, "tinystories-656k.vlmc");
  vlmc::Model model = vlmc::Model::load(path);
  vlmc::Session session(model);
  vlmc::Request request = greedy("Once upon a time", 32);
  request.sampling.temperature = 1.0f;
  request.sampling.topP = 0.9f;
  request.sampling.topK = 50;
  request.sampling.minP = 0.05f;
  request.sampling.repetitionPenalty = 1.2f;
  request.sampling.seed = 1234;
  std::vector<int32_t> first = session.generate(request).generatedIds();
  EXPECT_EQ(session.generate(request).generatedIds(), first);
  EXPECT_FALSE(first.empty());
}

TEST(ApiGenerate, StopString) {
  VLMC_REQUIRE_ARTIFACT(path, "tinystories-656k.vlmc");
  vlmc::Model model = vlmc::Model::load(path);
  vlmc::Session session(model);
  vlmc::Request request = greedy("Once upon a time", 64);
  request.sampling.stop = {"Lily"};
  std::string streamed;
  vlmc::Generation out =
      session.generate(request, [&](int32_t, std::string_view p) { streamed += p; });
  EXPECT_EQ(out.text(), ", a little girl named ");
  EXPECT_EQ(streamed, out.text());
  EXPECT_EQ(out.finishReason(), VLMC_FINISH_STOP);
}

// A stop string inside the first pieces (here the second token,
// "little girl named "): the text and the stream end before it.
TEST(ApiGenerate, StopStringInTheFirstPieces) {
  VLMC_REQUIRE_ARTIFACT(path, "tinystories-656k.vlmc");
  vlmc::Model model = vlmc::Model::load(path);
  vlmc::Session session(model);
  vlmc::Request request = greedy("Once upon a time", 64);
  request.sampling.stop = {"never produced", "little"};
  std::string streamed;
  vlmc::Generation out =
      session.generate(request, [&](int32_t, std::string_view p) { streamed += p; });
  EXPECT_EQ(out.text(), ", a ");
  EXPECT_EQ(streamed, out.text());
  EXPECT_EQ(out.generatedIds().size(), 2u);
  EXPECT_EQ(out.finishReason(), VLMC_FINISH_STOP);
}

TEST(ApiGenerate, InvalidRequests) {
  VLMC_REQUIRE_ARTIFACT(path, "tinystories-656k.vlmc");
  vlmc_model *model = nullptr;
  VLMC_ASSERT_OK(vlmc_model_load(path.c_str(), nullptr, &model));
  vlmc_session *session = nullptr;
  VLMC_ASSERT_OK(vlmc_session_create(model, &session));
  vlmc_result *result = nullptr;
  auto run = [&](const vlmc_sampling_params &p) {
    return outcome(
        vlmc_generate(session, "Once", nullptr, nullptr, 0, &p, nullptr, nullptr, &result));
  };
  const vlmc_sampling_params defaults = vlmc_sampling_params_default();
  vlmc_sampling_params p = defaults;
  p.max_tokens = 0;
  EXPECT_EQ(run(p).code, VLMC_ERR_INVALID_ARGUMENT);
  p = defaults;
  p.temperature = -1;
  EXPECT_EQ(run(p).code, VLMC_ERR_INVALID_ARGUMENT);
  p = defaults;
  p.top_p = 0;
  EXPECT_EQ(run(p).code, VLMC_ERR_INVALID_ARGUMENT);
  p = defaults;
  p.repetition_penalty = -1;
  EXPECT_EQ(run(p).code, VLMC_ERR_INVALID_ARGUMENT);
  p = defaults;
  p.seed = -2;
  EXPECT_EQ(run(p).code, VLMC_ERR_INVALID_ARGUMENT);
  p = defaults;
  p.n_stop = 1;
  EXPECT_EQ(run(p).code, VLMC_ERR_INVALID_ARGUMENT);
  const char *stops[] = {nullptr};
  p.stop = stops;
  EXPECT_EQ(run(p).code, VLMC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(result, nullptr);

  // Text-only model with an image; a NULL image; a NULL prompt.
  const uint8_t rgb[3] = {};
  vlmc_image *image = nullptr;
  VLMC_ASSERT_OK(vlmc_image_from_rgb8(1, 1, rgb, &image));
  EXPECT_EQ(outcome(vlmc_generate(session, "Once", nullptr, &image, 1, nullptr, nullptr,
                                  nullptr, &result))
                .code,
            VLMC_ERR_INVALID_ARGUMENT);
  vlmc_image *none[] = {nullptr};
  EXPECT_EQ(outcome(vlmc_generate(session, "Once", nullptr, none, 1, nullptr, nullptr, nullptr,
                                  &result))
                .code,
            VLMC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(outcome(vlmc_generate(session, "Once", nullptr, nullptr, 1, nullptr, nullptr,
                                  nullptr, &result))
                .code,
            VLMC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(outcome(vlmc_generate(session, nullptr, nullptr, nullptr, 0, nullptr, nullptr,
                                  nullptr, &result))
                .code,
            VLMC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(result, nullptr);
  vlmc_image_free(image);
  vlmc_session_free(session);
  vlmc_model_free(model);
}

TEST(ApiGenerate, ContextTooSmall) {
  VLMC_REQUIRE_ARTIFACT(path, "tinystories-656k.vlmc");
  vlmc_model_params params = vlmc::Model::defaultParams();
  params.max_context = 4;
  vlmc::Model model = vlmc::Model::load(path, params);
  vlmc::Session session(model);
  try {
    session.generate(greedy("Once upon a time", 8));
    FAIL() << "no exception";
  } catch (const vlmc::Error &e) {
    EXPECT_EQ(e.code(), VLMC_ERR_OUT_OF_RANGE) << e.what();
  }
}

// transformers' greedy ids for chelsea.png with "Describe this image."
TEST(ApiGenerate, ImageOnQwen2VL) {
  VLMC_REQUIRE_ARTIFACT(path, "qwen2vl-tiny.vlmc");
  vlmc::Model model = vlmc::Model::load(path);
  vlmc::Session session(model);
  vlmc::Image image = vlmc::Image::load(VLMC_TEST_DATA_DIR "/images/chelsea.png");
  vlmc::Request request = greedy("Describe this image.", 16);
  request.images = {&image};
  std::string streamed;
  vlmc::Generation out =
      session.generate(request, [&](int32_t, std::string_view p) { streamed += p; });
  EXPECT_EQ(out.generatedIds(), std::vector<int32_t>({1385, 539, 626, 765, 661, 470, 1086, 682,
                                                      951, 409, 470, 140, 489, 470, 1083, 1214}));
  EXPECT_EQ(streamed, out.text());
  EXPECT_GT(out.stats().prompt_tokens, 16); // the image's tokens are in the prompt

  // The same file decoded from memory gives the same tokens.
  std::ifstream in(VLMC_TEST_DATA_DIR "/images/chelsea.png", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  vlmc::Image decoded = vlmc::Image::decode(bytes.data(), bytes.size());
  EXPECT_EQ(decoded.width(), image.width());
  request.images = {&decoded};
  EXPECT_EQ(session.generate(request).generatedIds(), out.generatedIds());

  // Raw pixels, two images and a system prompt.
  std::vector<uint8_t> rgb(64 * 48 * 3);
  for (size_t i = 0; i < rgb.size(); ++i)
    rgb[i] = uint8_t(i * 7);
  vlmc::Image raw = vlmc::Image::fromRgb8(64, 48, rgb.data());
  request.images = {&image, &raw};
  request.system = "You are terse.";
  request.sampling.maxTokens = 2;
  vlmc::Generation two = session.generate(request);
  EXPECT_GT(two.stats().prompt_tokens, out.stats().prompt_tokens);
  EXPECT_LE(two.generatedIds().size(), 2u);
}

} // namespace
