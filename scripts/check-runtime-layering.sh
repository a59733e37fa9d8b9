#!/usr/bin/env bash
# The runtime must build and pass its tests with no LLVM/MLIR available.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${VLMC_RUNTIME_BUILD_DIR:-build-runtime-asan}

if grep -rnE '#include\s*[<"](mlir|llvm)/' runtime tools/vlm-convert 2>/dev/null; then
  echo "error: runtime code includes LLVM/MLIR headers (above)" >&2
  exit 1
fi

sanitize="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
cmake -G Ninja -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DVLMC_BUILD_COMPILER=OFF -DVLMC_BUILD_BENCHMARKS=OFF \
  -DCMAKE_DISABLE_FIND_PACKAGE_MLIR=ON -DCMAKE_DISABLE_FIND_PACKAGE_LLVM=ON \
  -DMLIR_DIR=/nonexistent -DLLVM_DIR=/nonexistent \
  -DCMAKE_CXX_FLAGS="$sanitize" -DCMAKE_EXE_LINKER_FLAGS="$sanitize" >/dev/null
cmake --build "$build_dir" -j "${VLMC_JOBS:-$(nproc)}"

for exe in "$build_dir"/bin/*; do
  if ldd "$exe" 2>/dev/null | grep -qiE 'libLLVM|libMLIR'; then
    echo "error: $exe links LLVM/MLIR" >&2
    exit 1
  fi
done
ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)" -L unit
