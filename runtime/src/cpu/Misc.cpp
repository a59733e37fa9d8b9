// Gathers, elementwise ops and layout ops: memory-bound loops kept simple
// (GCC vectorizes the elementwise ones at -O3).
#include "vlmc/cpu/Kernels.h"

#include <cmath>
#include <cstring>
#include <string>

namespace vlmc::cpu {
namespace {

std::string str(int64_t v) { return std::to_string(v); }

} // namespace

Status embedding(const int32_t *ids, int64_t n, const float *table,
                 int64_t vocab, int64_t width, float *out) {
  if (n < 0 || vocab < 0 || width < 0)
    return invalidArgument("[embedding] negative size");
  if (n > 0 && (!ids || (width > 0 && (!table || !out))))
    return invalidArgument("[embedding] null ids, table or output");
  for (int64_t i = 0; i < n; ++i)
    if (ids[i] < 0 || ids[i] >= vocab)
      return outOfRange("[embedding] token id " + str(ids[i]) +
                        " at position " + str(i) +
                        " is out of range for a vocabulary of " + str(vocab));
  for (int64_t i = 0; i < n && width > 0; ++i)
    std::memcpy(out + i * width, table + static_cast<int64_t>(ids[i]) * width,
                sizeof(float) * static_cast<size_t>(width));
  return Status::ok();
}

Status activation(int kind, const float *x, int64_t n, float *y) {
  if (kind < kSilu || kind > kQuickGelu)
    return invalidArgument("[activation] unknown activation kind " + str(kind) +
                           " (0 silu, 1 gelu, 2 gelu_tanh, 3 quick_gelu)");
  if (n <= 0)
    return Status::ok();
  switch (kind) {
  case kSilu:
    for (int64_t i = 0; i < n; ++i)
      y[i] = x[i] / (1.0f + std::exp(-x[i]));
    break;
  case kGelu:
    for (int64_t i = 0; i < n; ++i)
      y[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * 0.70710678118654752f));
    break;
  case kGeluTanh:
    for (int64_t i = 0; i < n; ++i) {
      const float v = x[i];
      const float inner = 0.79788456080286536f * (v + 0.044715f * v * v * v);
      y[i] = 0.5f * v * (1.0f + std::tanh(inner));
    }
    break;
  default: // kQuickGelu: x * sigmoid(1.702 x)
    for (int64_t i = 0; i < n; ++i)
      y[i] = x[i] / (1.0f + std::exp(-1.702f * x[i]));
    break;
  }
  return Status::ok();
}

int32_t argMax(const float *x, int64_t n) {
  int64_t best = -1;
  for (int64_t i = 0; i < n; ++i)
    if (!std::isnan(x[i]) && (best < 0 || x[i] > x[best]))
      best = i;
  return int32_t(best < 0 ? 0 : best);
}

void add(const float *a, const float *b, int64_t n, float *y) {
  for (int64_t i = 0; i < n; ++i)
    y[i] = a[i] + b[i];
}

void mul(const float *a, const float *b, int64_t n, float *y) {
  for (int64_t i = 0; i < n; ++i)
    y[i] = a[i] * b[i];
}

Status pixelShuffle(const float *x, int64_t T, int64_t G, int64_t C,
                    int64_t scale, float *y) {
  if (T < 0 || G < 0 || C < 0)
    return invalidArgument("[pixel_shuffle] negative size");
  if (scale < 1 || G % scale != 0)
    return invalidArgument("[pixel_shuffle] grid side " + str(G) +
                           " is not divisible by the scale factor " +
                           str(scale));
  const int64_t g = G / scale;
  const size_t rowBytes = sizeof(float) * static_cast<size_t>(C);
  if (T == 0 || G == 0 || C == 0)
    return Status::ok();
  if (!x || !y)
    return invalidArgument("[pixel_shuffle] null input or output");
  // Output cell (i, j) concatenates the scale x scale input cells of its
  // block, dy outer and dx inner, each a contiguous run of C channels.
  for (int64_t t = 0; t < T; ++t) {
    const float *xt = x + t * G * G * C;
    float *yt = y + t * G * G * C;
    for (int64_t i = 0; i < g; ++i)
      for (int64_t j = 0; j < g; ++j) {
        float *cell = yt + (i * g + j) * scale * scale * C;
        for (int64_t dy = 0; dy < scale; ++dy)
          for (int64_t dx = 0; dx < scale; ++dx)
            std::memcpy(cell + (dy * scale + dx) * C,
                        xt + ((i * scale + dy) * G + (j * scale + dx)) * C,
                        rowBytes);
      }
  }
  return Status::ok();
}

Status spliceImageTokens(const float *image, int64_t M, const float *embeddings,
                         const int32_t *ids, int64_t L, int64_t E,
                         int64_t imageTokenId, float *out) {
  if (M < 0 || L < 0 || E < 0)
    return invalidArgument("[splice_image_tokens] negative size");
  if (L > 0 && !ids)
    return invalidArgument("[splice_image_tokens] null ids");
  int64_t count = 0;
  for (int64_t i = 0; i < L; ++i)
    count += ids[i] == imageTokenId;
  if (count != M)
    return invalidArgument("the prompt has " + str(count) +
                           " image tokens but the images produced " + str(M) +
                           " embeddings");
  if (L == 0 || E == 0)
    return Status::ok();
  if (!embeddings || !out || (M > 0 && !image))
    return invalidArgument("[splice_image_tokens] null input or output");
  const size_t rowBytes = sizeof(float) * static_cast<size_t>(E);
  int64_t next = 0;
  for (int64_t i = 0; i < L; ++i) {
    const float *src =
        ids[i] == imageTokenId ? image + (next++) * E : embeddings + i * E;
    if (src != out + i * E) // out may be embeddings
      std::memcpy(out + i * E, src, rowBytes);
  }
  return Status::ok();
}

} // namespace vlmc::cpu
