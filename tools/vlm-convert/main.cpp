// vlm-convert: command-line front end of vlmc::convert::convert().
#include "Convert.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <unistd.h>

int main(int argc, char **argv) {
  vlmc::convert::ConvertOptions opt;
  CLI::App app{"Convert a Hugging Face VLM checkpoint to the MLX-VLM format "
               "(optionally quantized), or dequantize an MLX checkpoint.",
               "vlm-convert"};
  int bits = 0, groupSize = 0;
  app.add_option("--hf-path,--model", opt.hfPath,
                 "Source model directory (HF checkpoint; MLX checkpoint with -d)")
      ->required();
  app.add_option("--mlx-path", opt.mlxPath, "Output directory")
      ->default_val("mlx_model");
  app.add_flag("-q,--quantize", opt.quantize, "Generate a quantized model");
  app.add_option("--q-group-size", groupSize,
                 "Group size (default: the mode's, 64/32/32/16)");
  app.add_option("--q-bits", bits, "Bits per weight (default: the mode's)");
  app.add_option("--q-mode", opt.mode, "Quantization mode")
      ->check(CLI::IsMember({"affine", "mxfp4", "mxfp8", "nvfp4"}))
      ->default_val("affine");
  app.add_option("--quant-predicate", opt.quantPredicate,
                 "Mixed-bit quantization recipe")
      ->check(CLI::IsMember({"mixed_2_6", "mixed_3_4", "mixed_3_5",
                             "mixed_3_6", "mixed_3_8", "mixed_4_6",
                             "mixed_4_8"}));
  app.add_option("--dtype", opt.dtype,
                 "Type to save float parameters in (default: config.json's "
                 "torch_dtype/dtype)")
      ->check(CLI::IsMember({"float16", "bfloat16", "float32"}));
  app.add_flag("--quantize-vision", opt.quantizeVision,
               "Also quantize vision/projector layers (vlmc extension)");
  app.add_flag("--nvfp4-global-scale", opt.nvfp4GlobalScale,
               "nvfp4 with a per-tensor fp32 global scale, stored as "
               "<layer>.global_scale (vlmc extension)");
  app.add_flag("-d,--dequantize", opt.dequantize,
               "Dequantize an MLX quantized model");
  app.add_flag("--force", opt.force, "Replace an existing output directory");
  CLI11_PARSE(app, argc, argv);

  if (bits)
    opt.bits = bits;
  if (groupSize)
    opt.groupSize = groupSize;
  // Progress only on an interactive terminal; logs and pipes stay clean.
  if (::isatty(STDERR_FILENO))
    opt.progress = &std::cerr;

  auto result = vlmc::convert::convert(opt);
  if (!result) {
    std::cerr << "vlm-convert: error: " << result.status().message() << "\n";
    return 1;
  }
  if (!result->notDivisible.empty()) {
    std::cerr << "vlm-convert: note: not quantized (input dim not divisible by "
                 "the group size):";
    for (const auto &l : result->notDivisible)
      std::cerr << " " << l;
    std::cerr << "\n";
  }
  std::cout << "vlm-convert: " << result->line() << "\n";
  return 0;
}
