/* A C99 client of vlmc.h: compiled with -std=c99 -pedantic -Werror, so the
 * header stays C-clean, and run without a model, so every declaration is used
 * and the NULL-argument paths of the shared library are exercised from C. */
#include "vlmc/vlmc.h"

#include <stdio.h>
#include <string.h>

static int failures = 0;

#define CHECK(cond)                                                              \
  do {                                                                           \
    if (!(cond)) {                                                               \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
      ++failures;                                                                \
    }                                                                            \
  } while (0)

/* Frees `status` and says whether it had `code`. */
static int is(vlmc_status status, vlmc_code code) {
  int same = vlmc_status_code(status) == code;
  if (!same)
    fprintf(stderr, "unexpected status %s: %s\n", vlmc_code_name(vlmc_status_code(status)),
            vlmc_status_message(status));
  vlmc_status_free(status);
  return same;
}

static int on_token(int32_t token, const char *piece, size_t piece_len, void *user_data) {
  (void)token;
  (void)piece;
  (void)piece_len;
  (void)user_data;
  return 0;
}

int main(void) {
  const vlmc_code invalid = VLMC_ERR_INVALID_ARGUMENT;
  vlmc_model_params model_params = vlmc_model_params_default();
  vlmc_sampling_params sampling = vlmc_sampling_params_default();
  vlmc_token_callback callback = on_token;
  const char *stops[] = {"\n\n"};
  vlmc_model *model = NULL;
  vlmc_session *session = NULL;
  vlmc_image *image = NULL;
  vlmc_image *images[1];
  vlmc_result *result = NULL;
  vlmc_generation_stats stats;
  vlmc_finish_reason finish;
  vlmc_device device = VLMC_DEVICE_CPU;
  vlmc_status status = NULL;
  const uint8_t rgb[3] = {10, 20, 30};
  int32_t ids[8];
  char text[16];
  size_t n = 0;

  CHECK(strlen(vlmc_version()) > 0);
  CHECK(vlmc_status_code(status) == VLMC_OK);
  CHECK(strcmp(vlmc_status_message(status), "") == 0);
  CHECK(strcmp(vlmc_code_name(VLMC_ERR_UNAVAILABLE), "UNAVAILABLE") == 0);
  CHECK(strcmp(vlmc_code_name((vlmc_code)99), "UNKNOWN") == 0);
  CHECK(model_params.device == VLMC_DEVICE_AUTO && model_params.max_context > 0);
  CHECK(sampling.temperature == 0.0f && sampling.seed == -1 && sampling.max_tokens > 0);
  sampling.stop = stops;
  sampling.n_stop = 1;

  model_params.device = device;
  CHECK(is(vlmc_model_load(NULL, &model_params, &model), invalid));
  CHECK(is(vlmc_model_load("/nonexistent.vlmc", NULL, &model), VLMC_ERR_NOT_FOUND));
  model_params.device = VLMC_DEVICE_CUDA;
  CHECK(is(vlmc_model_load("/nonexistent.vlmc", &model_params, &model), VLMC_ERR_NOT_FOUND));
  model_params.device = (vlmc_device)7; /* any int is a valid C enum value */
  CHECK(is(vlmc_model_load("/nonexistent.vlmc", &model_params, &model), invalid));
  model_params.device = VLMC_DEVICE_CUDA;
  model_params.max_context = 0;
  CHECK(is(vlmc_model_load("/nonexistent.vlmc", &model_params, &model), invalid));
  CHECK(model == NULL);
  CHECK(strcmp(vlmc_model_family(model), "") == 0);
  CHECK(strcmp(vlmc_model_type(model), "") == 0);
  CHECK(vlmc_model_has_vision(model) == 0);
  CHECK(vlmc_model_vocab_size(model) == 0);
  CHECK(vlmc_model_quantizes_activations(model) == 0);

  CHECK(is(vlmc_tokenize(model, "hi", 1, ids, 8, &n), invalid));
  CHECK(is(vlmc_detokenize(model, ids, 0, 1, text, sizeof text, &n), invalid));
  CHECK(is(vlmc_token_to_piece(model, 0, text, sizeof text, &n), invalid));

  CHECK(is(vlmc_image_from_rgb8(0, 1, rgb, &image), invalid));
  CHECK(is(vlmc_image_from_rgb8(1, 1, NULL, &image), invalid));
  CHECK(is(vlmc_image_load_file("/nonexistent.png", &image), VLMC_ERR_NOT_FOUND));
  CHECK(is(vlmc_image_decode("xx", 2, &image), invalid));
  CHECK(is(vlmc_image_from_rgb8(1, 1, rgb, &image), VLMC_OK));
  CHECK(vlmc_image_width(image) == 1 && vlmc_image_height(image) == 1);
  images[0] = image;

  CHECK(is(vlmc_session_create(model, &session), invalid));
  CHECK(is(vlmc_session_reset(session), invalid));
  CHECK(is(vlmc_generate(session, "Describe this image.", NULL, images, 1, &sampling, callback,
                         NULL, &result),
           invalid));
  CHECK(result == NULL);
  CHECK(strcmp(vlmc_result_text(result, &n), "") == 0 && n == 0);
  CHECK(vlmc_result_generated_ids(result, &n) == NULL && n == 0);
  CHECK(vlmc_result_prompt_ids(result, &n) == NULL && n == 0);
  finish = vlmc_result_finish_reason(result);
  CHECK(finish == VLMC_FINISH_STOP && VLMC_FINISH_LENGTH != VLMC_FINISH_CALLBACK);
  stats = vlmc_result_stats(result);
  CHECK(stats.prompt_tokens == 0 && stats.generated_tokens == 0 && stats.prompt_tps == 0.0 &&
        stats.generation_tps == 0.0 && stats.time_to_first_token == 0.0 &&
        stats.peak_memory_bytes == 0);

  vlmc_result_free(result);
  vlmc_session_free(session);
  vlmc_image_free(image);
  vlmc_model_free(model);
  if (failures == 0)
    printf("vlmc C API: all checks passed\n");
  return failures == 0 ? 0 : 1;
}
