#ifndef VLMC_COMPILER_DRIVER_MODELCACHE_H
#define VLMC_COMPILER_DRIVER_MODELCACHE_H

// Checkpoint directories are compiled on first use and the artifact cached,
// keyed by the checkpoint's contents (config and tokenizer files, each
// safetensors file's header, size and modification time) and the compile
// options that change the artifact. vlm-generate and the Python module share
// this, so an artifact one of them compiled is found by the other.
//
// No MLIR types here. Built without VLMC_HAVE_COMPILER (a runtime-only build)
// the cache is still looked up, but a miss is an error naming vlm-compile.

#include "compiler/driver/CompileDriver.h"
#include "vlmc/support/Status.h"

#include <string>

namespace vlmc::compiler {

// The cache directory: $VLMC_CACHE_DIR/artifacts, else
// $XDG_CACHE_HOME/vlmc/artifacts, else ~/.cache/vlmc/artifacts.
std::string artifactCacheDir();

// Whether a cache miss can be compiled in this build.
bool cacheCanCompile();

// The artifact for `options.modelDir` compiled with `options` (target, -qa,
// weight quantization, compute type; `emit` and `progress` are ignored),
// compiling it when not cached. Errors: kNotFound when the directory has no
// config.json, kInvalidArgument with the compiler's diagnostics when the
// compile fails, kUnavailable without the compiler. With `verbose`, says on
// stderr what it does, each line prefixed "<tool>: ".
Result<std::string> compiledArtifact(const CompileOptions &options, bool verbose,
                                     const std::string &tool);

} // namespace vlmc::compiler

#endif
