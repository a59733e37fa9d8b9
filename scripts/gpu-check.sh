#!/usr/bin/env bash
# Runs on the GPU machine, from gpu-bundle/ (scripts/gpu-bundle.sh): the
# device tests of the CUDA platform layer, every generated kernel against the
# CPU backend, the fixtures end to end on the GPU, compute-sanitizer on a
# fixture run, and a short table at the end. Logs go to $OUT when set.
#   gpu-check.sh [float|quant|smolvlm]...   (the sets gpu-bundle.sh built;
#                                            default float)
# The CUDA platform tests and vlmc-kernel-check run with the float set, or
# with any set when VLMC_GPU_KERNEL_CHECK=1.
set -uo pipefail
cd "$(dirname "$0")/.."
[[ $# -gt 0 ]] || set -- float
sets=" $* "
source scripts/gpu-unpack.sh
bin=gpu-bundle/bin
logs=${OUT:-/tmp/vlmc-gpu-check}
mkdir -p "$logs"
export VLMC_CACHE_DIR=${VLMC_CACHE_DIR:-/tmp/vlmc-cache}
export VLMC_TEST_CUDA_ARTIFACTS=$PWD/gpu-bundle/artifacts
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$logs/gpu.txt"

declare -A result
run() { # name command...
  local name=$1; shift
  echo "== $name"
  if "$@" >"$logs/$name.log" 2>&1; then result[$name]=PASS; else result[$name]="FAIL ($?)"; fi
  tail -n 25 "$logs/$name.log"
}
# The fixtures first, with an empty kernel cache: artifacts built with
# --cuda-arch (gpu-bundle/cuda-arch) must load their embedded cubins and
# JIT-compile nothing.
fixture_cache=$(mktemp -d)
# Float cases end in "_", quantized ones carry the mode after it.
filter=
[[ $sets == *" float "* ]] && filter+='Gpu/*_:'
[[ $sets == *" quant "* ]] && filter+='Gpu/*_?*:'
[[ $sets == *" smolvlm "* ]] && filter+='Gpu/*smolvlm*:'
VLMC_CACHE_DIR=$fixture_cache run gpu-fixtures "$bin/vlmc_exec_tests" --gtest_filter="${filter%:}"
jit=$(find "$fixture_cache" -type f | wc -l)
echo "kernels JIT-compiled during the fixtures: $jit"
if [[ -s gpu-bundle/cuda-arch ]]; then
  if [[ $jit -eq 0 ]]; then result[embedded-cubins]=PASS; else result[embedded-cubins]="FAIL ($jit JIT compiles)"; fi
fi
if [[ $sets == *" float "* || ${VLMC_GPU_KERNEL_CHECK:-0} == 1 ]]; then
  run cuda-device-tests "$bin/vlmc_cuda_tests" --gtest_filter='CudaDevice*'
  run kernel-check "$bin/vlmc-kernel-check" ${VLMC_KERNEL_CHECK_ARGS:-}
fi
if [[ $sets == *" float "* ]] && command -v compute-sanitizer >/dev/null; then
  run memcheck compute-sanitizer --tool memcheck --error-exitcode 9 \
    "$bin/vlmc_exec_tests" --gtest_filter='Gpu/*qwen2vl_tiny_ref_img_chelsea_safetensors_:Gpu/CudaGraphTest*'
  run racecheck compute-sanitizer --tool racecheck --error-exitcode 9 \
    "$bin/vlmc_exec_tests" --gtest_filter='Gpu/*tinystories*_'
  # The sampler leans on shared memory (bitmap, histograms, scans): every
  # spec at a small vocabulary, under racecheck.
  run racecheck-sampler compute-sanitizer --tool racecheck --error-exitcode 9 \
    "$bin/vlmc-kernel-check" --filter 'N=1000 draw=0'
fi
echo
echo "| check | result |"
echo "|---|---|"
for name in cuda-device-tests kernel-check gpu-fixtures embedded-cubins memcheck racecheck \
            racecheck-sampler; do
  [[ -n ${result[$name]:-} ]] && echo "| $name | ${result[$name]} |"
done
