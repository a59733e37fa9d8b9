#include "vlmc/artifact/SyntheticWeights.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <thread>
#include <vector>

namespace vlmc::artifact {

namespace {

// splitmix64: fast, and good enough for values nobody reads.
struct Random {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [lo, hi).
  float uniform(float lo, float hi) {
    return lo + (hi - lo) * float(next() >> 40) * (1.0f / float(1 << 24));
  }
};

uint16_t toBF16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  u += 0x7FFF + ((u >> 16) & 1);
  return uint16_t(u >> 16);
}

// For the finite, small values generated here: below f16's normal range
// they become zero, mantissas are truncated.
uint16_t toF16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  uint16_t sign = uint16_t((u >> 16) & 0x8000);
  int exponent = int((u >> 23) & 0xFF) - 127 + 15;
  if (exponent <= 0)
    return sign;
  return uint16_t(sign | (exponent << 10) | ((u >> 13) & 0x3FF));
}

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

enum class Role { kWeight, kNorm, kAffineScale, kAffineBias, kGlobalScale, kCodes, kBlockScale };

Role roleOf(const fb::Tensor &t) {
  std::string_view name = t.name()->string_view();
  const bool quantized = t.quant() && t.quant()->mode() != fb::QuantMode::None;
  if (quantized && endsWith(name, "global_scale"))
    return Role::kGlobalScale;
  if (quantized && endsWith(name, ".scales"))
    return t.dtype() == fb::DType::U8 ? Role::kBlockScale : Role::kAffineScale;
  if (quantized && endsWith(name, ".biases"))
    return Role::kAffineBias;
  if (t.dtype() == fb::DType::U32)
    return Role::kCodes;
  if (name.find("norm") != std::string_view::npos && !endsWith(name, "bias"))
    return Role::kNorm;
  return Role::kWeight;
}

float floatValue(Role role, Random &r) {
  switch (role) {
  case Role::kNorm: return r.uniform(0.95f, 1.05f);
  case Role::kAffineScale: return r.uniform(0.0015f, 0.003f);
  case Role::kAffineBias: return r.uniform(-0.02f, -0.005f);
  case Role::kGlobalScale: return 1.0f;
  default: return r.uniform(-0.03f, 0.03f);
  }
}

void fillTensor(const fb::Tensor &t, uint64_t seed, uint8_t *out) {
  Random r{seed * 0xD1B54A32D192ED03ull + 1};
  const size_t bytes = size_t(t.size());
  const Role role = roleOf(t);
  const fb::QuantMode mode = t.quant() ? t.quant()->mode() : fb::QuantMode::None;
  switch (t.dtype()) {
  case fb::DType::F32:
    for (size_t i = 0; i + 4 <= bytes; i += 4) {
      float v = floatValue(role, r);
      std::memcpy(out + i, &v, 4);
    }
    return;
  case fb::DType::BF16:
  case fb::DType::F16:
    for (size_t i = 0; i + 2 <= bytes; i += 2) {
      float v = floatValue(role, r);
      uint16_t h = t.dtype() == fb::DType::BF16 ? toBF16(v) : toF16(v);
      std::memcpy(out + i, &h, 2);
    }
    return;
  case fb::DType::U32:
  case fb::DType::U8:
    for (size_t i = 0; i < bytes; i += 8) {
      uint64_t word = r.next();
      for (size_t j = 0; j < 8 && i + j < bytes; ++j) {
        uint8_t b = uint8_t(word >> (8 * j));
        if (role == Role::kCodes && mode == fb::QuantMode::Mxfp8)
          b &= 0xBF; // E4M3 below 2: never the NaN codes 0x7F / 0xFF
        else if (role == Role::kBlockScale)
          b = mode == fb::QuantMode::Nvfp4 ? uint8_t(0x30 + (b & 0x0F)) // E4M3 0.25..0.9
                                           : uint8_t(120 + (b & 0x07));  // E8M0 2^-7..2^0
        else if (role != Role::kCodes)
          b = 0;
        out[i + j] = b;
      }
    }
    return;
  default:
    std::memset(out, 0, bytes);
    return;
  }
}

} // namespace

Result<std::shared_ptr<uint8_t>> generateSyntheticWeights(const fb::Artifact &root,
                                                          uint64_t size) {
  const uint64_t page = uint64_t(sysconf(_SC_PAGESIZE));
  const uint64_t physical = uint64_t(sysconf(_SC_PHYS_PAGES)) * page;
  if (physical > 0 && size > physical)
    return Status(StatusCode::kResourceExhausted, "synthetic weights of " + std::to_string(size) +
                             " bytes do not fit this machine's memory (" +
                             std::to_string(physical) + " bytes)");
  const uint64_t rounded = (size + page - 1) / page * page;
  uint8_t *memory = static_cast<uint8_t *>(std::aligned_alloc(page, rounded));
  if (!memory)
    return Status(StatusCode::kResourceExhausted, "cannot allocate " + std::to_string(size) +
                             " bytes for synthetic weights");
  std::shared_ptr<uint8_t> segment(memory, [](uint8_t *p) { std::free(p); });
  std::memset(memory + size, 0, rounded - size);

  // Tied tensors may share one range: fill each range once. Ranges that
  // overlap otherwise (no writer makes them) are filled on one thread.
  struct Range {
    uint64_t offset, size;
    uint32_t tensor;
  };
  std::vector<Range> ranges;
  const auto *tensors = root.tensors();
  for (uint32_t i = 0; tensors && i < tensors->size(); ++i)
    ranges.push_back({tensors->Get(i)->offset(), tensors->Get(i)->size(), i});
  std::sort(ranges.begin(), ranges.end(), [](const Range &a, const Range &b) {
    return a.offset != b.offset ? a.offset < b.offset : a.size > b.size;
  });
  std::vector<Range> unique;
  bool disjoint = true;
  for (const Range &r : ranges) {
    if (!unique.empty() && r.offset == unique.back().offset)
      continue;
    if (!unique.empty() && r.offset < unique.back().offset + unique.back().size)
      disjoint = false;
    unique.push_back(r);
  }
  std::memset(memory, 0, size_t(unique.empty() ? size : unique.front().offset));
  auto fill = [&](size_t first, size_t step) {
    for (size_t i = first; i < unique.size(); i += step)
      fillTensor(*tensors->Get(unique[i].tensor), unique[i].tensor,
                 memory + unique[i].offset);
  };
  const size_t threads =
      disjoint ? std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 16) : 1;
  std::vector<std::thread> workers;
  for (size_t t = 1; t < threads; ++t)
    workers.emplace_back(fill, t, threads);
  fill(0, threads);
  for (std::thread &w : workers)
    w.join();
  return segment;
}

} // namespace vlmc::artifact
