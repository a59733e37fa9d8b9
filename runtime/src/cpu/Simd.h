// Inner loops shared by the matmul kernels, written with GCC/Clang vector
// extensions: 4-wide fp32 vectors map to SSE on x86-64 and NEON on AArch64,
// so no intrinsics and no per-ISA code. With -ffp-contract=off every
// vector op is the same IEEE fp32 op a scalar loop would do, which is what
// makes the accumulation orders documented in vlmc/cpu/Matmul.h hold on any
// machine.
#pragma once

#include <cstdint>
#include <cstring>

namespace vlmc::cpu::detail {

typedef float V4 __attribute__((vector_size(16)));

inline V4 load4(const float *p) {
  V4 v;
  std::memcpy(&v, p, sizeof v); // unaligned load
  return v;
}
inline void store4(float *p, V4 v) { std::memcpy(p, &v, sizeof v); }
inline V4 splat4(float s) { return V4{s, s, s, s}; }

// The documented 8-lane reduction: ((l0+l1)+(l2+l3))+((l4+l5)+(l6+l7)).
inline float sumLanes(V4 lo, V4 hi) {
  return ((lo[0] + lo[1]) + (lo[2] + lo[3])) +
         ((hi[0] + hi[1]) + (hi[2] + hi[3]));
}

// R dot products of length K that share one operand: out[r] = a . b[r].
// Each is summed as 8 lanes (lane l: k = l mod 8, ascending), reduced with
// sumLanes, then the K mod 8 tail is added in ascending k. The order does not
// depend on R, so a product gives the same bits whether it was computed
// alone or next to others, with a or b[r] playing either role.
template <int R>
inline void dotShared(const float *a, const float *const *b, int64_t K,
                      float *out) {
  V4 lo[R], hi[R];
  for (int r = 0; r < R; ++r)
    lo[r] = hi[r] = V4{0, 0, 0, 0};
  int64_t k = 0;
  for (; k + 8 <= K; k += 8) {
    const V4 a0 = load4(a + k), a1 = load4(a + k + 4);
    for (int r = 0; r < R; ++r) {
      lo[r] += a0 * load4(b[r] + k);
      hi[r] += a1 * load4(b[r] + k + 4);
    }
  }
  for (int r = 0; r < R; ++r) {
    float s = sumLanes(lo[r], hi[r]);
    for (int64_t kk = k; kk < K; ++kk)
      s += a[kk] * b[r][kk];
    out[r] = s;
  }
}

// Plain ascending-k fp32 dot product: the order of the panel kernel below
// (and of quant::qmatmulRef), used where no panel can be packed.
inline float dotSequential(const float *a, const float *b, int64_t K) {
  float s = 0.0f;
  for (int64_t k = 0; k < K; ++k)
    s += a[k] * b[k];
  return s;
}

// Panel width: a packed panel holds 8 weight rows transposed, panel[k*8 + j].
constexpr int kPanel = 8;

// 4x4 transpose: a..d are rows, the results columns.
inline void transpose4(V4 &a, V4 &b, V4 &c, V4 &d) {
  typedef int32_t I4 __attribute__((vector_size(16)));
  const V4 t0 = __builtin_shuffle(a, b, I4{0, 4, 1, 5});
  const V4 t1 = __builtin_shuffle(a, b, I4{2, 6, 3, 7});
  const V4 t2 = __builtin_shuffle(c, d, I4{0, 4, 1, 5});
  const V4 t3 = __builtin_shuffle(c, d, I4{2, 6, 3, 7});
  a = __builtin_shuffle(t0, t2, I4{0, 1, 4, 5});
  b = __builtin_shuffle(t0, t2, I4{2, 3, 6, 7});
  c = __builtin_shuffle(t1, t3, I4{0, 1, 4, 5});
  d = __builtin_shuffle(t1, t3, I4{2, 3, 6, 7});
}

// Transposes `count` (<= kPanel) rows of length K (stride ldRows) into a
// panel; missing rows are zero. Full panels go 4 columns at a time.
inline void packPanel(const float *rows, int64_t ldRows, int count, int64_t K,
                      float *panel) {
  int64_t k0 = 0;
  if (count == kPanel) {
    for (; k0 + 4 <= K; k0 += 4) {
      V4 r[kPanel];
      for (int j = 0; j < kPanel; ++j)
        r[j] = load4(rows + j * ldRows + k0);
      transpose4(r[0], r[1], r[2], r[3]);
      transpose4(r[4], r[5], r[6], r[7]);
      for (int i = 0; i < 4; ++i) {
        store4(panel + (k0 + i) * kPanel, r[i]);
        store4(panel + (k0 + i) * kPanel + 4, r[4 + i]);
      }
    }
  }
  for (int64_t k = k0; k < K; ++k)
    for (int j = 0; j < kPanel; ++j)
      panel[k * kPanel + j] = j < count ? rows[j * ldRows + k] : 0.0f;
}

// acc[r][j] = sum_k x[r*ldx + k] * panel[k*8 + j] for MR rows of x, summed
// in ascending k from 0: every output is the plain sequential fp32 sum, so
// the tile shape never changes a result.
template <int MR>
inline void panelKernel(const float *x, int64_t ldx, const float *panel,
                        int64_t K, float (*acc)[kPanel]) {
  V4 lo[MR], hi[MR];
  for (int r = 0; r < MR; ++r)
    lo[r] = hi[r] = V4{0, 0, 0, 0};
  for (int64_t k = 0; k < K; ++k) {
    const V4 p0 = load4(panel + k * kPanel), p1 = load4(panel + k * kPanel + 4);
    for (int r = 0; r < MR; ++r) {
      const V4 xb = splat4(x[r * ldx + k]);
      lo[r] += xb * p0;
      hi[r] += xb * p1;
    }
  }
  for (int r = 0; r < MR; ++r) {
    store4(acc[r], lo[r]);
    store4(acc[r] + 4, hi[r]);
  }
}

} // namespace vlmc::cpu::detail
