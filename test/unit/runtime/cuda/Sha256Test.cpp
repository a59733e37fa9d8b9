// SHA-256 against FIPS 180-4 / NIST known answers, plus padding boundaries
// (checked with Python's hashlib) and incremental == one-shot.
#include "vlmc/cuda/Sha256.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace vlmc::cuda {
namespace {

TEST(CudaSha256Test, NistVectors) {
  EXPECT_EQ(Sha256::hexHash(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256::hexHash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256::hexHash(
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256::hexHash(
                "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST(CudaSha256Test, MillionAsInOddChunks) {
  Sha256 hash;
  std::string chunk(997, 'a');
  size_t left = 1000000;
  while (left > 0) {
    size_t n = std::min(left, chunk.size());
    hash.update(chunk.data(), n);
    left -= n;
  }
  EXPECT_EQ(Sha256::toHex(hash.digest()),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// Lengths around the 56- and 64-byte padding boundaries.
TEST(CudaSha256Test, PaddingBoundaries) {
  auto pattern = [](size_t n) {
    std::string s(n, '\0');
    for (size_t i = 0; i < n; ++i)
      s[i] = static_cast<char>((i * 7 + 3) & 0xff);
    return s;
  };
  const std::pair<size_t, const char *> kExpected[] = {
      {55, "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b"},
      {56, "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27"},
      {63, "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055"},
      {64, "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241"},
      {65, "aacca6ff74fdbb296d165a45cecfa04e5127bc008770fbbdd48006f2d2fae95e"},
      {119, "9ce7368e4daf32341631b492e80359dc9f594b48453cd0dd5bf0b19279cc177e"},
      {120, "7836b787757e95e58b3ca5aec90b1b004e8deba1e50e9675af9cabf1a13a04b5"},
      {128, "d2742f1f4ac6bb7ca2b239ee18402ba8b3f9f8e652d2a72973c2b9ba11c08cf6"},
  };
  for (const auto &[n, hex] : kExpected)
    EXPECT_EQ(Sha256::hexHash(pattern(n)), hex) << n << " bytes";
}

TEST(CudaSha256Test, IncrementalMatchesOneShot) {
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 50; ++trial) {
    std::string data(rng() % 600, '\0');
    for (char &c : data)
      c = static_cast<char>(rng());
    Sha256 hash;
    size_t at = 0;
    while (at < data.size()) {
      size_t n = std::min<size_t>(rng() % 130, data.size() - at);
      hash.update(data.data() + at, n);
      at += n;
    }
    EXPECT_EQ(hash.digest(), Sha256::hash(data)) << data.size() << " bytes";
  }
}

} // namespace
} // namespace vlmc::cuda
