// vlmc_model_*: loading an artifact, its metadata, and its tokenizer.
#include "Handles.h"

#include <sys/stat.h>

#include <cstring>
#include <type_traits>

using namespace vlmc;
using api::guard;
using api::nullArgument;

namespace {

bool isDirectory(const char *path) {
  struct stat st {};
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

// A C caller may store any int in the enum field, but loading a value outside
// the enum's range is undefined in C++: read the bytes as an integer.
int deviceOf(const vlmc_model_params &p) {
  std::underlying_type_t<vlmc_device> value;
  static_assert(sizeof value == sizeof p.device);
  std::memcpy(&value, &p.device, sizeof value);
  return int(value);
}

Status sessionOptions(const vlmc_model_params &p, exec::SessionOptions &options) {
  switch (deviceOf(p)) {
  case VLMC_DEVICE_AUTO:
  case VLMC_DEVICE_CPU:
  case VLMC_DEVICE_CUDA:
    break;
  default:
    return invalidArgument("vlmc_model_load: unknown device " + std::to_string(deviceOf(p)));
  }
  if (p.n_threads < 0)
    return invalidArgument("vlmc_model_load: n_threads must be >= 0 (0: all hardware "
                           "threads), got " + std::to_string(p.n_threads));
  if (p.max_context <= 0)
    return invalidArgument("vlmc_model_load: max_context must be positive, got " +
                           std::to_string(p.max_context));
  options.numThreads = p.n_threads;
  options.maxContext = p.max_context;
  return Status::ok();
}

const tokenizer::Tokenizer *tokenizerOf(const vlmc_model *model) {
  return model->tokenizer ? &*model->tokenizer : nullptr;
}

Status noTokenizer(const char *function) {
  return notFound(std::string(function) + ": the model embeds no tokenizer.json");
}

} // namespace

extern "C" {

vlmc_model_params vlmc_model_params_default(void) {
  vlmc_model_params p;
  p.device = VLMC_DEVICE_AUTO;
  p.n_threads = 0;
  p.max_context = exec::SessionOptions().maxContext;
  return p;
}

vlmc_status vlmc_model_load(const char *path, const vlmc_model_params *params,
                            vlmc_model **out_model) {
  return guard(__func__, [&](const char *fn) -> Status {
    if (!path)
      return nullArgument(fn, "path");
    if (!out_model)
      return nullArgument(fn, "out_model");
    auto handle = std::make_unique<vlmc_model_s>();
    const vlmc_model_params p = params ? *params : vlmc_model_params_default();
    const int device = deviceOf(p);
    VLMC_RETURN_IF_ERROR(sessionOptions(p, handle->sessionOptions));
    // Compiling a checkpoint needs the compiler (LLVM/MLIR), which the runtime
    // never links; say where to go instead of failing to map a directory.
    if (isDirectory(path))
      return invalidArgument(
          std::string(path) +
          " is a directory: the runtime loads compiled .vlmc artifacts; compile a checkpoint "
          "directory with vlm-compile --emit artifact (vlm-generate also compiles and caches "
          "it)");
    Result<std::shared_ptr<exec::Model>> model = exec::Model::load(path);
    if (!model)
      return model.status();
    // The artifact is compiled for one target, and the session runs it there;
    // a device named explicitly must be that one.
    const std::string &target = (*model)->target();
    if (device != VLMC_DEVICE_AUTO) {
      const char *wanted = device == VLMC_DEVICE_CPU ? "cpu" : "cuda";
      if (target != wanted)
        return invalidArgument(std::string(path) + " was compiled for the '" + target +
                               "' target, not '" + wanted + "': recompile it with vlm-compile "
                               "--target " + wanted + ", or use VLMC_DEVICE_AUTO");
    }
    // Upload the weights and load the kernels now, so that a missing driver or
    // GPU (UNAVAILABLE) shows here, and sessions share one device copy.
    if (target == "cuda") {
      Result<exec::CudaModel *> cuda = (*model)->cudaModel();
      if (!cuda)
        return cuda.status().withContext(path);
    }
    if (std::optional<std::string_view> json = (*model)->file("tokenizer.json")) {
      Result<tokenizer::Tokenizer> tok = tokenizer::Tokenizer::fromJson(
          *json, (*model)->file("tokenizer_config.json").value_or(""));
      if (!tok)
        return tok.status().withContext(std::string(path) + ": tokenizer.json");
      handle->tokenizer.emplace(std::move(*tok));
    }
    handle->model = std::move(*model);
    *out_model = handle.release();
    return Status::ok();
  });
}

void vlmc_model_free(vlmc_model *model) { delete model; }

const char *vlmc_model_family(const vlmc_model *model) {
  return model ? model::familyName(model->model->config().family) : "";
}

const char *vlmc_model_type(const vlmc_model *model) {
  return model ? model->model->config().modelType.c_str() : "";
}

int vlmc_model_has_vision(const vlmc_model *model) {
  return model && model->model->config().vision ? 1 : 0;
}

int64_t vlmc_model_vocab_size(const vlmc_model *model) {
  return model ? model->model->config().text.vocab : 0;
}

int vlmc_model_quantizes_activations(const vlmc_model *model) {
  return model && model->model->quantizeActivations() ? 1 : 0;
}

vlmc_status vlmc_tokenize(const vlmc_model *model, const char *text, int add_special,
                          int32_t *out, size_t capacity, size_t *n_out) {
  return guard(__func__, [&](const char *fn) -> Status {
    if (!model)
      return nullArgument(fn, "model");
    if (!text)
      return nullArgument(fn, "text");
    if (!n_out)
      return nullArgument(fn, "n_out");
    if (!out && capacity != 0)
      return nullArgument(fn, "out (with a nonzero capacity)");
    const tokenizer::Tokenizer *tok = tokenizerOf(model);
    if (!tok)
      return noTokenizer(fn);
    Result<std::vector<tokenizer::TokenId>> ids = tok->encode(text, add_special != 0);
    if (!ids)
      return ids.status();
    *n_out = ids->size();
    if (!out)
      return Status::ok(); // the sizing call
    if (capacity < ids->size())
      return outOfRange(std::string(fn) + ": the buffer holds " +
                        std::to_string(capacity) + " ids but the text has " +
                        std::to_string(ids->size()));
    std::copy(ids->begin(), ids->end(), out);
    return Status::ok();
  });
}

vlmc_status vlmc_detokenize(const vlmc_model *model, const int32_t *ids, size_t n_ids,
                            int skip_special, char *out, size_t capacity, size_t *n_out) {
  return guard(__func__, [&](const char *fn) -> Status {
    if (!model)
      return nullArgument(fn, "model");
    if (!ids && n_ids != 0)
      return nullArgument(fn, "ids (with a nonzero n_ids)");
    if (!n_out)
      return nullArgument(fn, "n_out");
    const tokenizer::Tokenizer *tok = tokenizerOf(model);
    if (!tok)
      return noTokenizer(fn);
    std::vector<tokenizer::TokenId> list(ids, ids + n_ids);
    Result<std::string> text = tok->decode(list, skip_special != 0);
    if (!text)
      return text.status();
    return api::copyOut(fn, *text, out, capacity, n_out);
  });
}

vlmc_status vlmc_token_to_piece(const vlmc_model *model, int32_t token, char *out,
                                size_t capacity, size_t *n_out) {
  return guard(__func__, [&](const char *fn) -> Status {
    if (!model)
      return nullArgument(fn, "model");
    if (!n_out)
      return nullArgument(fn, "n_out");
    const tokenizer::Tokenizer *tok = tokenizerOf(model);
    if (!tok)
      return noTokenizer(fn);
    std::optional<std::string> piece = tok->idToToken(token);
    if (!piece)
      return outOfRange(std::string(fn) + ": " + std::to_string(token) +
                        " is not in the vocabulary");
    return api::copyOut(fn, *piece, out, capacity, n_out);
  });
}

} // extern "C"
