#include "ModelCache.h"

#if VLMC_HAVE_COMPILER
#include "compiler/driver/CompileDriver.h"
#endif

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <sstream>
#include <vector>

namespace vlmc::tools {

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

} // namespace

std::string artifactCacheDir() {
  if (const char *dir = std::getenv("VLMC_CACHE_DIR"))
    return std::string(dir) + "/artifacts";
  if (const char *xdg = std::getenv("XDG_CACHE_HOME"))
    return std::string(xdg) + "/vlmc/artifacts";
  const char *home = std::getenv("HOME");
  return std::string(home ? home : "/tmp") + "/.cache/vlmc/artifacts";
}

Result<std::string> compiledArtifact(const std::string &modelDir, const std::string &target,
                                     bool quantizeActivations, bool verbose) {
  Hasher hash;
  hash.add("vlmc-artifact-cache-1");
  hash.add(target);
  hash.add(quantizeActivations ? "qa" : "no-qa");
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
  std::string path = dir + "/" + key + "-" + target + (quantizeActivations ? "-qa" : "") + ".vlmc";
  struct stat st {};
  if (stat(path.c_str(), &st) == 0) {
    if (verbose)
      std::fprintf(stderr, "vlm-generate: using the cached artifact %s\n", path.c_str());
    return path;
  }
#if VLMC_HAVE_COMPILER
  VLMC_RETURN_IF_ERROR(makeDirs(dir));
  if (verbose)
    std::fprintf(stderr, "vlm-generate: compiling %s for %s into %s\n", modelDir.c_str(),
                 target.c_str(), path.c_str());
  compiler::CompileOptions options;
  options.modelDir = modelDir;
  options.target = target;
  options.quantizeActivations = quantizeActivations;
  options.emit = "artifact";
  std::string error;
  if (!compiler::compileModel(options, path, &error))
    return invalidArgument("compiling " + modelDir + " failed:\n" + error);
  return path;
#else
  return unavailable("this build of vlmc has no compiler: compile " + modelDir +
                     " with vlm-compile --emit artifact and pass the .vlmc file");
#endif
}

} // namespace vlmc::tools
