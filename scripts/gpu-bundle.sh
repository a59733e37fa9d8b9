#!/usr/bin/env bash
# Builds what scripts/gpu-check.sh runs on the GPU machine, on this machine
# (which has the compiler but no GPU): the runtime-side binaries (none link
# LLVM/MLIR: checked) and the fixtures' artifacts compiled for --target cuda,
# plus the CPU twins of the quantized ones. Output: gpu-bundle/ (git-ignored),
# to be carried to the device together with the repository. The device takes
# at most 64 MiB per call (repository included), so the artifacts come in
# sets: `gpu-bundle.sh float` (bf16 models vs transformers) or
# `gpu-bundle.sh quant` (quantized and -qa models vs the CPU backend).
set_name=${1:-float}
set -euo pipefail
cd "$(dirname "$0")/.."
build=${VLMC_BUILD_DIR:-build}
out=gpu-bundle
rm -rf "$out" && mkdir -p "$out/bin" "$out/artifacts"
cmake --build "$build" --target vlmc_exec_tests vlmc_cuda_tests vlmc-kernel-check vlm-bench vlm-compile >/dev/null
for exe in vlmc_exec_tests vlmc_cuda_tests vlmc-kernel-check vlm-bench; do
  if ldd "$build/bin/$exe" | grep -qiE 'libLLVM|libMLIR'; then
    echo "error: $exe links LLVM/MLIR and would not run on the GPU machine" >&2
    exit 1
  fi
  strip -o "$out/bin/$exe" "$build/bin/$exe"
done

compile() { "$build/bin/vlm-compile" --emit artifact "$@"; }
# qwen2_5vl-tiny is left out until its window gather (an embedding over a
# dynamic table) has a CUDA kernel; smolvlm-tiny (49k vocabulary, 17 MB in
# bf16) when the size limit allows.
if [[ $set_name == float ]]; then
  for model in qwen2vl-tiny tinystories-656k ${VLMC_GPU_EXTRA_MODELS:-}; do
    compile --model test/data/$model --target cuda -o "$out/artifacts/$model.cuda.vlmc"
  done
  du -sh "$out"
  exit 0
fi
# -qa is also compiled with f32 compute (the "-f32" twins): bf16 activations
# legitimately move 4-bit activation codes, so the exact comparison with the
# CPU backend (f32) is made at f32.
for spec in "affine4:-q" "nvfp4-qa:-q --q-mode nvfp4 -qa" "mxfp8-qa:-q --q-mode mxfp8 -qa" \
            "nvfp4-qa-f32:-q --q-mode nvfp4 -qa --compute-type f32" \
            "mxfp8-qa-f32:-q --q-mode mxfp8 -qa --compute-type f32"; do
  name=${spec%%:*}; flags=${spec#*:}
  for model in qwen2vl-tiny tinystories-656k; do
    # shellcheck disable=SC2086
    compile --model test/data/$model $flags --target cuda -o "$out/artifacts/$model.$name.cuda.vlmc"
    # shellcheck disable=SC2086
    compile --model test/data/$model $flags --target cpu -o "$out/artifacts/$model.$name.cpu.vlmc"
  done
done
du -sh "$out"
