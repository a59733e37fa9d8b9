// _vlmc: the C++ half of the vlmc Python package. The package (vlmc/*.py)
// holds the MLX-VLM-shaped API; this module only exposes the runtime's
// objects, with the GIL released wherever the runtime does real work.
#include "Binding.h"

#include "compiler/driver/ModelCache.h"
#include "vlmc/artifact/Artifact.h"

#include <Python.h>

#include <optional>
#include <string>

namespace vlmc::python {

void throwStatus(const Status &status) {
  PyObject *type = PyExc_RuntimeError;
  switch (status.code()) {
  case StatusCode::kInvalidArgument:
  case StatusCode::kOutOfRange:
  case StatusCode::kDataLoss:
    type = PyExc_ValueError;
    break;
  case StatusCode::kNotFound:
    type = PyExc_FileNotFoundError;
    break;
  case StatusCode::kUnimplemented:
    type = PyExc_NotImplementedError;
    break;
  default:
    break;
  }
  // The message as the runtime wrote it: tests and users match on it, and it
  // already names the file, tensor or option involved.
  PyErr_SetString(type, status.message().c_str());
  throw py::error_already_set();
}

py::str toPyStr(std::string_view text) {
  PyObject *s = PyUnicode_DecodeUTF8(text.data(), Py_ssize_t(text.size()), "replace");
  if (!s)
    throw py::error_already_set();
  return py::reinterpret_steal<py::str>(s);
}

namespace {

// A file embedded in an artifact (config.json, tokenizer.json, ...), read
// without loading the model: vlmc.load_config on a .vlmc file.
py::object artifactFile(const std::string &path, const std::string &name) {
  Result<std::optional<std::string>> data = internalError("unreachable");
  {
    py::gil_scoped_release release;
    Result<artifact::Artifact> a = artifact::Artifact::open(path);
    if (a) {
      std::optional<std::string_view> file = a->embeddedFile(name);
      data = file ? std::optional<std::string>(std::string(*file)) : std::nullopt;
    } else {
      data = a.status();
    }
  }
  std::optional<std::string> file = unwrap(std::move(data));
  if (!file)
    return py::none();
  return py::bytes(*file);
}

} // namespace

} // namespace vlmc::python

PYBIND11_MODULE(_vlmc, m) {
  namespace py = pybind11;
  namespace vp = vlmc::python;
  m.doc() = "vlmc runtime bindings (use the vlmc package, not this module)";
  m.attr("HAVE_COMPILER") = vlmc::compiler::cacheCanCompile();
  m.def("artifact_cache_dir", &vlmc::compiler::artifactCacheDir,
        "Where compiled checkpoint directories are cached ($VLMC_CACHE_DIR/artifacts, "
        "else $XDG_CACHE_HOME/vlmc/artifacts, else ~/.cache/vlmc/artifacts).");
  m.attr("__version__") = VLMC_VERSION;
  m.def("artifact_file", &vp::artifactFile, py::arg("path"), py::arg("name"),
        "A file embedded in a .vlmc artifact as bytes, or None when it has none.");
  vp::registerModel(m);
  vp::registerProcessor(m);
  vp::registerConvert(m);
}
