/* vlmc.h: the C API of the vlmc runtime, the one interface embedders use.
 *
 * Load a compiled .vlmc artifact, open sessions on it and generate text from
 * a prompt and images:
 *
 *   vlmc_model *model = NULL;
 *   vlmc_status st = vlmc_model_load("model.vlmc", NULL, &model);
 *   vlmc_session *session = NULL;
 *   if (!st) st = vlmc_session_create(model, &session);
 *   vlmc_result *result = NULL;
 *   if (!st) st = vlmc_generate(session, "Describe this image.", NULL, &image, 1,
 *                               NULL, on_token, user_data, &result);
 *   if (st) { fprintf(stderr, "%s\n", vlmc_status_message(st)); vlmc_status_free(st); }
 *   ... vlmc_result_free(result); vlmc_session_free(session); vlmc_model_free(model);
 *
 * Conventions (those of llama.cpp and IREE):
 *  - Every fallible function returns a vlmc_status: NULL means success, any
 *    other value is an error the caller owns and frees with vlmc_status_free.
 *    Results come back through out-parameters, which are written only on
 *    success (but for the size a too-small buffer would have needed). A
 *    NULL handle or out-parameter gives VLMC_ERR_INVALID_ARGUMENT, never a
 *    crash. No C++ exception ever leaves this API.
 *  - Parameter structs come from *_default() by value; change fields after.
 *  - Strings are NUL-terminated UTF-8. Strings and arrays returned by
 *    accessors belong to the handle they came from and live as long as it.
 *  - Buffers for variable-size output (vlmc_tokenize, vlmc_detokenize,
 *    vlmc_token_to_piece) use two calls: pass out = NULL and capacity = 0 to
 *    learn the size in *n_out, then call again with a buffer that large
 *    (plus one byte for the NUL of text).
 *
 * Thread safety: a vlmc_model is immutable once loaded and may be shared by
 * any number of threads and sessions (tokenizing on it from several threads
 * is fine). A vlmc_session is used by one thread at a time; use one session
 * per thread. Sessions keep the model's weights alive, so a model handle may
 * be freed before its sessions. Images and results are immutable.
 *
 * The header is C99 and C++ clean. <vlmc/vlmc.hpp> wraps it in C++ RAII types.
 */
#ifndef VLMC_VLMC_H
#define VLMC_VLMC_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define VLMC_API __attribute__((visibility("default")))
#else
#define VLMC_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/*===------------------------------------------------------------------===
 * Status
 *===------------------------------------------------------------------===*/

/* Error codes; the values are those of vlmc::StatusCode. */
typedef enum vlmc_code {
  VLMC_OK = 0,
  VLMC_ERR_INVALID_ARGUMENT = 1, /* bad parameters or malformed input */
  VLMC_ERR_NOT_FOUND = 2,        /* a file or an entry that should exist does not */
  VLMC_ERR_OUT_OF_RANGE = 3,     /* a buffer too small, an id outside the vocabulary */
  VLMC_ERR_DATA_LOSS = 4,        /* corrupt or truncated data */
  VLMC_ERR_UNIMPLEMENTED = 5,
  VLMC_ERR_UNAVAILABLE = 6,      /* a device or backend is not present */
  VLMC_ERR_RESOURCE_EXHAUSTED = 7, /* out of memory, or an input over a limit */
  VLMC_ERR_INTERNAL = 8
} vlmc_code;

/* NULL: success. Otherwise an error owned by the caller. */
typedef struct vlmc_status_s *vlmc_status;

/* VLMC_OK for NULL. */
VLMC_API vlmc_code vlmc_status_code(vlmc_status status);
/* "" for NULL. Valid until the status is freed. */
VLMC_API const char *vlmc_status_message(vlmc_status status);
/* NULL is fine. */
VLMC_API void vlmc_status_free(vlmc_status status);
/* "OK", "INVALID_ARGUMENT", ...; a static string. */
VLMC_API const char *vlmc_code_name(vlmc_code code);

/* The runtime's version, "MAJOR.MINOR.PATCH"; a static string. */
VLMC_API const char *vlmc_version(void);

/*===------------------------------------------------------------------===
 * Model
 *===------------------------------------------------------------------===*/

typedef struct vlmc_model_s vlmc_model;

typedef enum vlmc_device {
  VLMC_DEVICE_AUTO = 0, /* where the artifact was compiled for (vlm-compile --target) */
  VLMC_DEVICE_CPU = 1,  /* needs an artifact compiled with --target cpu */
  VLMC_DEVICE_CUDA = 2  /* needs --target cuda, and an NVIDIA driver and GPU */
} vlmc_device;

