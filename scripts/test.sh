#!/usr/bin/env bash
# The whole test suite: install what is missing, build, then
#   1. ctest in build/ (GoogleTest suites + the lit suite),
#   2. a runtime-only build with MLIR hidden, under AddressSanitizer and
#      UBSan, with its unit tests: proves the runtime neither needs nor links
#      LLVM/MLIR and that the parsers of untrusted bytes are memory-safe.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh

echo "== ctest (unit + lit) =="
ctest --test-dir build --output-on-failure -j "$(nproc)"

echo "== runtime-only build, MLIR hidden, ASan+UBSan =="
scripts/check-runtime-layering.sh
