// Output shapes of the program's ops from their inputs' runtime shapes:
// shared by every backend's executor so they agree on what an op produces.
#pragma once

#include "Program.h"

namespace vlmc::exec {

// `inputShapes[i]` is null for an absent optional input. `weightShape` is the
// tensor shape for Parameter ops.
Result<std::vector<int64_t>> inferOutputShape(const Program &program, const OpInfo &op,
                                              const std::vector<const std::vector<int64_t> *> &inputShapes);

} // namespace vlmc::exec
