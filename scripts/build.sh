#!/usr/bin/env bash
# Configures and builds vlmc (compiler + runtime) into build/ with Ninja.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${VLMC_BUILD_DIR:-build}
cmake -G Ninja -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release \
  -DVLMC_CUDA_ROOT="${VLMC_CUDA_ROOT:-/usr/local/cuda}" >/dev/null
cmake --build "$build_dir" -j "${VLMC_JOBS:-$(nproc)}"
