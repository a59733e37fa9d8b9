// vlmc_status, the version, and the boundary helpers of Handles.h.
#include "Handles.h"

namespace vlmc::api {

namespace {

// Returned when not even a status can be allocated. Its message fits the
// small-string buffer, so building it at start-up allocates nothing.
vlmc_status_s gOutOfMemory{VLMC_ERR_RESOURCE_EXHAUSTED, "out of memory"};

// The C codes are the C++ ones, so converting is a cast.
static_assert(int(VLMC_ERR_INVALID_ARGUMENT) == int(StatusCode::kInvalidArgument));
static_assert(int(VLMC_ERR_NOT_FOUND) == int(StatusCode::kNotFound));
static_assert(int(VLMC_ERR_OUT_OF_RANGE) == int(StatusCode::kOutOfRange));
static_assert(int(VLMC_ERR_DATA_LOSS) == int(StatusCode::kDataLoss));
static_assert(int(VLMC_ERR_UNIMPLEMENTED) == int(StatusCode::kUnimplemented));
static_assert(int(VLMC_ERR_UNAVAILABLE) == int(StatusCode::kUnavailable));
static_assert(int(VLMC_ERR_RESOURCE_EXHAUSTED) == int(StatusCode::kResourceExhausted));
static_assert(int(VLMC_ERR_INTERNAL) == int(StatusCode::kInternal));

} // namespace

vlmc_status outOfMemory() noexcept { return &gOutOfMemory; }

vlmc_status toC(const Status &status) noexcept {
  if (status.isOk())
    return nullptr;
  try {
    return new vlmc_status_s{vlmc_code(status.code()), status.message()};
  } catch (...) {
    return outOfMemory();
  }
}

vlmc_status unexpected(const char *function, const char *what) noexcept {
  try {
    return toC(Status(StatusCode::kInternal,
                      std::string(function) + ": unexpected exception: " + what));
  } catch (...) {
    return outOfMemory();
  }
}

Status nullArgument(const char *function, const char *what) {
  return invalidArgument(std::string(function) + ": " + what + " is NULL");
}

Status copyOut(const char *function, const std::string &text, char *out, size_t capacity,
               size_t *nOut) {
  *nOut = text.size();
  if (!out) {
    if (capacity != 0)
      return nullArgument(function, "out (with a nonzero capacity)");
    return Status::ok(); // the sizing call
  }
  if (capacity < text.size() + 1)
    return outOfRange(std::string(function) + ": the buffer holds " + std::to_string(capacity) +
                      " bytes but the text needs " + std::to_string(text.size() + 1) +
                      " (with its NUL)");
  text.copy(out, text.size());
  out[text.size()] = '\0';
  return Status::ok();
}

} // namespace vlmc::api

extern "C" {

vlmc_code vlmc_status_code(vlmc_status status) { return status ? status->code : VLMC_OK; }

const char *vlmc_status_message(vlmc_status status) {
  return status ? status->message.c_str() : "";
}

void vlmc_status_free(vlmc_status status) {
  if (status != vlmc::api::outOfMemory())
    delete status;
}

const char *vlmc_code_name(vlmc_code code) {
  switch (code) {
  case VLMC_OK: return "OK";
  case VLMC_ERR_INVALID_ARGUMENT: return "INVALID_ARGUMENT";
  case VLMC_ERR_NOT_FOUND: return "NOT_FOUND";
  case VLMC_ERR_OUT_OF_RANGE: return "OUT_OF_RANGE";
  case VLMC_ERR_DATA_LOSS: return "DATA_LOSS";
  case VLMC_ERR_UNIMPLEMENTED: return "UNIMPLEMENTED";
  case VLMC_ERR_UNAVAILABLE: return "UNAVAILABLE";
  case VLMC_ERR_RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
  case VLMC_ERR_INTERNAL: return "INTERNAL";
  default: return "UNKNOWN";
  }
}

// VLMC_VERSION comes from the project() version (runtime/src/api/CMakeLists.txt).
const char *vlmc_version(void) { return VLMC_VERSION; }

} // extern "C"
