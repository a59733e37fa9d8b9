// The structs behind the C API's opaque handles, and the boundary every entry
// point goes through: C++ Status in, vlmc_status out, no exception escaping.
#pragma once

#include "vlmc/vlmc.h"

#include "vlmc/exec/Model.h"
#include "vlmc/generate/Generator.h"
#include "vlmc/image/Image.h"
#include "vlmc/support/Status.h"
#include "vlmc/tokenizer/Tokenizer.h"

#include <memory>
#include <new>
#include <optional>
#include <string>

struct vlmc_status_s {
  vlmc_code code;
  std::string message;
};

struct vlmc_model_s {
  // Shared with every session's Generator, so the weights outlive this handle
  // for as long as a session uses them.
  std::shared_ptr<vlmc::exec::Model> model;
  // For vlmc_tokenize and friends; the Generators parse their own copy.
  std::optional<vlmc::tokenizer::Tokenizer> tokenizer;
  vlmc::exec::SessionOptions sessionOptions;
};

struct vlmc_image_s {
  vlmc::image::RgbImage rgb;
};

struct vlmc_session_s {
  std::unique_ptr<vlmc::generate::Generator> generator;
};

struct vlmc_result_s {
  vlmc::generate::GenerateResult result;
  vlmc_finish_reason finish = VLMC_FINISH_LENGTH;
};

namespace vlmc::api {

// A heap status for `status`, NULL when it is OK. Never throws: when even the
// status cannot be allocated it returns a static "out of memory" one (which
// vlmc_status_free knows not to delete).
vlmc_status toC(const Status &status) noexcept;
vlmc_status outOfMemory() noexcept;

// "<function>: <what> is NULL".
Status nullArgument(const char *function, const char *what);

// An internal-error status naming the exception; noexcept like toC.
vlmc_status unexpected(const char *function, const char *what) noexcept;

// Runs `body(function)` (returning a vlmc::Status) and converts its outcome;
// the name is passed in because __func__ inside a lambda is "operator()". Every
// exception, std::bad_alloc included, becomes a status here: none may cross
// into C.
template <typename F> vlmc_status guard(const char *function, F &&body) noexcept {
  try {
    return toC(body(function));
  } catch (const std::bad_alloc &) {
    return outOfMemory();
  } catch (const std::exception &e) {
    return unexpected(function, e.what());
  } catch (...) {
    return unexpected(function, "not a std::exception");
  }
}

// Copies `text` and a NUL into a caller's buffer with the two-call sizing
// rules of vlmc.h (*nOut: the length without the NUL).
Status copyOut(const char *function, const std::string &text, char *out, size_t capacity,
               size_t *nOut);

} // namespace vlmc::api
