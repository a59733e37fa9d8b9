// A persistent on-disk cache of NVRTC-compiled CUBINs.
//
// Key: SHA-256 over (format version, kernel name, source, NVRTC version,
// arch, every compile option in order -- compileToCubin's base options
// included, so the toolkit include path counts too). Options are hashed in
// the order given, not sorted: order can change meaning (-D/-U), and an
// unnecessary miss is cheaper than a wrong hit.
//
// Entry file "<name>-<arch>-<key prefix>.cubin" = an 80-byte header (magic
// with the format version, the full 32-byte key, payload size, SHA-256 of
// the payload) followed by the CUBIN. Writers fill a unique temp file in the
// same directory and rename() it into place, so readers never see a partial
// entry and several processes can share a directory without locks. An entry
// that fails any header check (truncated, corrupt, foreign) is deleted and
// rebuilt: a bad cache never fails a load.
#pragma once

#include "vlmc/support/Status.h"

#include <string>
#include <utility>
#include <vector>

namespace vlmc::cuda {

struct KernelSpec {
  std::string name;   // kernel/program name, used in messages and file names
  std::string source; // self-contained CUDA C++
  std::string arch;   // "sm_90a", "sm_80", ...
  std::vector<std::string>
      options; // extras after compileToCubin's base options
};

struct CompiledKernel {
  std::string cubin;
  bool cacheHit = false;
  // Whether a freshly compiled entry reached the disk. A failure here (disk
  // full, read-only directory) does not fail the compile; it is reported
  // instead of hidden.
  Status stored;
};

// The directory used when none is given: $VLMC_CACHE_DIR, else
// $XDG_CACHE_HOME/vlmc/kernels, else $HOME/.cache/vlmc/kernels.
Result<std::string> defaultKernelCacheDir();

class KernelCache {
public:
  // Opens (creating if needed) the cache in `directory`, or in
  // defaultKernelCacheDir() when it is empty. Fails if the directory cannot
  // be created or written.
  static Result<KernelCache> open(const std::string &directory = "");

  const std::string &directory() const { return directory_; }

  // The cached CUBIN for `spec`, compiling and storing it on a miss.
  Result<CompiledKernel> getOrCompile(const KernelSpec &spec) const;

  // getOrCompile for many kernels at once, on up to `threads` threads (0:
  // hardware concurrency, at most 8). Results are in the order of `specs`;
  // if any kernel fails, the error lists every failure.
  Result<std::vector<CompiledKernel>>
  getOrCompileAll(const std::vector<KernelSpec> &specs,
                  unsigned threads = 0) const;

  // Hex SHA-256 key of `spec` under the loaded NVRTC, and its entry path.
  Result<std::string> key(const KernelSpec &spec) const;
  std::string entryPath(const KernelSpec &spec, const std::string &key) const;

private:
  explicit KernelCache(std::string directory)
      : directory_(std::move(directory)) {}

  std::string directory_;
};

// compileToCubin for many kernels on up to `threads` threads, no cache.
Result<std::vector<std::string>>
compileAllToCubin(const std::vector<KernelSpec> &specs, unsigned threads = 0);

} // namespace vlmc::cuda
