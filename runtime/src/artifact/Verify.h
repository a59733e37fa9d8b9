// The checks Artifact::load runs, in order, before trusting a file; the
// builder runs the last two on what it is about to write.
#pragma once

#include "vlmc/artifact/Artifact.h"

namespace vlmc::artifact::detail {

// Magic, format version, flags and the two segments' placement within a file
// of `size` bytes. Fills `header` (copied out, so `bytes` need no alignment).
Status verifyHeader(const uint8_t *bytes, uint64_t size,
                    const std::string &label, Header &header);

// flatbuffers::Verifier and the "VLMC" file identifier on [data, data + size).
// `data` must be 8-byte aligned.
Status verifyFlatbuffer(const uint8_t *data, uint64_t size,
                        const std::string &label);

// What the schema cannot express: unique names, tensor byte ranges within a
// `weightsSize`-byte segment, known enum values, value ids in range, single
// definitions. Fills `index`. `flatbufferSize` bounds the work (see the .cpp).
Status verifyContents(const fb::Artifact &root, uint64_t flatbufferSize,
                      uint64_t weightsSize, const std::string &label,
                      Artifact::Index &index);

} // namespace vlmc::artifact::detail
