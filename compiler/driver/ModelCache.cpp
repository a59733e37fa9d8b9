#include "compiler/driver/ModelCache.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

namespace vlmc::compiler {

namespace {

// FNV-1a, 64 bits: a cache key, not a security boundary.
struct Hasher {
  uint64_t h = 1469598103934665603ull;
  void add(const void *data, size_t n) {
    const auto *p = static_cast<const unsigned char *>(data);
    for (size_t i = 0; i < n; ++i) {
      h ^= p[i];
      h *= 1099511628211ull;
    }
  }
  void add(const std::string &s) {
    add(s.data(), s.size());
    add("\0", 1);
  }
};

std::vector<std::string> listDir(const std::string &dir) {
  std::vector<std::string> names;
  if (DIR *d = opendir(dir.c_str())) {
    while (dirent *e = readdir(d))
      names.push_back(e->d_name);
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool endsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string readAll(const std::string &path, size_t limit = SIZE_MAX) {
  std::ifstream in(path, std::ios::binary);
  std::string data(limit == SIZE_MAX ? 0 : limit, '\0');
  if (limit == SIZE_MAX) {
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  in.read(data.data(), std::streamsize(limit));
  data.resize(size_t(in.gcount()));
  return data;
}

#if VLMC_HAVE_COMPILER
// Only a build with the compiler writes to the cache.
Status makeDirs(const std::string &path) {
  for (size_t i = 1; i <= path.size(); ++i)
    if (i == path.size() || path[i] == '/') {
      std::string prefix = path.substr(0, i);
      if (mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST)
        return unavailable("cannot create the cache directory " + prefix + ": " +
                           std::strerror(errno));
    }
  return Status::ok();
}

// The diagnostics with repeated lines dropped: a pass that rejects every
// layer for the same reason (e.g. -qa on affine weights) says so once per
// layer, which buries the message in an exception or a terminal.
std::string uniqueLines(const std::string &text) {
  std::set<std::string> seen;
  std::string out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (seen.insert(line).second)
      out += line + "\n";
  return out;
}
#endif

} // namespace

std::string artifactCacheDir() {
  if (const char *dir = std::getenv("VLMC_CACHE_DIR"))
    return std::string(dir) + "/artifacts";
  if (const char *xdg = std::getenv("XDG_CACHE_HOME"))
    return std::string(xdg) + "/vlmc/artifacts";
  const char *home = std::getenv("HOME");
  return std::string(home ? home : "/tmp") + "/.cache/vlmc/artifacts";
}

bool cacheCanCompile() {
#if VLMC_HAVE_COMPILER
  return true;
#else
  return false;
#endif
}

Result<std::string> compiledArtifact(const CompileOptions &options, bool verbose,
                                     const std::string &tool) {
  const std::string &modelDir = options.modelDir;
  const std::string &target = options.target;
  Hasher hash;
  // Bumped whenever generated code or the artifact format changes, so that
  // artifacts cached by an older vlmc are rebuilt (2: synthetic weights at
  // load, embedded cubins, decode attention prefetch; 3: fused add + RMSNorm
  // and gated activations, the greedy ArgMax kernel; 4: the Sample kernel,
  // tensor-core prefill attention; 5: the decode attention rewrite, keys and
  // values written into the cache by one op).
  hash.add("vlmc-artifact-cache-5");
  hash.add(target);
  hash.add(options.quantizeActivations ? "qa" : "no-qa");
  // Options are hashed only when they differ from the defaults, so the key
  // of a plain compile is the one earlier versions used (their cache stays
  // valid).
  std::string suffix;
  if (options.quantize) {
    hash.add("quantize");
    hash.add(options.qMode);
    hash.add(std::to_string(options.qBits) + "/" + std::to_string(options.qGroupSize));
    hash.add(options.quantPredicate);
    hash.add(std::string(options.quantizeVision ? "vision" : "") +
             (options.nvfp4GlobalScale ? "global-scale" : ""));
    suffix += "-" + options.qMode;
  }
  if (!options.computeType.empty()) { // empty: the target's default
    hash.add("compute-type");
    hash.add(options.computeType);
  }
  if (options.syntheticWeights)
    hash.add("synthetic-weights");
  for (const std::string &arch : options.cudaArchs) {
    hash.add("cuda-arch");
    hash.add(arch);
  }
  bool hasConfig = false;
  for (const std::string &name : listDir(modelDir)) {
    std::string path = modelDir + "/" + name;
    if (endsWith(name, ".json") || endsWith(name, ".jinja")) {
      hash.add(name);
      hash.add(readAll(path));
      hasConfig |= name == "config.json";
    } else if (endsWith(name, ".safetensors")) {
      struct stat st {};
      stat(path.c_str(), &st);
      hash.add(name);
      hash.add(std::to_string(st.st_size) + ":" + std::to_string(st.st_mtime));
      hash.add(readAll(path, 1 << 20)); // the header (and then some)
    }
  }
  if (!hasConfig)
    return notFound(modelDir + " is not a model directory (no config.json)");
  char key[17];
  std::snprintf(key, sizeof key, "%016llx", (unsigned long long)hash.h);
  std::string dir = artifactCacheDir();
  std::string path = dir + "/" + key + "-" + target + suffix +
                     (options.quantizeActivations ? "-qa" : "") + ".vlmc";
  struct stat st {};
  if (stat(path.c_str(), &st) == 0) {
    if (verbose)
      std::fprintf(stderr, "%s: using the cached artifact %s\n", tool.c_str(), path.c_str());
    return path;
  }
#if VLMC_HAVE_COMPILER
  VLMC_RETURN_IF_ERROR(makeDirs(dir));
  if (verbose)
    std::fprintf(stderr, "%s: compiling %s for %s into %s\n", tool.c_str(), modelDir.c_str(),
                 target.c_str(), path.c_str());
  CompileOptions compile = options;
  compile.emit = "artifact";
  compile.progress = false;
  std::string error;
  if (!compileModel(compile, path, &error))
    return invalidArgument("compiling " + modelDir + " failed:\n" + uniqueLines(error));
  return path;
#else
  return unavailable("this build of vlmc has no compiler: compile " + modelDir +
                     " with vlm-compile --emit artifact and pass the .vlmc file");
#endif
}

} // namespace vlmc::compiler
