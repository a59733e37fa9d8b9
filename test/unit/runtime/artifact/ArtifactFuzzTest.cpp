// Mutation fuzzing of the artifact reader: thousands of corrupted images
// (fixed seed, so failures reproduce) must either load with every view inside
// the image, or fail with a Status. Never a crash - the runtime's CI runs this
// under AddressSanitizer and UndefinedBehaviorSanitizer.
#include "TestArtifacts.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>

using namespace vlmc;
using namespace vlmc::artifact;
using namespace vlmc::artifact::testing;

namespace {

constexpr int kIterations = 20000;

bool within(ByteSpan inner, const uint8_t *begin, const uint8_t *end) {
  return inner.size == 0 || (inner.begin() >= begin && inner.end() <= end &&
                             inner.begin() <= inner.end());
}

// Reads everything a consumer would, so sanitizers see any stray access.
void exercise(const Artifact &a) {
  const uint8_t *begin = a.flatbuffer().data - kHeaderSize;
  const uint8_t *end = begin + a.fileSize();
  ASSERT_TRUE(within(a.flatbuffer(), begin, end));
  ASSERT_TRUE(within(a.weightsSegment(), begin, end));
  const uint8_t *wBegin = a.weightsSegment().begin();
  const uint8_t *wEnd = a.weightsSegment().end();
  unsigned sum = 0;
  for (size_t i = 0; i < a.tensorCount(); ++i) {
    ByteSpan data = a.tensorData(i);
    ASSERT_TRUE(within(data, wBegin, wEnd)) << i;
    for (size_t k = 0; k < data.size; ++k)
      sum += data.data[k];
    ASSERT_EQ(a.findTensor(a.tensor(i)->name()->string_view()).has_value(),
              true);
  }
  const fb::Artifact &root = a.root();
  if (root.files())
    for (const auto *f : *root.files()) {
      auto data = a.embeddedFile(f->name()->string_view());
      ASSERT_TRUE(data.has_value());
      ByteSpan span{reinterpret_cast<const uint8_t *>(data->data()),
                    data->size()};
      ASSERT_TRUE(within(span, a.flatbuffer().begin(), a.flatbuffer().end()));
    }
  if (root.functions())
    for (const auto *f : *root.functions()) {
      ASSERT_EQ(a.findFunction(f->name()->string_view()) != nullptr, true);
      const uint32_t values = f->values() ? f->values()->size() : 0;
      if (!f->ops())
        continue;
      for (const auto *op : *f->ops()) {
        const auto *inputs = op->inputs();
        for (uint32_t k = 0; inputs && k < inputs->size(); ++k)
          ASSERT_TRUE(inputs->Get(k) >= -1 && inputs->Get(k) < int64_t(values));
        const auto *outputs = op->outputs();
        for (uint32_t k = 0; outputs && k < outputs->size(); ++k)
          ASSERT_TRUE(outputs->Get(k) >= 0 &&
                      outputs->Get(k) < int64_t(values));
        const auto *attrs = op->i64_attrs();
        for (uint32_t k = 0; attrs && k < attrs->size(); ++k)
          sum += unsigned(attrs->Get(k));
        if (op->code() == fb::OpCode::Parameter) {
          ASSERT_NE(a.tensor(size_t(op->tensor())), nullptr);
        }
      }
    }
  (void)sum;
}

class Mutator {
public:
  explicit Mutator(uint64_t seed) : rng_(seed) {}

  std::string mutate(const std::string &seed) {
    std::string img = seed;
    const Header h = readHeader(img);
    const size_t fbBegin = kHeaderSize;
    const size_t fbEnd =
        std::min<size_t>(img.size(), kHeaderSize + h.flatbufferSize);
    switch (pick(9)) {
    case 0: // bit flips anywhere
      flipBits(img, 0, img.size());
      break;
    case 1: // bit flips in the header
      flipBits(img, 0, kHeaderSize);
      break;
    case 2: // bit flips in the flatbuffer
    case 3:
      flipBits(img, fbBegin, fbEnd);
      break;
    case 4: // an offset/length inside the flatbuffer replaced by a lie
      lie32(img, fbBegin, fbEnd);
      break;
    case 5: // a header field replaced by a lie
      lieHeader(img);
      break;
    case 6: // truncation
      img.resize(pick(img.size()));
      break;
    case 7: // garbage appended, or random bytes overwritten
      if (pick(2))
        img += std::string(pick(64), char(rng_()));
      else
        for (int i = 0, n = 1 + int(pick(16)); i < n; ++i)
          img[pick(img.size())] = char(rng_());
      break;
    case 8: // several mutations at once
      for (int i = 0; i < 3; ++i)
        img = mutate(img);
      break;
    }
    return img;
  }

private:
  uint64_t pick(uint64_t n) { return n ? rng_() % n : 0; }

