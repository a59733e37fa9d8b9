#!/usr/bin/env bash
# Installs the Debian packages vlmc builds and tests with, skipping what is
# already present. The CUDA 13 toolkit is not a Debian package: it must already
# be at /usr/local/cuda (or VLMC_CUDA_ROOT).
set -euo pipefail

packages=(
  cmake ninja-build ccache g++ python3
  libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools
  libflatbuffers-dev flatbuffers-compiler
  libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libcli11-dev
  libpcre2-dev libutf8proc-dev libpng-dev libjpeg-dev
  # The Python module (runtime/python) and its tests, for /usr/bin/python3.
  python3-dev pybind11-dev python3-pybind11 python3-pytest
)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]})); then
  echo "vlmc: installing ${missing[*]}" >&2
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || {
      echo "vlmc: need root (or sudo) to install: ${missing[*]}" >&2
      exit 1
    }
    sudo_cmd=(sudo)
  fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

cuda_root=${VLMC_CUDA_ROOT:-/usr/local/cuda}
if [[ ! -f $cuda_root/include/cuda.h ]]; then
  echo "vlmc: the CUDA 13 toolkit was not found at $cuda_root (need its headers and NVRTC)." >&2
  echo "      Install it, or set VLMC_CUDA_ROOT to where it lives." >&2
  exit 1
fi
