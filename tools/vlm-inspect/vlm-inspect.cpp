// vlm-inspect: print what a compiled .vlmc artifact contains.
#include "Summary.h"

#include <CLI/CLI.hpp>

#include <iostream>

int main(int argc, char **argv) {
  CLI::App app{
      "vlm-inspect: print what a compiled .vlmc artifact contains.\n\n"
      "The artifact is fully verified first (header, flatbuffer, tensor "
      "ranges, programs), exactly as the runtime does before loading it. The "
      "report lists the header (magic, format version, segment sizes and "
      "offsets), the model (family, model type, target, whether it was "
      "compiled with -qa, compiler version), the embedded files, every tensor "
      "(dtype, shape, quantization mode/bits/group size, bytes) with the "
      "total, each function (inputs with names and shapes, outputs, number of "
      "ops, op histogram) and the CUDA kernels with the archs of their "
      "precompiled cubins (vlm-compile --cuda-arch). --json prints the same as one "
      "JSON object.\n\n"
      "Exit status: 0 on success, 1 when the file cannot be read or is not a "
      "valid artifact (one 'vlm-inspect: error:' line on stderr).",
      "vlm-inspect"};
  std::string path;
  bool json = false;
  app.add_option("file", path, "The .vlmc artifact")->required();
  app.add_flag("--json", json, "Print one JSON object instead of the report");
  CLI11_PARSE(app, argc, argv);

  auto artifact = vlmc::artifact::Artifact::open(
      path, vlmc::artifact::Artifact::SyntheticWeights::kSkip);
  if (!artifact) {
    std::cerr << "vlm-inspect: error: " << artifact.status().message() << "\n";
    return 1;
  }
  try {
    vlmc::inspect::Json summary = vlmc::inspect::summarize(*artifact);
    if (json)
      // One line, like vlm-tokenize --json. Names are not guaranteed to be
      // UTF-8: replace bad bytes rather than throw.
      std::cout << summary.dump(-1, ' ', false,
                                nlohmann::json::error_handler_t::replace)
                << "\n";
    else
      vlmc::inspect::printText(summary, std::cout);
  } catch (const std::exception &e) {
    std::cerr << "vlm-inspect: error: " << path << ": " << e.what() << "\n";
    return 1;
  }
  return std::cout.good() ? 0 : 1;
}