typedef struct vlmc_model_params {
  vlmc_device device;
  int32_t n_threads;   /* CPU threads of each session; 0: all hardware threads */
  int64_t max_context; /* KV-cache positions of each session (prompt + output) */
} vlmc_model_params;

VLMC_API vlmc_model_params vlmc_model_params_default(void);

/* Loads a compiled .vlmc artifact (vlm-compile writes them; checkpoint
 * directories are compiled by the tools, not loaded here). CPU weights stay in
 * a read-only mapping of the file; CUDA artifacts are uploaded here, once for
 * all sessions (VLMC_ERR_UNAVAILABLE without a driver or GPU). `params` may be
 * NULL for the defaults. */
VLMC_API vlmc_status vlmc_model_load(const char *path, const vlmc_model_params *params,
                                     vlmc_model **out_model);
/* NULL is fine. Sessions created from the model stay usable. */
VLMC_API void vlmc_model_free(vlmc_model *model);

/* Metadata; NULL models give "" / 0. */
/* The architecture family: "qwen2_vl", "qwen2_5_vl", "idefics3" or "llama". */
VLMC_API const char *vlmc_model_family(const vlmc_model *model);
/* config.json's model_type, e.g. "qwen2_vl" or "smolvlm". */
VLMC_API const char *vlmc_model_type(const vlmc_model *model);
/* 1 when the model takes images. */
VLMC_API int vlmc_model_has_vision(const vlmc_model *model);
/* The number of logits per position (ids generation can produce). */
VLMC_API int64_t vlmc_model_vocab_size(const vlmc_model *model);
/* 1 when compiled with activation quantization (vlm-compile -qa). */
VLMC_API int vlmc_model_quantizes_activations(const vlmc_model *model);

/*===------------------------------------------------------------------===
 * Tokenizer (the model's embedded tokenizer.json)
 *===------------------------------------------------------------------===*/

/* Text -> ids. With add_special, the tokenizer's template (e.g. a leading
 * BOS) is applied. *n_out receives the number of ids; when `capacity` is
 * smaller, nothing is written and the call fails with VLMC_ERR_OUT_OF_RANGE,
 * unless out is NULL and capacity 0 (the sizing call), which succeeds. */
VLMC_API vlmc_status vlmc_tokenize(const vlmc_model *model, const char *text, int add_special,
                                   int32_t *out, size_t capacity, size_t *n_out);
/* Ids -> text, NUL-terminated. *n_out receives the length without the NUL;
 * `capacity` must hold the NUL too (same sizing rules as vlmc_tokenize). Ids
 * outside the vocabulary are skipped. `ids` may be NULL when n_ids is 0. */
VLMC_API vlmc_status vlmc_detokenize(const vlmc_model *model, const int32_t *ids, size_t n_ids,
                                     int skip_special, char *out, size_t capacity,
                                     size_t *n_out);
/* The vocabulary entry of one id as spelled in tokenizer.json (e.g. "\xE2\x96\x81time" or
 * "\xC4\xA0time"), NUL-terminated, with the sizing rules of vlmc_detokenize.
 * This is the token's name, not decoded text: use vlmc_detokenize for text.
 * An id outside the vocabulary gives VLMC_ERR_OUT_OF_RANGE. */
VLMC_API vlmc_status vlmc_token_to_piece(const vlmc_model *model, int32_t token, char *out,
                                         size_t capacity, size_t *n_out);

/*===------------------------------------------------------------------===
 * Images: 8-bit RGB, decoded or given as pixels
 *===------------------------------------------------------------------===*/

typedef struct vlmc_image_s vlmc_image;

/* Copies width * height * 3 bytes of row-major RGB (no row padding). */
VLMC_API vlmc_status vlmc_image_from_rgb8(int32_t width, int32_t height, const uint8_t *rgb,
                                          vlmc_image **out_image);
/* Decodes a PNG or JPEG file (EXIF orientation applied, as transformers). */
VLMC_API vlmc_status vlmc_image_load_file(const char *path, vlmc_image **out_image);
/* Decodes PNG or JPEG bytes held in memory. */
VLMC_API vlmc_status vlmc_image_decode(const void *data, size_t size, vlmc_image **out_image);
VLMC_API int32_t vlmc_image_width(const vlmc_image *image);  /* 0 for NULL */
VLMC_API int32_t vlmc_image_height(const vlmc_image *image); /* 0 for NULL */
/* NULL is fine. */
VLMC_API void vlmc_image_free(vlmc_image *image);

/*===------------------------------------------------------------------===
 * Sessions and generation
 *===------------------------------------------------------------------===*/

