// Weights generated at load for artifacts compiled with
// `vlm-compile --synthetic-weights --emit artifact` (Artifact.
// synthetic_weights_size): a real-sized model's artifact then carries only
// its program and kernels, so it can be benchmarked on a machine it has to be
// copied to.
//
// The values are deterministic pseudo-random numbers (the same on every
// load) of the magnitude each tensor's role has in a trained model: float
// weights around +-0.03, norm weights around 1, affine scales ~2^-9 and
// biases below zero, packed codes uniform over the valid codes (no fp8 NaN),
// E8M0 scales 2^-7..2^0, nvfp4's E4M3 scales 0.25..0.9, global scales 1.
// Enough for kernels to run on finite numbers at their real speed; the
// model's outputs mean nothing.
#pragma once

#include "vlmc/artifact/vlmc_generated.h"
#include "vlmc/support/Status.h"

#include <cstdint>
#include <memory>

namespace vlmc::artifact {

// A page-aligned segment of `size` bytes holding every tensor of `root` at
// its offset (checked by the caller to lie inside it). Filled in parallel.
Result<std::shared_ptr<uint8_t>> generateSyntheticWeights(const fb::Artifact &root,
                                                          uint64_t size);

} // namespace vlmc::artifact
