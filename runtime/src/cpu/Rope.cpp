// Rotate-half RoPE (1-D, Qwen2-VL M-RoPE, vision 2-D RoPE). Angles follow
// HF's fp32 arithmetic: inv_freq = 1 / base ** (arange(0, n, 2).float() / n),
// freqs = pos.float() * inv_freq, then cos/sin -- matching that keeps large
// positions (where an angle's last ulp matters) within 1e-5.
//
// An ulp of inv_freq is worth pos * 6e-8 of angle (2e-3 at position 32k), so
// base ** e is taken correctly rounded (double pow, rounded to fp32) instead
// of from libm's powf, whose last bit varies between versions (torch's Sleef
// powf is 1-ulp accurate too). Likewise cos/sin are evaluated in double on
// the fp32 angle and rounded: the reference must not depend on the machine.
#include "vlmc/cpu/Kernels.h"

#include <cmath>
#include <new>
#include <string>
#include <vector>

namespace vlmc::cpu {
namespace {

Status ropeError(const std::string &m) {
  return invalidArgument("[rope] " + m);
}

} // namespace

Status rope(const float *x, float *y, int64_t S, int64_t H, int64_t D,
            const int32_t *positions, int64_t streams, const int64_t *sections,
            int64_t numSections, float theta, bool axial) {
  if (S < 0 || H < 0 || D < 0)
    return ropeError("negative shape [" + std::to_string(S) + ", " +
                     std::to_string(H) + ", " + std::to_string(D) + "]");
  if (D % 2 != 0)
    return ropeError("head dim " + std::to_string(D) + " is odd");
  const int64_t half = D / 2;
  if (numSections < 0 || (numSections > 0 && !sections))
    return ropeError("invalid sections");
  const int64_t expectedStreams = numSections > 0 ? numSections : 1;
  if (streams != expectedStreams)
    return ropeError("positions have " + std::to_string(streams) +
                     " streams but " + std::to_string(expectedStreams) +
                     " are needed (one per section)");
  if (axial && numSections == 0)
    return ropeError("axial RoPE needs sections");
  int64_t total = 0;
  for (int64_t s = 0; s < numSections; ++s) {
    if (sections[s] <= 0)
      return ropeError("section " + std::to_string(s) + " has size " +
                       std::to_string(sections[s]));
    total += sections[s];
  }
  if (numSections > 0 && total != half)
    return ropeError("sections sum to " + std::to_string(total) +
                     " but must sum to D/2 = " + std::to_string(half));
  if (S == 0 || H == 0 || D == 0)
    return Status::ok();
  if (!x || !y || !positions)
    return ropeError("null input or output");

  // Per slot: its inverse frequency and the stream giving its position.
  std::vector<float> inv;
  std::vector<int64_t> stream;
  std::vector<float> cosines, sines;
  try {
    inv.resize(static_cast<size_t>(half));
    cosines.resize(static_cast<size_t>(half));
    sines.resize(static_cast<size_t>(half));
    stream.resize(static_cast<size_t>(half), 0);
  } catch (const std::bad_alloc &) {
    return Status(StatusCode::kResourceExhausted, "[rope] out of memory");
  }
  int64_t start = 0;
  for (int64_t s = 0; s < (numSections > 0 ? numSections : 1); ++s) {
    const int64_t size = numSections > 0 ? sections[s] : half;
    for (int64_t i = start; i < start + size; ++i) {
      const int64_t j = axial ? i - start : i; // slot index
      const float n =
          static_cast<float>(axial ? 2 * size : D);         // embedding width
      const float exponent = static_cast<float>(2 * j) / n; // fp32, as HF
      const float power = static_cast<float>(
          std::pow(static_cast<double>(theta), static_cast<double>(exponent)));
      inv[static_cast<size_t>(i)] = 1.0f / power;
      stream[static_cast<size_t>(i)] = s;
    }
    start += size;
  }

  for (int64_t t = 0; t < S; ++t) {
    // cos/sin once per token and slot, shared by all heads.
    for (int64_t i = 0; i < half; ++i) {
      const size_t si = static_cast<size_t>(i);
      const float pos = static_cast<float>(positions[stream[si] * S + t]);
      const float angle = pos * inv[si];
      cosines[si] = static_cast<float>(std::cos(static_cast<double>(angle)));
      sines[si] = static_cast<float>(std::sin(static_cast<double>(angle)));
    }
    for (int64_t h = 0; h < H; ++h) {
      const float *xr = x + (t * H + h) * D;
      float *yr = y + (t * H + h) * D;
      for (int64_t i = 0; i < half; ++i) {
        const size_t si = static_cast<size_t>(i);
        const float a = xr[i], b = xr[i + half]; // both read first: y may be x
        yr[i] = a * cosines[si] - b * sines[si];
        yr[i + half] = b * cosines[si] + a * sines[si];
      }
    }
  }
  return Status::ok();
}

} // namespace vlmc::cpu