typedef struct vlmc_session_s vlmc_session;
typedef struct vlmc_result_s vlmc_result;

/* MLX-VLM's sampling knobs. The defaults are greedy decoding. */
typedef struct vlmc_sampling_params {
  float temperature;        /* 0: greedy */
  float top_p;              /* nucleus mass kept, in (0, 1]; 1: off */
  int32_t top_k;            /* 0: off */
  float min_p;              /* drop tokens below min_p * p(top), in [0, 1); 0: off */
  float repetition_penalty; /* > 0 over the last 20 tokens; 0 or 1: off */
  int64_t seed;             /* >= 0: reproducible sampling; -1: random */
  int32_t max_tokens;       /* tokens to generate at most; > 0 */
  const char *const *stop;  /* n_stop strings that end generation when produced */
  size_t n_stop;            /* (they are cut from the result's text) */
} vlmc_sampling_params;

VLMC_API vlmc_sampling_params vlmc_sampling_params_default(void);

/* Why generation ended. */
typedef enum vlmc_finish_reason {
  VLMC_FINISH_STOP = 0,    /* an end-of-sequence token or a stop string */
  VLMC_FINISH_LENGTH = 1,  /* max_tokens, or the context is full */
  VLMC_FINISH_CALLBACK = 2 /* the token callback asked to stop */
} vlmc_finish_reason;

/* Called once per generated token with its id and the text it completes,
 * `piece_len` bytes at `piece` (NUL-terminated; empty while a UTF-8 sequence
 * is incomplete). The pieces concatenate to the result's text: the token that
 * completes a stop string gets only the text before it (a stop string that
 * began in earlier pieces leaves that beginning delivered but cut from the
 * result). Return nonzero to stop (the token is kept). Do not call into the
 * same session from the callback. */
typedef int (*vlmc_token_callback)(int32_t token, const char *piece, size_t piece_len,
                                   void *user_data);

/* A session: a KV cache, threads and scratch over a shared model. */
VLMC_API vlmc_status vlmc_session_create(const vlmc_model *model, vlmc_session **out_session);
/* Forgets the conversation. Every vlmc_generate starts from an empty context
 * today (no KV reuse across calls), so this only checks the handle; call it
 * where a new conversation starts, to stay right when reuse arrives. */
VLMC_API vlmc_status vlmc_session_reset(vlmc_session *session);
/* NULL is fine. */
VLMC_API void vlmc_session_free(vlmc_session *session);

/* Renders `prompt` (with `system` when not NULL, and one image placeholder per
 * image) through the model's chat template, runs the vision encoder on
 * `images`, prefills and samples until a stop condition. A model without a
 * chat template takes the prompt as is (plus its tokenizer's special tokens)
 * and no system prompt. `images` may be NULL when n_images is 0; they are not
 * modified. `sampling` may be NULL for the defaults, `on_token` NULL for no
 * streaming. On success *out_result receives a result to free with
 * vlmc_result_free. */
VLMC_API vlmc_status vlmc_generate(vlmc_session *session, const char *prompt, const char *system,
                                   vlmc_image *const *images, size_t n_images,
                                   const vlmc_sampling_params *sampling,
                                   vlmc_token_callback on_token, void *user_data,
                                   vlmc_result **out_result);

typedef struct vlmc_generation_stats {
  int64_t prompt_tokens;       /* after image placeholders are expanded */
  double prompt_tps;           /* prompt tokens / time to first token */
  int64_t generated_tokens;
  double generation_tps;       /* generated tokens / decode time */
  double time_to_first_token;  /* seconds: images, prefill and the first sample */
  int64_t peak_memory_bytes;   /* peak resident memory of the whole process */
} vlmc_generation_stats;

/* The generated text (stop string cut, special tokens skipped); "" for NULL.
 * `length` (may be NULL) receives its size in bytes. */
VLMC_API const char *vlmc_result_text(const vlmc_result *result, size_t *length);
/* The generated ids (end-of-sequence excluded); *n receives their number. */
VLMC_API const int32_t *vlmc_result_generated_ids(const vlmc_result *result, size_t *n);
/* The prompt's ids after the chat template and image expansion. */
VLMC_API const int32_t *vlmc_result_prompt_ids(const vlmc_result *result, size_t *n);
/* VLMC_FINISH_STOP for NULL. */
VLMC_API vlmc_finish_reason vlmc_result_finish_reason(const vlmc_result *result);
/* All zero for NULL. */
VLMC_API vlmc_generation_stats vlmc_result_stats(const vlmc_result *result);
/* NULL is fine. */
VLMC_API void vlmc_result_free(vlmc_result *result);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* VLMC_VLMC_H */
