// SHA-256 (FIPS 180-4), for kernel-cache keys and entry checksums.
//
// Written here rather than pulled from a crypto library: it is ~100 lines,
// the runtime has no other use for one, and the known-answer vectors in the
// tests pin it down. A strong hash matters because a key collision would
// silently load the wrong kernel.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace vlmc::cuda {

class Sha256 {
public:
  using Digest = std::array<uint8_t, 32>;

  Sha256();
  // Feeds bytes; may be called any number of times before digest().
  void update(const void *data, size_t size);
  void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }
  // Finishes the hash. The object must not be updated afterwards.
  Digest digest();

  static Digest hash(std::string_view bytes);
  static std::string toHex(const Digest &digest);
  static std::string hexHash(std::string_view bytes) {
    return toHex(hash(bytes));
  }

private:
  void compress(const uint8_t *block);

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_;
  size_t buffered_ = 0;
  uint64_t totalBytes_ = 0;
};

} // namespace vlmc::cuda
