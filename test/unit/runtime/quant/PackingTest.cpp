// Bit packing: the library's packer/unpacker against a bit-by-bit reference
// (TestUtil.h) and against hand-computed words at straddling positions.
#include "TestUtil.h"

namespace vlmc::quant {
namespace {

using test::packByHand;

class PackingTest : public ::testing::TestWithParam<int> {};

TEST_P(PackingTest, MatchesBitByBitLayoutAndRoundTrips) {
  const int bits = GetParam();
  std::mt19937 rng(1234u + static_cast<unsigned>(bits));
  // 96 codes: a multiple of 32 so every width fills whole words, and long
  // enough that 3/5/6-bit codes straddle several word boundaries.
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<uint8_t> codes(96);
    for (uint8_t &c : codes)
      c = static_cast<uint8_t>(rng() & ((1u << bits) - 1u));
    std::vector<uint32_t> words(static_cast<size_t>(packedWordCount(96, bits)));
    ASSERT_EQ(words.size(), 96u * bits / 32u);
    ASSERT_TRUE(packCodes(codes.data(), 96, bits, words.data()).isOk());
    EXPECT_EQ(words, packByHand(codes, bits));
    std::vector<uint8_t> back(96);
    ASSERT_TRUE(unpackCodes(words.data(), 96, bits, back.data()).isOk());
    EXPECT_EQ(back, codes);
    for (int j = 0; j < 96; ++j)
      ASSERT_EQ(extractCode(words.data(), j, bits), codes[j]) << "index " << j;
  }
}

TEST_P(PackingTest, PartialLastWordIsZeroFilled) {
  const int bits = GetParam();
  std::vector<uint8_t> codes(7, static_cast<uint8_t>((1u << bits) - 1u));
  std::vector<uint32_t> words(static_cast<size_t>(packedWordCount(7, bits)),
                              0xDEADBEEFu);
  ASSERT_TRUE(packCodes(codes.data(), 7, bits, words.data()).isOk());
  EXPECT_EQ(words, packByHand(codes, bits));
}

TEST_P(PackingTest, CodesAreMaskedToWidth) {
  const int bits = GetParam();
  std::vector<uint8_t> codes(32, 0xFF);
  std::vector<uint32_t> words(static_cast<size_t>(bits));
  ASSERT_TRUE(packCodes(codes.data(), 32, bits, words.data()).isOk());
  for (uint32_t w : words)
    EXPECT_EQ(w, 0xFFFFFFFFu);
}

INSTANTIATE_TEST_SUITE_P(AllWidths, PackingTest,
                         ::testing::Values(2, 3, 4, 5, 6, 8));

TEST(PackingTest, FourBitNibbleOrder) {
  // Element 0 in the least-significant nibble (mlx-quant.md §1.3/§1.5).
  const uint8_t codes[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  uint32_t w = 0;
  ASSERT_TRUE(packCodes(codes, 8, 4, &w).isOk());
  EXPECT_EQ(w, 0x87654321u);
}

TEST(PackingTest, TwoAndEightBitOrder) {
  const uint8_t c2[16] = {1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3};
  uint32_t w = 0;
  ASSERT_TRUE(packCodes(c2, 16, 2, &w).isOk());
  EXPECT_EQ(w, 0xC0000039u); // 01 | 10<<2 | 11<<4, element 15 at bits 30-31
  const uint8_t c8[4] = {0xFE, 0xEC, 0x7A, 0xF9};
  ASSERT_TRUE(packCodes(c8, 4, 8, &w).isOk());
  EXPECT_EQ(w, 0xF97AECFEu); // little-endian bytes (vector A word 0)
}

TEST(PackingTest, FiveBitCodeStraddlesWordZeroAndOne) {
  // Element 6 occupies bits 30..34: its low 2 bits (0b11) end word 0 and its
  // high 3 bits (0b101) start word 1. 23 = 0b10111.
  std::vector<uint8_t> codes(32, 0);
  codes[6] = 23;
  std::vector<uint32_t> words(5);
  ASSERT_TRUE(packCodes(codes.data(), 32, 5, words.data()).isOk());
  EXPECT_EQ(words[0], 0xC0000000u);
  EXPECT_EQ(words[1], 0x00000005u);
  EXPECT_EQ(extractCode(words.data(), 6, 5), 23u);
}

TEST(PackingTest, SixBitCodeStraddlesWordZeroAndOne) {
  // Element 5 occupies bits 30..35: low 2 bits 0b01, high 4 bits 0b1011.
  // 45 = 0b101101.
  std::vector<uint8_t> codes(16, 0);
  codes[5] = 45;
  std::vector<uint32_t> words(3);
  ASSERT_TRUE(packCodes(codes.data(), 16, 6, words.data()).isOk());
  EXPECT_EQ(words[0], 0x40000000u);
  EXPECT_EQ(words[1], 0x0000000Bu);
  EXPECT_EQ(words[2], 0u);
  uint8_t back[16];
  ASSERT_TRUE(unpackCodes(words.data(), 16, 6, back).isOk());
  EXPECT_EQ(back[5], 45);
}

TEST(PackingTest, ThreeBitCodeStraddlesWordOneAndTwo) {
  // Element 21 occupies bits 63..65: bit 63 ends word 1, bits 64-65 start
  // word 2. 6 = 0b110 -> word1 bit 31 = 0, word2 = 0b11.
  std::vector<uint8_t> codes(32, 0);
  codes[21] = 6;
  std::vector<uint32_t> words(3);
  ASSERT_TRUE(packCodes(codes.data(), 32, 3, words.data()).isOk());
  EXPECT_EQ(words[0], 0u);
  EXPECT_EQ(words[1], 0u);
  EXPECT_EQ(words[2], 3u);
  codes[21] = 5; // 0b101 -> word1 bit 31 = 1, word2 = 0b10
  ASSERT_TRUE(packCodes(codes.data(), 32, 3, words.data()).isOk());
  EXPECT_EQ(words[1], 0x80000000u);
  EXPECT_EQ(words[2], 2u);
}

TEST(PackingTest, RejectsUnsupportedWidths) {
  uint8_t c[8] = {};
  uint32_t w[2] = {};
  for (int bits : {0, 1, 7, 9, 16}) {
    EXPECT_FALSE(packCodes(c, 8, bits, w).isOk()) << bits;
    EXPECT_FALSE(unpackCodes(w, 8, bits, c).isOk()) << bits;
  }
  EXPECT_FALSE(packCodes(c, -1, 4, w).isOk());
  EXPECT_FALSE(packCodes(nullptr, 8, 4, w).isOk());
}

} // namespace
} // namespace vlmc::quant
