// The fixed header of a .vlmc file and the layout rules shared by the writer
// (compiler) and the reader (runtime).
#pragma once

#include <cstdint>

namespace vlmc::artifact {

// "VLMCART" + NUL.
inline constexpr char kMagic[8] = {'V', 'L', 'M', 'C', 'A', 'R', 'T', '\0'};
// Bumped whenever the meaning of a field changes; appended fields keep it.
inline constexpr uint32_t kFormatVersion = 1;
inline constexpr uint64_t kHeaderSize = 64;
// The weights segment starts on a page so it can be mmapped and uploaded
// without copies; tensors inside are aligned for vector loads and cp.async.
inline constexpr uint64_t kWeightsAlignment = 4096;
inline constexpr uint64_t kTensorAlignment = 256;

// Little-endian on disk (all supported hosts are little-endian).
struct Header {
  char magic[8];
  uint32_t formatVersion;
  uint32_t flags;             // reserved, 0
  uint64_t flatbufferOffset;  // == kHeaderSize
  uint64_t flatbufferSize;
  uint64_t weightsOffset;     // multiple of kWeightsAlignment
  uint64_t weightsSize;
  uint64_t reserved[2];
};
static_assert(sizeof(Header) == kHeaderSize, "header must stay 64 bytes");

// Op flags.
inline constexpr uint32_t kFlagCausal = 1u << 0;
inline constexpr uint32_t kFlagAxial = 1u << 1;

// ActivationKind values (Activation's i64_attrs[0]).
enum class ActivationKind : int64_t { kSilu = 0, kGelu = 1, kGeluTanh = 2, kQuickGelu = 3 };

} // namespace vlmc::artifact
