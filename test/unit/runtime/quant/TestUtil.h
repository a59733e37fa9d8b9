// Helpers shared by the quantization tests. Deliberately independent of the
// library's internals: bit layouts are rebuilt bit by bit here.
#pragma once

#include "vlmc/quant/Quant.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

namespace vlmc::quant::test {

// Reference packing: sets each bit of each code individually at stream
// position j*bits + b (word = pos / 32, bit = pos % 32).
inline std::vector<uint32_t> packByHand(const std::vector<uint8_t> &codes,
                                        int bits) {
  std::vector<uint32_t> words((codes.size() * bits + 31) / 32, 0u);
  for (size_t j = 0; j < codes.size(); ++j)
    for (int b = 0; b < bits; ++b)
      if ((codes[j] >> b) & 1u) {
        size_t pos = j * bits + b;
        words[pos / 32] |= 1u << (pos % 32);
      }
  return words;
}

inline std::vector<uint8_t> unpackByHand(const uint32_t *words, size_t count,
                                         int bits) {
  std::vector<uint8_t> codes(count, 0);
  for (size_t j = 0; j < count; ++j)
    for (int b = 0; b < bits; ++b) {
      size_t pos = j * bits + b;
      if ((words[pos / 32] >> (pos % 32)) & 1u)
        codes[j] = static_cast<uint8_t>(codes[j] | (1u << b));
    }
  return codes;
}

inline uint32_t bitsOf(float v) {
  uint32_t u;
  std::memcpy(&u, &v, sizeof u);
  return u;
}

inline float floatOf(uint32_t u) {
  float v;
  std::memcpy(&v, &u, sizeof v);
  return v;
}

inline QuantizedMatrix quantizeOrDie(const std::vector<float> &w, int64_t rows,
                                     int64_t cols, const QuantSpec &spec,
                                     std::optional<float> g = std::nullopt,
                                     int threads = 1) {
  Result<QuantizedMatrix> q =
      quantize(w.data(), DType::kF32, rows, cols, spec, g, threads);
  EXPECT_TRUE(q.isOk()) << q.status().message();
  if (!q)
    return QuantizedMatrix{};
  return std::move(q).value();
}

inline std::vector<float> dequantizeOrDie(const QuantizedMatrix &q) {
  std::vector<float> out(static_cast<size_t>(q.rows * q.cols));
  Status s = dequantize(q.view(), out.data());
  EXPECT_TRUE(s.isOk()) << s.message();
  return out;
}

// Codes of row r, unpacked by the hand-written reference.
inline std::vector<uint8_t> codesOf(const QuantizedMatrix &q, int64_t r = 0) {
  int64_t words = packedWordsPerRow(q.spec, q.cols);
  return unpackByHand(q.packed.data() + r * words,
                      static_cast<size_t>(q.cols), q.spec.bits);
}

inline std::vector<float> gaussian(size_t n, uint32_t seed, float sigma = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, sigma);
  std::vector<float> v(n);
  for (float &x : v)
    x = d(rng);
  return v;
}

inline std::vector<QuantSpec> allSpecs() {
  std::vector<QuantSpec> specs;
  for (int bits : {2, 3, 4, 5, 6, 8})
    for (int g : {32, 64, 128})
      specs.push_back({Mode::kAffine, bits, g, false});
  specs.push_back(defaultSpec(Mode::kMxfp4));
  specs.push_back(defaultSpec(Mode::kMxfp8));
  specs.push_back(defaultSpec(Mode::kNvfp4));
  return specs;
}

inline std::string specName(const QuantSpec &s) {
  return std::string(modeName(s.mode)) + "/b" + std::to_string(s.bits) + "/g" +
         std::to_string(s.groupSize) + (s.globalScale ? "/gs" : "");
}

} // namespace vlmc::quant::test
