# Dependencies shared by the runtime and the compiler. Nothing here may pull in LLVM/MLIR.
find_package(Threads REQUIRED)
find_package(nlohmann_json 3 REQUIRED CONFIG)

# The runtime needs the CUDA toolkit's headers only; libcuda and libnvrtc are
# loaded at run time so binaries start on machines without a GPU or driver.
set(VLMC_CUDA_ROOT "/usr/local/cuda" CACHE PATH "CUDA toolkit root (headers + NVRTC)")
if(NOT EXISTS "${VLMC_CUDA_ROOT}/include/cuda.h")
  message(FATAL_ERROR
    "CUDA toolkit headers not found: ${VLMC_CUDA_ROOT}/include/cuda.h does not exist.\n"
    "Install the CUDA 13 toolkit or pass -DVLMC_CUDA_ROOT=/path/to/cuda.")
endif()
set(VLMC_CUDA_INCLUDE_DIR "${VLMC_CUDA_ROOT}/include")

if(VLMC_BUILD_TESTS)
  find_package(GTest REQUIRED CONFIG)
  include(GoogleTest)
endif()
if(VLMC_BUILD_BENCHMARKS)
  find_package(benchmark REQUIRED CONFIG)
endif()

# Tools use CLI11 (header-only).
find_path(VLMC_CLI11_INCLUDE_DIR CLI/CLI.hpp REQUIRED)
add_library(vlmc_cli11 INTERFACE)
target_include_directories(vlmc_cli11 SYSTEM INTERFACE ${VLMC_CLI11_INCLUDE_DIR})
