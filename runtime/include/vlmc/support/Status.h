// Status and Result: the runtime's error currency. Nothing in the runtime throws
// across a library boundary; the compiler (built -fno-exceptions) links these
// libraries too, so every fallible function returns one of these instead.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace vlmc {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // bad parameters or malformed input
  kNotFound,         // a file, tensor or key that should exist does not
  kOutOfRange,       // an offset/size outside its container
  kDataLoss,         // corrupt or truncated data
  kUnimplemented,
  kUnavailable,      // a device, driver or library is not present
  kResourceExhausted,
  kInternal,
};

const char *statusCodeName(StatusCode code);

class [[nodiscard]] Status {
public:
  Status() = default;
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static Status ok() { return Status(); }
  bool isOk() const { return code_ == StatusCode::kOk; }
  explicit operator bool() const { return isOk(); }
  StatusCode code() const { return code_; }
  const std::string &message() const { return message_; }
  // Prepends context ("while reading X: ") to a failure; no-op on success.
  Status withContext(const std::string &context) const {
    if (isOk())
      return *this;
    return Status(code_, context + ": " + message_);
  }

private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status invalidArgument(std::string m) {
  return Status(StatusCode::kInvalidArgument, std::move(m));
}
inline Status notFound(std::string m) {
  return Status(StatusCode::kNotFound, std::move(m));
}
inline Status dataLoss(std::string m) {
  return Status(StatusCode::kDataLoss, std::move(m));
}
inline Status outOfRange(std::string m) {
  return Status(StatusCode::kOutOfRange, std::move(m));
}
inline Status unavailable(std::string m) {
  return Status(StatusCode::kUnavailable, std::move(m));
}
inline Status internalError(std::string m) {
  return Status(StatusCode::kInternal, std::move(m));
}

// A value or the Status explaining why there is none.
template <typename T> class [[nodiscard]] Result {
public:
  Result(T value) : value_(std::move(value)) {}
  Result(Status status) : status_(std::move(status)) {
    assert(!status_.isOk() && "a Result built from a Status must be an error");
  }

  bool isOk() const { return value_.has_value(); }
  explicit operator bool() const { return isOk(); }
  const Status &status() const { return status_; }
  T &value() & { return *value_; }
  const T &value() const & { return *value_; }
  T &&value() && { return std::move(*value_); }
  T *operator->() { return &*value_; }
  const T *operator->() const { return &*value_; }
  T &operator*() & { return *value_; }
  const T &operator*() const & { return *value_; }

private:
  std::optional<T> value_;
  Status status_;
};

} // namespace vlmc

// Early-return helpers for functions that return Status or Result<T>.
#define VLMC_RETURN_IF_ERROR(expr)                                             \
  do {                                                                         \
    ::vlmc::Status vlmc_status_ = (expr);                                      \
    if (!vlmc_status_.isOk())                                                  \
      return vlmc_status_;                                                     \
  } while (0)
