#include "vlmc/cuda/Nvrtc.h"

#include <nvrtc.h>

#include <dlfcn.h>
#include <sys/stat.h>

#include <climits>
#include <cstdlib>
#include <memory>

#ifndef VLMC_CUDA_ROOT_DEFAULT
#define VLMC_CUDA_ROOT_DEFAULT "/usr/local/cuda"
#endif

// The NVRTC entry points used, resolved with dlsym (NVRTC has no
// cuGetProcAddress; its C API has been stable since CUDA 11).
#define VLMC_NVRTC_FUNCTIONS(X)                                                \
  X(nvrtcVersion)                                                              \
  X(nvrtcGetNumSupportedArchs)                                                 \
  X(nvrtcGetSupportedArchs)                                                    \
  X(nvrtcCreateProgram)                                                        \
  X(nvrtcCompileProgram)                                                       \
  X(nvrtcGetProgramLogSize)                                                    \
  X(nvrtcGetProgramLog)                                                        \
  X(nvrtcGetCUBINSize)                                                         \
  X(nvrtcGetCUBIN)                                                             \
  X(nvrtcGetPTXSize)                                                           \
  X(nvrtcGetPTX)                                                               \
  X(nvrtcDestroyProgram)                                                       \
  X(nvrtcGetErrorString)

namespace vlmc::cuda {
namespace {

struct Nvrtc {
#define VLMC_NVRTC_DECLARE_MEMBER(name) decltype(&::name) name = nullptr;
  VLMC_NVRTC_FUNCTIONS(VLMC_NVRTC_DECLARE_MEMBER)
#undef VLMC_NVRTC_DECLARE_MEMBER
  NvrtcInfo info;

