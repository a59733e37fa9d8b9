// Shared by the _vlmc extension's translation units: how a runtime Status
// becomes a Python exception, and the registration functions Module.cpp calls.
#pragma once

#include "vlmc/support/Status.h"

#include <pybind11/pybind11.h>

#include <string_view>
#include <utility>

namespace vlmc::python {

namespace py = pybind11;

// Raises the Python exception for a failed Status with the runtime's message:
// ValueError for bad arguments or input (kInvalidArgument, kOutOfRange, and
// kDataLoss: a corrupt image, checkpoint or artifact the caller passed),
// FileNotFoundError (kNotFound), NotImplementedError (kUnimplemented),
// RuntimeError otherwise (kUnavailable, kResourceExhausted, kInternal). Needs the GIL: call it after a gil_scoped_release
// scope has ended, never inside one.
[[noreturn]] void throwStatus(const Status &status);

template <typename T> T unwrap(Result<T> result) {
  if (!result)
    throwStatus(result.status());
  return std::move(result).value();
}

inline void check(const Status &status) {
  if (!status.isOk())
    throwStatus(status);
}

// UTF-8 bytes -> str. Invalid sequences become U+FFFD instead of raising: a
// model can emit any bytes, and a stream must not die on one token.
py::str toPyStr(std::string_view text);

void registerModel(py::module_ &m);
void registerProcessor(py::module_ &m);
void registerConvert(py::module_ &m);

} // namespace vlmc::python
