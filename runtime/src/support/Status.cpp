#include "vlmc/support/Status.h"

namespace vlmc {

const char *statusCodeName(StatusCode code) {
  switch (code) {
  case StatusCode::kOk: return "ok";
  case StatusCode::kInvalidArgument: return "invalid argument";
  case StatusCode::kNotFound: return "not found";
  case StatusCode::kOutOfRange: return "out of range";
  case StatusCode::kDataLoss: return "data loss";
  case StatusCode::kUnimplemented: return "unimplemented";
  case StatusCode::kUnavailable: return "unavailable";
  case StatusCode::kResourceExhausted: return "resource exhausted";
  case StatusCode::kInternal: return "internal error";
  }
  return "unknown";
}

} // namespace vlmc
