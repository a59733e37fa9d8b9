#include "vlmc/cuda/KernelCache.h"

#include "Parallel.h"
#include "vlmc/cuda/Nvrtc.h"
#include "vlmc/cuda/Sha256.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>

namespace vlmc::cuda {
namespace {

namespace fs = std::filesystem;

// Bump the digit when the entry layout or the key recipe changes: old
// entries then fail the magic check and are rebuilt.
constexpr char kMagic[8] = {'V', 'L', 'M', 'C', 'K', 'R', 'N', '1'};
constexpr char kKeyDomain[] = "vlmc-kernel-cache-1";
constexpr size_t kHeaderSize = 8 + 32 + 8 + 32;

std::string errnoText() { return std::strerror(errno); }

void putU64(std::string &out, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<char>(v >> (8 * i)));
}

uint64_t getU64(const char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = v << 8 | static_cast<uint8_t>(p[i]);
  return v;
}

// Every field length-prefixed, so no two different specs serialise alike.
Result<Sha256::Digest> keyDigest(const KernelSpec &spec) {
  Result<const NvrtcInfo *> nvrtc = nvrtcInfo();
  if (!nvrtc)
    return nvrtc.status();
  Sha256 hash;
  auto field = [&](const std::string &bytes) {
    std::string length;
    putU64(length, bytes.size());
    hash.update(length);
    hash.update(bytes);
  };
  field(kKeyDomain);
  field(spec.name);
  field(spec.source);
  field(spec.arch);
  field((*nvrtc)->versionString());
  for (const std::string &option : baseCompileOptions(**nvrtc, spec.arch))
    field(option);
  for (const std::string &option : spec.options)
    field(option);
  return hash.digest();
}

// Keeps file names portable and short; the key suffix keeps them unique.
std::string fileSafe(const std::string &text, size_t maxLength) {
  std::string out;
  for (char c : text.substr(0, maxLength))
    out.push_back(std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
                          c == '-'
                      ? c
                      : '_');
  return out.empty() ? "kernel" : out;
}

bool readFile(const std::string &path, std::string &bytes) {
  FILE *file = std::fopen(path.c_str(), "rb");
  if (!file)
    return false;
  bytes.clear();
  char chunk[1 << 16];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof(chunk), file)) > 0)
    bytes.append(chunk, n);
  bool ok = !std::ferror(file);
  std::fclose(file);
  return ok;
}

// True, with the payload in `cubin`, if `bytes` is an intact entry for `key`.
bool parseEntry(const std::string &bytes, const Sha256::Digest &key,
                std::string &cubin) {
  if (bytes.size() < kHeaderSize || std::memcmp(bytes.data(), kMagic, 8) != 0 ||
      std::memcmp(bytes.data() + 8, key.data(), 32) != 0)
    return false;
  uint64_t size = getU64(bytes.data() + 40);
  if (size == 0 || size != bytes.size() - kHeaderSize)
    return false;
  cubin = bytes.substr(kHeaderSize);
  Sha256::Digest sum = Sha256::hash(cubin);
  return std::memcmp(bytes.data() + 48, sum.data(), 32) == 0;
}

bool writeAll(int fd, const std::string &bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// Writes `bytes` to a fresh temp file next to `path` and renames it into
// place. No fsync: after a crash the entry may be empty or torn, which the
// checksum turns into a rebuild, and kernel compiles are not worth a disk
// flush each.
Status writeAtomically(const std::string &path, const std::string &bytes) {
  fs::path target(path);
  std::string temp =
      (target.parent_path() / ("." + target.filename().string() + ".XXXXXX"))
          .string();
  int fd = ::mkstemp(temp.data());
  if (fd < 0)
    return unavailable("kernel cache: cannot create a temp file in " +
                       target.parent_path().string() + ": " + errnoText());
  // mkstemp creates 0600; a cache entry has nothing secret, and a shared
  // cache directory should stay readable to its group.
  ::fchmod(fd, 0644);
  bool written = writeAll(fd, bytes);
  std::string why = written ? "" : errnoText();
  if (::close(fd) != 0 && written) {
    written = false;
    why = errnoText();
  }
  if (written && std::rename(temp.c_str(), path.c_str()) != 0) {
    written = false;
    why = "rename: " + errnoText();
  }
  if (!written) {
    ::unlink(temp.c_str());
    return unavailable("kernel cache: cannot write " + path + ": " + why);
  }
  return Status::ok();
}

std::string joinFailures(const std::vector<Status> &statuses,
                         const std::vector<KernelSpec> &specs,
                         StatusCode &firstCode) {
  std::string text;
  size_t failed = 0;
  for (size_t i = 0; i < statuses.size(); ++i) {
    if (statuses[i].isOk())
      continue;
    if (failed++ == 0)
      firstCode = statuses[i].code();
    text += "\n[" + specs[i].name + "] " + statuses[i].message();
  }
  return std::to_string(failed) + " of " + std::to_string(specs.size()) +
         " kernels failed:" + text;
}

} // namespace

