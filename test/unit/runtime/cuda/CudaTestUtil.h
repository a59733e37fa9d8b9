// Helpers shared by the vlmc_cuda tests.
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>

namespace vlmc::cuda::test {

// A file next to the test binary (the fake drivers are built there), found
// through /proc/self/exe so a copied build tree still works.
inline std::string besideTestBinary(const std::string &name) {
  std::error_code ec;
  std::filesystem::path exe =
      std::filesystem::read_symlink("/proc/self/exe", ec);
  return (exe.parent_path() / name).string();
}

// A fresh directory under $TMPDIR (or /tmp), removed with its contents.
class TempDir {
public:
  TempDir() {
    const char *base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base && *base ? base : "/tmp") + "/vlmc-cuda-test-XXXXXX";
    if (::mkdtemp(pattern.data()))
      path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty())
      std::filesystem::remove_all(path_, ec);
  }
  const std::string &path() const { return path_; }

private:
  std::string path_;
};

// Sets (or with nullopt unsets) an environment variable for one scope.
class ScopedEnv {
public:
  ScopedEnv(const char *name, std::optional<std::string> value) : name_(name) {
    if (const char *old = std::getenv(name))
      old_ = old;
    if (value)
      ::setenv(name, value->c_str(), 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }

private:
  const char *name_;
  std::optional<std::string> old_;
};

// out[i] = a[i] + b[i] * SCALE, SCALE 1 unless -DSCALE=... says otherwise (so
// specs differing only in options build different cubins).
inline const char *kVectorAddSource = R"(
#ifndef SCALE
#define SCALE 1.0f
#endif
extern "C" __global__ void vector_add(const float *a, const float *b, float *out,
                                      unsigned n) {
  unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n)
    out[i] = a[i] + b[i] * SCALE;
}
)";

// True if `bytes` is an ELF image for the CUDA machine (EM_CUDA = 190).
inline bool isCudaElf(const std::string &bytes) {
  if (bytes.size() < 20 || bytes.compare(0, 4,
                                         "\x7f"
                                         "ELF") != 0)
    return false;
  uint16_t machine =
      static_cast<uint8_t>(bytes[18]) | static_cast<uint8_t>(bytes[19]) << 8;
  return machine == 190;
}

} // namespace vlmc::cuda::test