  Status check(nvrtcResult result, const char *call) const {
    if (result == NVRTC_SUCCESS)
      return Status::ok();
    const char *name =
        nvrtcGetErrorString ? nvrtcGetErrorString(result) : nullptr;
    return internalError(
        std::string(call) + ": " +
        (name ? name : "NVRTC error " + std::to_string(result)));
  }
};

bool isFile(const std::string &path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string envOr(const char *name, const char *fallback) {
  const char *value = std::getenv(name);
  return value && *value ? value : fallback;
}

// Candidate libraries, most specific first. An explicit $VLMC_CUDA_ROOT wins
// over the loader's search path: whoever sets it means that toolkit.
std::vector<std::string> libraryCandidates() {
  std::vector<std::string> candidates;
  auto addRoot = [&](const std::string &root) {
    if (root.empty())
      return;
    candidates.push_back(root + "/lib64/libnvrtc.so.13");
    candidates.push_back(root + "/lib64/libnvrtc.so");
  };
  addRoot(envOr("VLMC_CUDA_ROOT", ""));
  candidates.push_back("libnvrtc.so.13");
  candidates.push_back("libnvrtc.so");
  addRoot(VLMC_CUDA_ROOT_DEFAULT);
  addRoot("/usr/local/cuda");
  return candidates;
}

// Headers matching the loaded NVRTC: $VLMC_CUDA_ROOT, else the toolkit the
// library sits in (<root>/lib64/libnvrtc.so -> <root>/include), else the
// build's CUDA root, else /usr/local/cuda.
std::string findIncludeDir(void *nvrtcSymbol) {
  std::vector<std::string> roots;
  roots.push_back(envOr("VLMC_CUDA_ROOT", ""));
  Dl_info dl;
  if (dladdr(nvrtcSymbol, &dl) && dl.dli_fname) {
    std::string path = dl.dli_fname;
    size_t slash = path.rfind('/');
    if (slash != std::string::npos)
      roots.push_back(path.substr(0, slash) + "/..");
  }
  roots.push_back(VLMC_CUDA_ROOT_DEFAULT);
  roots.push_back("/usr/local/cuda");
  for (const std::string &root : roots)
    if (!root.empty() && isFile(root + "/include/cuda_fp16.h")) {
      // Canonical, so the option (and the cache key hashing it) doesn't
      // depend on which of the equivalent spellings was found first.
      char resolved[PATH_MAX];
      std::string dir = root + "/include";
      return realpath(dir.c_str(), resolved) ? std::string(resolved) : dir;
    }
  return "";
}

Result<std::unique_ptr<Nvrtc>> loadNvrtc() {
  std::string tried;
  void *handle = nullptr;
  std::string library;
  for (const std::string &candidate : libraryCandidates()) {
    dlerror();
    handle = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle) {
      library = candidate;
      break;
    }
    const char *why = dlerror();
    tried += "\n  " + candidate + ": " + (why ? why : "not loadable");
  }
  if (!handle)
    return unavailable("NVRTC not found (install the CUDA toolkit or set "
                       "VLMC_CUDA_ROOT); tried:" +
                       tried);

  // Kept loaded for the life of the process, like libcuda.
  auto nvrtc = std::make_unique<Nvrtc>();
#define VLMC_NVRTC_RESOLVE(name)                                               \
  nvrtc->name = reinterpret_cast<decltype(nvrtc->name)>(dlsym(handle, #name)); \
  if (!nvrtc->name)                                                            \
    return unavailable(library + " lacks " #name                               \
                                 " (NVRTC older than CUDA 11.2?)");
  VLMC_NVRTC_FUNCTIONS(VLMC_NVRTC_RESOLVE)
#undef VLMC_NVRTC_RESOLVE

  NvrtcInfo &info = nvrtc->info;
  info.library = library;
  VLMC_RETURN_IF_ERROR(nvrtc->check(
      nvrtc->nvrtcVersion(&info.major, &info.minor), "nvrtcVersion"));
  int count = 0;
  VLMC_RETURN_IF_ERROR(nvrtc->check(nvrtc->nvrtcGetNumSupportedArchs(&count),
                                    "nvrtcGetNumSupportedArchs"));
  info.supportedArchs.resize(count > 0 ? count : 0);
  if (count > 0)
    VLMC_RETURN_IF_ERROR(
        nvrtc->check(nvrtc->nvrtcGetSupportedArchs(info.supportedArchs.data()),
                     "nvrtcGetSupportedArchs"));
  info.includeDir =
      findIncludeDir(reinterpret_cast<void *>(nvrtc->nvrtcVersion));
  return nvrtc;
}

Result<const Nvrtc *> getNvrtc() {
  static const Result<const Nvrtc *> nvrtc = []() -> Result<const Nvrtc *> {
    Result<std::unique_ptr<Nvrtc>> loaded = loadNvrtc();
    if (!loaded)
      return loaded.status();
    return std::move(loaded).value().release();
  }();
  return nvrtc;
}

// "sm_90a" -> 90 (and "compute_90a" -> 90 when virtual archs are allowed);
// -1 if `arch` is not an architecture name.
int archNumber(const std::string &arch, bool allowVirtual) {
  size_t i;
  if (arch.rfind("sm_", 0) == 0)
    i = 3;
  else if (allowVirtual && arch.rfind("compute_", 0) == 0)
    i = 8;
  else
    return -1;
  size_t start = i;
  int number = 0;
  for (; i < arch.size() && arch[i] >= '0' && arch[i] <= '9' && number < 10000;
       ++i)
    number = number * 10 + (arch[i] - '0');
  if (i == start ||
      (i < arch.size() && arch.substr(i) != "a" && arch.substr(i) != "f"))
    return -1;
  return number;
}

std::string archList(const std::vector<int> &archs) {
  std::string list;
  for (int a : archs)
    list += (list.empty() ? "" : " ") + std::to_string(a);
  return list;
}

std::string programLog(const Nvrtc &nvrtc, nvrtcProgram program) {
  size_t size = 0;
  if (nvrtc.nvrtcGetProgramLogSize(program, &size) != NVRTC_SUCCESS ||
      size <= 1)
    return "";
  std::string log(size, '\0');
  if (nvrtc.nvrtcGetProgramLog(program, log.data()) != NVRTC_SUCCESS)
    return "";
  while (!log.empty() && (log.back() == '\0' || log.back() == '\n'))
    log.pop_back();
  return log;
}

// Destroys the program on every path out of compile().
struct ProgramGuard {
  const Nvrtc &nvrtc;
  nvrtcProgram program = nullptr;
  ~ProgramGuard() {
    if (program)
      nvrtc.nvrtcDestroyProgram(&program);
  }
};

} // namespace

std::string NvrtcInfo::versionString() const {
  return std::to_string(major) + "." + std::to_string(minor);
}

Result<const NvrtcInfo *> nvrtcInfo() {
  Result<const Nvrtc *> nvrtc = getNvrtc();
  if (!nvrtc)
    return nvrtc.status();
  return &(*nvrtc)->info;
}

std::vector<std::string> baseCompileOptions(const NvrtcInfo &nvrtc,
                                            const std::string &arch) {
  std::vector<std::string> options = {
      "-std=c++17", "--gpu-architecture=" + arch, "-default-device"};
  if (!nvrtc.includeDir.empty())
    options.push_back("-I" + nvrtc.includeDir);
  return options;
}

namespace {

enum class Output { kCubin, kPtx };

Result<std::string> compile(std::string_view source, const std::string &name,
                            const std::string &arch,
                            const std::vector<std::string> &options,
                            Output output) {
  Result<const Nvrtc *> loaded = getNvrtc();
  if (!loaded)
    return loaded.status();
  const Nvrtc &nvrtc = **loaded;
  const NvrtcInfo &info = nvrtc.info;

  // Only a real arch yields a CUBIN (compute_XX gives PTX); check it up front
  // for a clearer message than NVRTC's "invalid option".
  int number = archNumber(arch, output == Output::kPtx);
  if (number < 0)
    return invalidArgument("kernel '" + name + "': '" + arch + "' is not a " +
                           (output == Output::kPtx ? "GPU architecture"
                                                   : "real GPU architecture") +
                           " (expected e.g. sm_90a or sm_80)");
  bool supported = false;
  for (int a : info.supportedArchs)
    supported |= a == number;
  if (!supported)
    return invalidArgument(
        "kernel '" + name + "': NVRTC " + info.versionString() +
        " cannot compile for " + arch +
        " (supported: " + archList(info.supportedArchs) + ")");

  std::vector<std::string> all = baseCompileOptions(info, arch);
  all.insert(all.end(), options.begin(), options.end());
  std::vector<const char *> argv;
  for (const std::string &option : all)
    argv.push_back(option.c_str());

  // nvrtcCreateProgram wants a NUL-terminated source.
  std::string text(source);
  std::string programName = name + ".cu";
  ProgramGuard guard{nvrtc};
  VLMC_RETURN_IF_ERROR(nvrtc.check(
      nvrtc.nvrtcCreateProgram(&guard.program, text.c_str(),
                               programName.c_str(), 0, nullptr, nullptr),
      "nvrtcCreateProgram"));
  nvrtcResult compiled = nvrtc.nvrtcCompileProgram(
      guard.program, static_cast<int>(argv.size()), argv.data());
  if (compiled != NVRTC_SUCCESS) {
    std::string log = programLog(nvrtc, guard.program);
    std::string optionText;
    for (const std::string &option : all)
      optionText += " " + option;
    return invalidArgument(
        "NVRTC " + info.versionString() + " failed to compile kernel '" + name +
        "' for " + arch + " (" + nvrtc.nvrtcGetErrorString(compiled) +
        "); options:" + optionText + "\n" + (log.empty() ? "(no log)" : log));
  }

  size_t size = 0;
  std::string bytes;
  if (output == Output::kCubin) {
    VLMC_RETURN_IF_ERROR(nvrtc.check(
        nvrtc.nvrtcGetCUBINSize(guard.program, &size), "nvrtcGetCUBINSize"));
    bytes.resize(size);
    if (size > 0)
      VLMC_RETURN_IF_ERROR(nvrtc.check(
          nvrtc.nvrtcGetCUBIN(guard.program, bytes.data()), "nvrtcGetCUBIN"));
  } else {
    VLMC_RETURN_IF_ERROR(nvrtc.check(
        nvrtc.nvrtcGetPTXSize(guard.program, &size), "nvrtcGetPTXSize"));
    bytes.resize(size);
    if (size > 0)
      VLMC_RETURN_IF_ERROR(nvrtc.check(
          nvrtc.nvrtcGetPTX(guard.program, bytes.data()), "nvrtcGetPTX"));
    // The size counts the terminating NUL; the string keeps its own.
    while (!bytes.empty() && bytes.back() == '\0')
      bytes.pop_back();
  }
  if (bytes.empty())
    return internalError("NVRTC produced no output for kernel '" + name +
                         "' (" + arch + ")");
  return bytes;
}

} // namespace

Result<std::string> compileToCubin(std::string_view source,
                                   const std::string &name,
                                   const std::string &arch,
                                   const std::vector<std::string> &options) {
  return compile(source, name, arch, options, Output::kCubin);
}

Result<std::string> compileToPtx(std::string_view source,
                                 const std::string &name,
                                 const std::string &arch,
                                 const std::vector<std::string> &options) {
  return compile(source, name, arch, options, Output::kPtx);
}

} // namespace vlmc::cuda