KernelSpec generatedKernelSpec(std::string name, std::string source,
                               std::string arch) {
  // Generated sources are self-contained: compileToCubin's base options are
  // all they need.
  return {std::move(name), std::move(source), std::move(arch), {}};
}

Result<std::string> defaultKernelCacheDir() {
  auto env = [](const char *name) -> std::string {
    const char *value = std::getenv(name);
    return value ? value : "";
  };
  if (std::string dir = env("VLMC_CACHE_DIR"); !dir.empty())
    return dir;
  if (std::string xdg = env("XDG_CACHE_HOME"); !xdg.empty())
    return xdg + "/vlmc/kernels";
  if (std::string home = env("HOME"); !home.empty())
    return home + "/.cache/vlmc/kernels";
  return unavailable("no kernel cache directory: set VLMC_CACHE_DIR (neither "
                     "XDG_CACHE_HOME nor HOME is set)");
}

Result<KernelCache> KernelCache::open(const std::string &directory) {
  std::string dir = directory;
  if (dir.empty()) {
    Result<std::string> fallback = defaultKernelCacheDir();
    if (!fallback)
      return fallback.status();
    dir = *fallback;
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir, ec))
    return unavailable("kernel cache: cannot create directory " + dir +
                       (ec ? ": " + ec.message() : ""));
  // Writability up front: a cache that silently never stores is worse than
  // an error at open.
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    return unavailable("kernel cache: directory " + dir +
                       " is not writable: " + errnoText());
  return KernelCache(dir);
}

Result<std::string> KernelCache::key(const KernelSpec &spec) const {
  Result<Sha256::Digest> digest = keyDigest(spec);
  if (!digest)
    return digest.status();
  return Sha256::toHex(*digest);
}

std::string KernelCache::entryPath(const KernelSpec &spec,
                                   const std::string &key) const {
  return (fs::path(directory_) /
          (fileSafe(spec.name, 64) + "-" + fileSafe(spec.arch, 16) + "-" +
           key.substr(0, 32) + ".cubin"))
      .string();
}

Result<CompiledKernel> KernelCache::getOrCompile(const KernelSpec &spec) const {
  Result<Sha256::Digest> digest = keyDigest(spec);
  if (!digest)
    return digest.status();
  std::string path = entryPath(spec, Sha256::toHex(*digest));

  CompiledKernel kernel;
  std::string bytes;
  if (readFile(path, bytes)) {
    if (parseEntry(bytes, *digest, kernel.cubin)) {
      kernel.cacheHit = true;
      return kernel;
    }
    // Truncated, corrupt or from another format version: drop it so the
    // rebuilt entry replaces it (the rename would too; removing first also
    // clears entries whose rewrite then fails).
    ::unlink(path.c_str());
  }

  Result<std::string> cubin =
      compileToCubin(spec.source, spec.name, spec.arch, spec.options);
  if (!cubin)
    return cubin.status();
  kernel.cubin = std::move(cubin).value();

  std::string entry(kMagic, sizeof(kMagic));
  entry.append(reinterpret_cast<const char *>(digest->data()), digest->size());
  putU64(entry, kernel.cubin.size());
  Sha256::Digest sum = Sha256::hash(kernel.cubin);
  entry.append(reinterpret_cast<const char *>(sum.data()), sum.size());
  entry += kernel.cubin;
  kernel.stored = writeAtomically(path, entry);
  return kernel;
}

Result<std::vector<CompiledKernel>>
KernelCache::getOrCompileAll(const std::vector<KernelSpec> &specs,
                             unsigned threads) const {
  std::vector<CompiledKernel> kernels(specs.size());
  std::vector<Status> statuses(specs.size());
  parallelFor(specs.size(), threads, [&](size_t i) {
    Result<CompiledKernel> kernel = getOrCompile(specs[i]);
    if (kernel)
      kernels[i] = std::move(kernel).value();
    else
      statuses[i] = kernel.status();
  });
  for (const Status &status : statuses)
    if (!status.isOk()) {
      StatusCode code = StatusCode::kInternal;
      std::string message = joinFailures(statuses, specs, code);
      return Status(code, message);
    }
  return kernels;
}

Result<std::vector<std::string>>
compileAllToCubin(const std::vector<KernelSpec> &specs, unsigned threads,
                  const CompileProgress &progress) {
  std::vector<std::string> cubins(specs.size());
  std::vector<Status> statuses(specs.size());
  std::mutex progressMutex;
  size_t finished = 0;
  parallelFor(specs.size(), threads, [&](size_t i) {
    Result<std::string> cubin = compileToCubin(specs[i].source, specs[i].name,
                                               specs[i].arch, specs[i].options);
    if (cubin)
      cubins[i] = std::move(cubin).value();
    else
      statuses[i] = cubin.status();
    if (progress) {
      std::lock_guard<std::mutex> lock(progressMutex);
      progress(++finished, specs.size());
    }
  });
  for (const Status &status : statuses)
    if (!status.isOk()) {
      StatusCode code = StatusCode::kInternal;
      std::string message = joinFailures(statuses, specs, code);
      return Status(code, message);
    }
  return cubins;
}

} // namespace vlmc::cuda
