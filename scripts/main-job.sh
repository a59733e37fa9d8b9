#!/usr/bin/env bash
# The main job on the bundled default: run the activation-quantization pipeline
# (-qa, then the CUDA target check) over a bundled Qwen2-VL-style decoder MLP
# whose layers are nvfp4/mxfp8 quantized, and print the rewritten program.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${VLMC_BUILD_DIR:-build}
"$build_dir/bin/vlm-opt" test/data/examples/decoder-layer-fp4.mlir \
  --pass-pipeline='builtin.module(vlm-activation-quantization-pipeline{target=cuda})'
