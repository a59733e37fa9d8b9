// Header and flatbuffer framing checks. Every size comes from the file, so
// every sum is checked for overflow before it is compared.
#include "Verify.h"

#include <cstdio>
#include <cstring>

namespace vlmc::artifact::detail {

namespace {

// Table nesting in the schema is at most 4 deep (Artifact > Function > Op >
// QuantSpec); 16 leaves room for appended fields while still stopping a
// crafted buffer from recursing deeply.
constexpr flatbuffers::uoffset_t kMaxDepth = 16;
// Bounds the verifier's work when tables are shared (a DAG can make it visit
// far more tables than the buffer holds). A large VLM has ~10^4 ops, values
// and tensors, so this is two orders of magnitude of headroom.
constexpr flatbuffers::uoffset_t kMaxTables = 4'000'000;

std::string str(uint64_t v) { return std::to_string(v); }

std::string hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%x", v);
  return buf;
}

Status corrupt(const std::string &label, const std::string &message) {
  return dataLoss(label + ": " + message);
}

// [offset, offset + size) lies within [0, limit).
bool inside(uint64_t offset, uint64_t size, uint64_t limit) {
  return offset <= limit && size <= limit - offset;
}

} // namespace

Status verifyHeader(const uint8_t *bytes, uint64_t size,
                    const std::string &label, Header &h) {
  const bool magicOk =
      size >= sizeof(kMagic) && std::memcmp(bytes, kMagic, sizeof(kMagic)) == 0;
  if (!magicOk)
    return invalidArgument(label + ": not a vlmc artifact (" +
                           (size < sizeof(kMagic)
                                ? "only " + str(size) + " bytes"
                                : std::string("no VLMCART magic")) +
                           ")");
  if (size < kHeaderSize)
    return corrupt(label, "truncated: " + str(size) +
                              " bytes, shorter than the " + str(kHeaderSize) +
                              "-byte header");
  std::memcpy(&h, bytes, sizeof(h));

  // The version decides how everything after it is read, so it comes first
  // and its message tells the user which side to update.
  if (h.formatVersion != kFormatVersion) {
    const bool newer = h.formatVersion > kFormatVersion;
    return Status(StatusCode::kUnimplemented,
                  label + ": built by " + (newer ? "a newer" : "an older") +
                      " vlmc (format " + str(h.formatVersion) +
                      "; this runtime reads format " + str(kFormatVersion) +
                      "): recompile the model" +
                      (newer ? " or update vlmc" : " with this vlmc"));
  }
  // Flags are reserved for features an older reader must not ignore.
  if (h.flags != 0)
    return Status(StatusCode::kUnimplemented,
                  label + ": header flags 0x" + hex(h.flags) +
                      " are unknown to this runtime");

  if (h.flatbufferOffset != kHeaderSize)
    return corrupt(label, "header: flatbuffer offset is " +
                              str(h.flatbufferOffset) + ", expected " +
                              str(kHeaderSize));
  if (!inside(h.flatbufferOffset, h.flatbufferSize, size))
    return corrupt(label, "truncated: the flatbuffer (" +
                              str(h.flatbufferSize) + " bytes at offset " +
                              str(h.flatbufferOffset) +
                              ") extends past the end of the file (" +
                              str(size) + " bytes)");
  const uint64_t flatbufferEnd = h.flatbufferOffset + h.flatbufferSize;

  if (h.weightsOffset % kWeightsAlignment != 0)
    return corrupt(label, "header: weights offset " + str(h.weightsOffset) +
                              " is not a multiple of " +
                              str(kWeightsAlignment));
  if (h.weightsOffset < flatbufferEnd)
    return corrupt(label, "header: weights offset " + str(h.weightsOffset) +
                              " overlaps the flatbuffer, which ends at " +
                              str(flatbufferEnd));
  if (!inside(h.weightsOffset, h.weightsSize, size))
    return corrupt(label, "truncated: the weights segment (" +
                              str(h.weightsSize) + " bytes at offset " +
                              str(h.weightsOffset) +
                              ") extends past the end of the file (" +
                              str(size) + " bytes)");
  return Status::ok();
}

Status verifyFlatbuffer(const uint8_t *data, uint64_t size,
                        const std::string &label) {
  // The verifier asserts on buffers of 2 GiB or more (flatbuffers' offset
  // limit), so that case must never reach it.
  if (size >= FLATBUFFERS_MAX_BUFFER_SIZE)
    return corrupt(label, "flatbuffer of " + str(size) +
                              " bytes exceeds the flatbuffers limit");
  if (size < 2 * sizeof(flatbuffers::uoffset_t) ||
      !fb::ArtifactBufferHasIdentifier(data))
    return corrupt(label, "the flatbuffer does not carry the \"" +
                              std::string(fb::ArtifactIdentifier()) +
                              "\" file identifier");
  flatbuffers::Verifier::Options options;
  options.max_depth = kMaxDepth;
  options.max_tables = kMaxTables;
  flatbuffers::Verifier verifier(data, size_t(size), options);
  if (!fb::VerifyArtifactBuffer(verifier))
    return corrupt(label, "the flatbuffer is corrupt (flatbuffers "
                          "verification failed)");
  return Status::ok();
}

} // namespace vlmc::artifact::detail
