/* Embedding vlmc from C: load an artifact, generate from a prompt and images,
 * stream the tokens to stdout.
 *
 *   vlmc-embed-c MODEL.vlmc PROMPT [IMAGE...]
 *
 * Build against libvlmc.so (CMake target vlmc_shared) or the static
 * vlmc_runtime, with runtime/include on the include path. */
#include <vlmc/vlmc.h>

#include <stdio.h>

/* Prints the generated text as it arrives. */
static int print_piece(int32_t token, const char *piece, size_t piece_len, void *user_data) {
  (void)token;
  (void)user_data;
  fwrite(piece, 1, piece_len, stdout);
  fflush(stdout);
  return 0; /* nonzero would stop generation here */
}

/* Reports and frees a failed status; returns 1 when there was one. */
static int failed(vlmc_status status, const char *what) {
  if (!status)
    return 0;
  fprintf(stderr, "vlmc-embed-c: %s: %s: %s\n", what, vlmc_code_name(vlmc_status_code(status)),
          vlmc_status_message(status));
  vlmc_status_free(status);
  return 1;
}

int main(int argc, char **argv) {
  enum { kMaxImages = 8 };
  vlmc_model *model = NULL;
  vlmc_session *session = NULL;
  vlmc_image *images[kMaxImages];
  size_t n_images = 0;
  vlmc_result *result = NULL;
  vlmc_model_params params = vlmc_model_params_default();
  vlmc_sampling_params sampling = vlmc_sampling_params_default();
  vlmc_generation_stats stats;
  int rc = 1;
  int i;

  if (argc < 3 || argc - 3 > kMaxImages) {
    fprintf(stderr, "usage: %s MODEL.vlmc PROMPT [IMAGE...] (at most %d images)\n", argv[0],
            kMaxImages);
    return 2;
  }
  params.device = VLMC_DEVICE_AUTO;
  if (failed(vlmc_model_load(argv[1], &params, &model), "loading the model"))
    goto done;
  fprintf(stderr, "vlmc %s: %s model (%s)%s\n", vlmc_version(), vlmc_model_family(model),
          vlmc_model_type(model), vlmc_model_has_vision(model) ? ", takes images" : "");
  for (i = 3; i < argc; ++i) {
    if (failed(vlmc_image_load_file(argv[i], &images[n_images]), argv[i]))
      goto done;
    ++n_images;
  }
  /* One session per thread; several can share the model. */
  if (failed(vlmc_session_create(model, &session), "creating a session"))
    goto done;

  sampling.max_tokens = 64; /* temperature 0: greedy, reproducible */
  if (failed(vlmc_generate(session, argv[2], NULL, images, n_images, &sampling, print_piece,
                           NULL, &result),
             "generating"))
    goto done;
  stats = vlmc_result_stats(result);
  fprintf(stderr, "\n==========\nPrompt: %lld tokens, %.1f tokens-per-sec\n"
                  "Generation: %lld tokens, %.1f tokens-per-sec\n",
          (long long)stats.prompt_tokens, stats.prompt_tps, (long long)stats.generated_tokens,
          stats.generation_tps);
  printf("\n");
  rc = 0;

done:
  vlmc_result_free(result);
  vlmc_session_free(session);
  while (n_images > 0)
    vlmc_image_free(images[--n_images]);
  vlmc_model_free(model);
  return rc;
}
