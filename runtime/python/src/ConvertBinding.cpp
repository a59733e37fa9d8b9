// _vlmc.convert: vlmc::convert::convert (what vlm-convert runs), with the GIL
// released for the whole conversion.
#include "Binding.h"

#include "Convert.h"

#include <pybind11/stl.h>

namespace vlmc::python {

namespace {

py::dict convertModel(const std::string &hfPath, const std::string &mlxPath, bool quantize,
                      bool dequantize, std::optional<int> bits, std::optional<int> groupSize,
                      const std::string &mode, const std::string &quantPredicate,
                      const std::string &dtype, bool quantizeVision, bool nvfp4GlobalScale,
                      bool force) {
  convert::ConvertOptions o;
  o.hfPath = hfPath;
  o.mlxPath = mlxPath;
  o.quantize = quantize;
  o.dequantize = dequantize;
  o.bits = bits;
  o.groupSize = groupSize;
  o.mode = mode;
  o.quantPredicate = quantPredicate;
  o.dtype = dtype;
  o.quantizeVision = quantizeVision;
  o.nvfp4GlobalScale = nvfp4GlobalScale;
  o.force = force;
  Result<convert::ConvertSummary> summary = internalError("unreachable");
  {
    py::gil_scoped_release release;
    summary = convert::convert(o);
  }
  convert::ConvertSummary s = unwrap(std::move(summary));
  py::dict out;
  out["summary"] = s.line();
  out["quantized_layers"] = py::cast(s.quantizedLayers);
  out["not_divisible"] = py::cast(s.notDivisible);
  out["dequantized_layers"] = s.dequantizedLayers;
  out["tensors_written"] = s.tensorsWritten;
  out["dropped"] = py::cast(s.dropped);
  out["bytes_in"] = s.bytesIn;
  out["bytes_out"] = s.bytesOut;
  out["bits_per_weight"] = s.bitsPerWeight;
  out["seconds"] = s.seconds;
  return out;
}

} // namespace

void registerConvert(py::module_ &m) {
  m.def("convert", &convertModel, py::arg("hf_path"), py::arg("mlx_path"),
        py::arg("quantize") = false, py::arg("dequantize") = false,
        py::arg("q_bits") = py::none(), py::arg("q_group_size") = py::none(),
        py::arg("q_mode") = "affine", py::arg("quant_predicate") = "", py::arg("dtype") = "",
        py::arg("quantize_vision") = false, py::arg("nvfp4_global_scale") = false,
        py::arg("force") = false,
        "Converts an HF checkpoint to the MLX-VLM format (optionally quantized) or "
        "dequantizes an MLX checkpoint, as vlm-convert.");
}

} // namespace vlmc::python
