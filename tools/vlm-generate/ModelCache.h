// Checkpoint directories are compiled on first use and the artifact cached,
// keyed by the checkpoint's contents (config and tokenizer files, each
// safetensors file's header, size and modification time) and the flags.
#pragma once

#include "vlmc/support/Status.h"

#include <string>

namespace vlmc::tools {

// The cache directory: $VLMC_CACHE_DIR/artifacts, else
// $XDG_CACHE_HOME/vlmc/artifacts, else ~/.cache/vlmc/artifacts.
std::string artifactCacheDir();

// The artifact for `modelDir` compiled for `target`, compiling it when not
// cached (only in builds that include the compiler).
Result<std::string> compiledArtifact(const std::string &modelDir, const std::string &target,
                                     bool quantizeActivations, bool verbose);

} // namespace vlmc::tools
