// Mutation fuzzing of the safetensors reader: thousands of corrupted images
// (fixed seed, so failures reproduce) must either open with every view inside
// the buffer and consistent with its dtype/shape, or fail with a Status.
// Never a crash - this test is also meant to run under AddressSanitizer.
#include "TestUtil.h"
#include "vlmc/io/SafetensorsWriter.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <random>

using namespace vlmc;
using namespace vlmc::io;
using namespace vlmc::io::testing;

namespace {

// Valid seed images: a few dtypes, a scalar, an empty tensor, metadata.
std::vector<std::string> seedImages() {
  TempDir dir;
  std::vector<std::string> seeds;
  std::vector<std::vector<TensorData>> sets = {
      {{{"a", DType::kF32, {2, 3}}, std::string(24, '\1')},
       {{"b", DType::kBF16, {5}}, std::string(10, '\2')},
       {{"c", DType::kU8, {0}}, ""},
       {{"d", DType::kI64, {}}, std::string(8, '\3')}},
      {{{"layers.0.weight", DType::kU32, {4, 2}}, std::string(32, '\4')},
       {{"layers.0.scales", DType::kF8E4M3, {4, 1}}, std::string(4, '\5')}},
  };
  int i = 0;
  for (const auto &set : sets)
    for (HeaderStyle style : {HeaderStyle::kPadded, HeaderStyle::kMlx}) {
      std::string path = dir / ("seed" + std::to_string(i++));
      EXPECT_TRUE(
          writeSafetensors(path, set, {{{"format", "pt"}}, style}).isOk());
      seeds.push_back(readFile(path));
    }
  return seeds;
}

uint64_t headerLen(const std::string &img) {
  if (img.size() < 8)
    return 0;
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i)
    n = (n << 8) | uint8_t(img[i]);
  return n;
}

void setHeaderLen(std::string &img, uint64_t n) {
  for (int i = 0; i < 8; ++i)
    img[i] = char(n >> (8 * i));
}

// Re-serializes a structurally edited header (keeps the data section).
std::string withHeader(const std::string &img, const std::string &header) {
  uint64_t n = std::min<uint64_t>(headerLen(img), img.size() - 8);
  return makeImage(header, img.substr(8 + n));
}

std::string mutate(const std::string &seed, std::mt19937_64 &rng) {
  std::string img = seed;
  if (img.size() < 8) // too short for anything but growing garbage
    return img + std::string(rng() % 16, char(rng()));
  auto pick = [&](uint64_t n) { return n ? rng() % n : 0; };
  const uint64_t n = headerLen(img);
  switch (pick(10)) {
  case 0: { // bit flips anywhere
    int flips = 1 + int(pick(4));
    for (int i = 0; i < flips; ++i)
      img[pick(img.size())] ^= char(1u << pick(8));
    break;
  }
  case 1: // truncation
    img.resize(pick(img.size()));
    break;
  case 2: { // header length lies
    static const uint64_t lies[] = {0, 1, 7, 100'000'001, ~uint64_t(0),
                                    uint64_t(1) << 40};
    uint64_t v = pick(2) ? lies[pick(6)] : n + int64_t(pick(33)) - 16;
    setHeaderLen(img, v);
    break;
  }
  case 3: { // byte replaced inside the JSON by a structural character
    static const char chars[] = "{}[]\",:-0123456789e.ntfu\\ \x00\xff";
    if (n > 0 && n <= img.size() - 8)
      img[8 + pick(n)] = chars[pick(sizeof chars - 1)];
    break;
  }
  case 4: { // JSON garbage inserted / deleted
    if (n == 0 || n > img.size() - 8)
      break;
    size_t pos = 8 + pick(n);
    if (pick(2)) {
      img.insert(pos, std::string(1 + pick(5), char(pick(256))));
      setHeaderLen(img, n + (img.size() - seed.size()));
    } else {
      size_t len = std::min<size_t>(1 + pick(6), 8 + n - pos);
      img.erase(pos, len);
      setHeaderLen(img, n - len);
    }
    break;
  }
  default: { // structured lies: offsets, shapes, dtypes, names, metadata
    uint64_t hn = std::min<uint64_t>(n, img.size() - 8);
    auto j = nlohmann::json::parse(img.begin() + 8, img.begin() + 8 + long(hn),
                                   nullptr, false);
    if (j.is_discarded() || !j.is_object() || j.size() < 2)
      break;
    auto it = j.begin();
    std::advance(it, 1 + pick(j.size() - 1)); // skip __metadata__ (sorted first)
    auto &e = it.value();
    if (!e.is_object())
      break;
    static const nlohmann::json values[] = {
        -1, 0, 1, 3, 7, 8, 24, 4096, uint64_t(1) << 62, ~uint64_t(0),
        1.5, "x", nullptr, nlohmann::json::array(), nlohmann::json::object()};
    auto val = [&] { return values[pick(15)]; };
    switch (pick(7)) {
    case 0: e["data_offsets"][pick(2)] = val(); break;
    case 1:
      if (e["shape"].is_array() && !e["shape"].empty())
        e["shape"][pick(e["shape"].size())] = val();
      else
        e["shape"] = {val()};
      break;
    case 2: {
      static const char *dts[] = {"F32", "U8", "F64", "F8_E8M0", "Q4", ""};
      e["dtype"] = dts[pick(6)];
      break;
    }
    case 3: e.erase(pick(2) ? "dtype" : "data_offsets"); break;
    case 4: j["__metadata__"] = val(); break;
    case 5: j[it.key() + "x"] = e; break; // a second tensor, same range
    default: e["shape"].push_back(val()); break;
    }
    img = withHeader(img, j.dump());
    break;
  }
  }
  return img;
}

TEST(SafetensorsFuzz, MutatedImagesNeverEscapeTheBuffer) {
  std::vector<std::string> seeds = seedImages();
  ASSERT_FALSE(seeds.empty());
  std::mt19937_64 rng(0x5afe7e2505ull);
  int opened = 0, rejected = 0;
  constexpr int kIterations = 20000;
  for (int iter = 0; iter < kIterations; ++iter) {
    std::string img = seeds[rng() % seeds.size()];
    // Stack up to three mutations so combined lies are explored too.
    int rounds = 1 + int(rng() % 3);
    for (int r = 0; r < rounds; ++r)
      img = mutate(img, rng);
    auto f = SafetensorsFile::fromBytes(img, "fuzz.safetensors");
    if (!f.isOk()) {
      ++rejected;
      EXPECT_FALSE(f.status().message().empty());
      continue;
    }
    ++opened;
    // The reader copies the image; bound-check against its own data span by
    // walking the views: contiguous, inside [header end, end of image).
    uint64_t total = 0;
    for (const TensorView &v : f->tensors()) {
      auto numel = checkedNumel(v.shape);
      ASSERT_TRUE(numel.has_value()) << "iteration " << iter;
      ASSERT_EQ(uint64_t(*numel) * dtypeSize(v.dtype), v.nbytes);
      total += v.nbytes;
      if (v.nbytes) {
        // Touch first and last byte: ASan flags any view outside the buffer.
        volatile uint8_t first = v.data[0], last = v.data[v.nbytes - 1];
        (void)first;
        (void)last;
      }
    }
    ASSERT_EQ(8 + f->headerSize() + total, img.size()) << "iteration " << iter;
  }
  // Both outcomes must actually be exercised.
  EXPECT_GT(opened, 100);
  EXPECT_GT(rejected, kIterations / 2);
}

} // namespace