  void flipBits(std::string &img, size_t begin, size_t end) {
    end = std::min(end, img.size());
    if (end <= begin)
      return;
    for (int i = 0, n = 1 + int(pick(4)); i < n; ++i)
      img[begin + pick(end - begin)] ^= char(1u << pick(8));
  }

  uint32_t interesting32(size_t size) {
    const uint32_t values[] = {0,
                               1,
                               4,
                               8,
                               0x7fffffff,
                               0x80000000,
                               0xffffffff,
                               0xfffffffc,
                               uint32_t(size),
                               uint32_t(size - 4),
                               uint32_t(rng_() % 4096)};
    return values[pick(sizeof values / sizeof values[0])];
  }

  void lie32(std::string &img, size_t begin, size_t end) {
    end = std::min(end, img.size());
    if (end < begin + 4)
      return;
    size_t at = begin + pick((end - begin) / 4) * 4;
    uint32_t v = interesting32(end - begin);
    std::memcpy(img.data() + at, &v, 4);
  }

  void lieHeader(std::string &img) {
    if (img.size() < kHeaderSize)
      return;
    const uint64_t size = img.size();
    const uint64_t lies[] = {0,
                             1,
                             63,
                             64,
                             4095,
                             4096,
                             8192,
                             size,
                             size - 1,
                             size + 1,
                             uint64_t(1) << 31,
                             uint64_t(1) << 32,
                             uint64_t(1) << 63,
                             ~uint64_t(0),
                             ~uint64_t(0) - 4095};
    const uint64_t lie = lies[pick(sizeof lies / sizeof lies[0])];
    // Fields: version+flags (8), flatbufferOffset (16), flatbufferSize (24),
    // weightsOffset (32), weightsSize (40).
    const size_t fields[] = {8, 16, 24, 32, 40};
    size_t at = fields[pick(5)];
    if (at == 8) {
      uint32_t v = uint32_t(pick(2) ? lie : pick(4));
      std::memcpy(img.data() + at + 4 * pick(2), &v, 4);
    } else {
      std::memcpy(img.data() + at, &lie, 8);
    }
  }

  std::mt19937_64 rng_;
};

TEST(ArtifactFuzz, MutationsNeverCrash) {
  const std::vector<std::string> seeds = {build(sample()), assemble(sample())};
  for (const auto &seed : seeds) {
    auto a = Artifact::fromBytes(seed, "seed");
    ASSERT_TRUE(a.isOk()) << a.status().message();
  }
  Mutator mutator(0x766c6d63); // "vlmc"
  int loaded = 0, rejected = 0;
  for (int i = 0; i < kIterations; ++i) {
    const std::string img = mutator.mutate(seeds[size_t(i) % seeds.size()]);
    auto a = Artifact::fromBytes(img, "fuzz");
    if (a.isOk()) {
      ++loaded;
      exercise(*a);
      if (::testing::Test::HasFatalFailure()) {
        ADD_FAILURE() << "iteration " << i;
        return;
      }
    } else {
      ++rejected;
      EXPECT_EQ(a.status().message().rfind("fuzz: ", 0), 0u)
          << a.status().message();
    }
  }
  // Both outcomes must be common, or the mutations are not exercising much.
  EXPECT_GT(loaded, kIterations / 20);
  EXPECT_GT(rejected, kIterations / 4);
  std::printf("[ fuzz     ] %d loaded, %d rejected\n", loaded, rejected);
}

} // namespace
