// vlmc.hpp: header-only C++17 RAII wrappers over the C API (vlmc.h).
//
//   vlmc::Model model = vlmc::Model::load("model.vlmc");
//   vlmc::Session session(model);
//   vlmc::Image image = vlmc::Image::load("cat.png");
//   vlmc::Request request{"Describe this image."};
//   request.images = {&image};
//   vlmc::Generation out = session.generate(request, [](int32_t, std::string_view piece) {
//     std::cout << piece << std::flush;
//   });
//
// Errors are thrown as vlmc::Error (the C API underneath never throws). The
// handles are move-only and free themselves. Thread safety is the C API's: a
// Model may be shared by threads, a Session is used by one thread at a time.
//
// Everything here is inline and talks to the library only through vlmc.h, so
// it works against the static vlmc_runtime and the shared libvlmc.so alike.
#pragma once

#include "vlmc/vlmc.h"

#include <cstdint>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace vlmc {

// A failed C API call: its code and message.
class Error : public std::runtime_error {
public:
  Error(vlmc_code code, const std::string &message)
      : std::runtime_error(message), code_(code) {}
  vlmc_code code() const noexcept { return code_; }

private:
  vlmc_code code_;
};

namespace detail {

// Throws the status as an Error (after freeing it); no-op on success.
inline void check(vlmc_status status) {
  if (!status)
    return;
  vlmc_code code = vlmc_status_code(status);
  std::string message = vlmc_status_message(status);
  vlmc_status_free(status);
  throw Error(code, message);
}

// A move-only owner of a C handle, freed with Free.
template <typename T, void (*Free)(T *)> class Handle {
public:
  Handle() = default;
  explicit Handle(T *handle) : handle_(handle) {}
  Handle(Handle &&other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  Handle &operator=(Handle &&other) noexcept {
    if (this != &other) {
      Free(handle_);
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  Handle(const Handle &) = delete;
  Handle &operator=(const Handle &) = delete;
  ~Handle() { Free(handle_); }

  T *get() const noexcept { return handle_; }
  explicit operator bool() const noexcept { return handle_ != nullptr; }

private:
  T *handle_ = nullptr;
};

// Runs a two-call sizing function `fill(buffer, capacity, &n)` into a string.
template <typename F> std::string sizedString(F &&fill) {
  size_t n = 0;
  check(fill(nullptr, 0, &n));
  std::string text(n, '\0');
  check(fill(&text[0], n + 1, &n)); // the NUL lands on std::string's own terminator
  return text;
}

} // namespace detail

inline std::string version() { return vlmc_version(); }

class Image {
public:
  // Copies width * height * 3 bytes of row-major RGB.
  static Image fromRgb8(int32_t width, int32_t height, const uint8_t *rgb) {
    vlmc_image *image = nullptr;
    detail::check(vlmc_image_from_rgb8(width, height, rgb, &image));
    return Image(image);
  }
  // Decodes a PNG or JPEG file.
  static Image load(const std::string &path) {
    vlmc_image *image = nullptr;
    detail::check(vlmc_image_load_file(path.c_str(), &image));
    return Image(image);
  }
  // Decodes PNG or JPEG bytes.
  static Image decode(const void *data, size_t size) {
    vlmc_image *image = nullptr;
    detail::check(vlmc_image_decode(data, size, &image));
    return Image(image);
  }

  int32_t width() const { return vlmc_image_width(handle_.get()); }
  int32_t height() const { return vlmc_image_height(handle_.get()); }
  vlmc_image *get() const noexcept { return handle_.get(); }

private:
  explicit Image(vlmc_image *image) : handle_(image) {}
  detail::Handle<vlmc_image, vlmc_image_free> handle_;
};

class Model {
public:
  static vlmc_model_params defaultParams() { return vlmc_model_params_default(); }
  static Model load(const std::string &path, const vlmc_model_params &params = defaultParams()) {
    vlmc_model *model = nullptr;
    detail::check(vlmc_model_load(path.c_str(), &params, &model));
    return Model(model);
  }

  std::string family() const { return vlmc_model_family(get()); }
  std::string modelType() const { return vlmc_model_type(get()); }
  bool hasVision() const { return vlmc_model_has_vision(get()) != 0; }
  int64_t vocabSize() const { return vlmc_model_vocab_size(get()); }
  bool quantizesActivations() const { return vlmc_model_quantizes_activations(get()) != 0; }

  std::vector<int32_t> tokenize(const std::string &text, bool addSpecial = false) const {
    size_t n = 0;
    detail::check(vlmc_tokenize(get(), text.c_str(), addSpecial, nullptr, 0, &n));
    std::vector<int32_t> ids(n);
    detail::check(vlmc_tokenize(get(), text.c_str(), addSpecial, ids.data(), ids.size(), &n));
    return ids;
  }
  std::string detokenize(const std::vector<int32_t> &ids, bool skipSpecial = false) const {
    return detail::sizedString([&](char *out, size_t capacity, size_t *n) {
      return vlmc_detokenize(get(), ids.data(), ids.size(), skipSpecial, out, capacity, n);
    });
  }
  // The vocabulary entry of `token` (see vlmc_token_to_piece).
  std::string tokenToPiece(int32_t token) const {
    return detail::sizedString([&](char *out, size_t capacity, size_t *n) {
      return vlmc_token_to_piece(get(), token, out, capacity, n);
    });
  }

  vlmc_model *get() const noexcept { return handle_.get(); }

private:
  explicit Model(vlmc_model *model) : handle_(model) {}
  detail::Handle<vlmc_model, vlmc_model_free> handle_;
};

// vlmc_sampling_params with C++ strings; the defaults are the C API's.
struct Sampling {
  float temperature, topP, minP, repetitionPenalty;
  int32_t topK, maxTokens;
  int64_t seed;
  std::vector<std::string> stop;

  Sampling() {
    vlmc_sampling_params d = vlmc_sampling_params_default();
    temperature = d.temperature;
    topP = d.top_p;
    topK = d.top_k;
    minP = d.min_p;
    repetitionPenalty = d.repetition_penalty;
    seed = d.seed;
    maxTokens = d.max_tokens;
  }
};

// What to generate from. Images are borrowed: they must outlive the call.
struct Request {
  std::string prompt;
  std::optional<std::string> system;
  std::vector<const Image *> images;
  Sampling sampling;
};

// A vlmc_result.
class Generation {
public:
  std::string text() const {
    size_t n = 0;
    const char *p = vlmc_result_text(handle_.get(), &n);
    return std::string(p, n);
  }
  std::vector<int32_t> generatedIds() const { return ids(vlmc_result_generated_ids); }
  std::vector<int32_t> promptIds() const { return ids(vlmc_result_prompt_ids); }
  vlmc_finish_reason finishReason() const { return vlmc_result_finish_reason(handle_.get()); }
  vlmc_generation_stats stats() const { return vlmc_result_stats(handle_.get()); }
  vlmc_result *get() const noexcept { return handle_.get(); }

private:
  friend class Session;
  explicit Generation(vlmc_result *result) : handle_(result) {}
  std::vector<int32_t> ids(const int32_t *(*accessor)(const vlmc_result *, size_t *)) const {
    size_t n = 0;
    const int32_t *p = accessor(handle_.get(), &n);
    return p ? std::vector<int32_t>(p, p + n) : std::vector<int32_t>();
  }
  detail::Handle<vlmc_result, vlmc_result_free> handle_;
};

class Session {
public:
  explicit Session(const Model &model) {
    vlmc_session *session = nullptr;
    detail::check(vlmc_session_create(model.get(), &session));
    handle_ = detail::Handle<vlmc_session, vlmc_session_free>(session);
  }

  Generation generate(const Request &request) { return run(request, nullptr, nullptr); }

  // `onToken(int32_t token, std::string_view piece)` is called per token; it
  // returns void, or bool: false stops generation. An exception it throws
  // stops generation and is rethrown from here.
  template <typename F> Generation generate(const Request &request, F &&onToken) {
    using Fn = std::remove_reference_t<F>;
    struct State {
      Fn *fn;
      std::exception_ptr error;
    } state{&onToken, nullptr};
    // Exceptions must not unwind through the C library, so the trampoline
    // parks them and stops; they are rethrown once vlmc_generate returns.
    vlmc_token_callback trampoline = [](int32_t token, const char *piece, size_t n,
                                        void *user) -> int {
      State &s = *static_cast<State *>(user);
      try {
        if constexpr (std::is_void_v<std::invoke_result_t<Fn &, int32_t, std::string_view>>) {
          (*s.fn)(token, std::string_view(piece, n));
          return 0;
        } else {
          return (*s.fn)(token, std::string_view(piece, n)) ? 0 : 1;
        }
      } catch (...) {
        s.error = std::current_exception();
        return 1;
      }
    };
    Generation result = run(request, trampoline, &state);
    if (state.error)
      std::rethrow_exception(state.error);
    return result;
  }

  void reset() { detail::check(vlmc_session_reset(get())); }
  vlmc_session *get() const noexcept { return handle_.get(); }

private:
  Generation run(const Request &request, vlmc_token_callback callback, void *user) {
    std::vector<const char *> stop;
    for (const std::string &s : request.sampling.stop)
      stop.push_back(s.c_str());
    vlmc_sampling_params p = vlmc_sampling_params_default();
    const Sampling &s = request.sampling;
    p.temperature = s.temperature;
    p.top_p = s.topP;
    p.top_k = s.topK;
    p.min_p = s.minP;
    p.repetition_penalty = s.repetitionPenalty;
    p.seed = s.seed;
    p.max_tokens = s.maxTokens;
    p.stop = stop.data();
    p.n_stop = stop.size();
    std::vector<vlmc_image *> images;
    for (const Image *image : request.images)
      images.push_back(image ? image->get() : nullptr); // NULL is reported by the C API
    vlmc_result *result = nullptr;
    detail::check(vlmc_generate(get(), request.prompt.c_str(),
                                request.system ? request.system->c_str() : nullptr,
                                images.data(), images.size(), &p, callback, user, &result));
    return Generation(result);
  }

  detail::Handle<vlmc_session, vlmc_session_free> handle_;
};

} // namespace vlmc
