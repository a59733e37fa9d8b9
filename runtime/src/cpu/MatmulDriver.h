// The loop structure shared by matmul and the quantized products. A weight
// source hands out rows of W as fp32:
//
//   struct Source {
//     // Scratch floats needed to materialize up to `count` rows.
//     int64_t rowScratch(int count) const;
//     // Rows [n0, n0 + count) as fp32, row stride returned in *ld. May point
//     // into W itself (dense) or into `scratch` (dequantized).
//     const float *rows(int64_t n0, int count, float *scratch, int64_t *ld)
//     const;
//   };
//
// Decode (M <= kDotRowsMax): blocks of 4 weight rows, dot products against
// every x row. Prefill: tasks of (8-row panel, block of x rows); the panel is
// transposed into scratch once per task and swept by the panel kernel.
#pragma once

#include "Simd.h"

#include "vlmc/cpu/Matmul.h"
#include "vlmc/cpu/ThreadPool.h"

#include <algorithm>

namespace vlmc::cpu::detail {

// x rows per prefill task: enough to amortize packing (and, for quantized
// weights, dequantizing) the panel.
constexpr int64_t kPrefillRowBlock = 64;
// Weight rows per decode block.
constexpr int kDecodeRows = 4;

inline float withBias(float acc, const float *bias, int64_t n) {
  return bias ? acc + bias[n] : acc;
}

// One block of `count` (<= kDecodeRows) weight rows against every x row:
// the block is read from memory by the first x row and from L1 afterwards.
inline void decodeBlock(const float *x, int64_t M, int64_t K, const float *rows,
                        int64_t ld, int count, int64_t n0, int64_t N,
                        const float *bias, float *y) {
  const float *wr[kDecodeRows] = {rows, rows + ld, rows + 2 * ld,
                                  rows + 3 * ld};
  for (int64_t m = 0; m < M; ++m) {
    const float *xm = x + m * K;
    float *ym = y + m * N + n0;
    float acc[kDecodeRows];
    if (count == kDecodeRows) {
      dotShared<kDecodeRows>(xm, wr, K, acc);
    } else {
      for (int j = 0; j < count; ++j)
        dotShared<1>(xm, wr + j, K, acc + j);
    }
    for (int j = 0; j < count; ++j)
      ym[j] = withBias(acc[j], bias, n0 + j);
  }
}

// Returns false (nothing computed) when a needed scratch cannot be had.
template <typename Source>
bool runDecode(ThreadPool &pool, const float *x, int64_t M, int64_t K,
               const Source &src, int64_t N, const float *bias, float *y) {
  const int64_t need = src.rowScratch(kDecodeRows);
  if (need > 0 && !pool.reserveScratch(static_cast<size_t>(need)).isOk())
    return false;
  const int64_t blocks = (N + kDecodeRows - 1) / kDecodeRows;
  // About 64k multiply-adds per chunk keeps the pool's overhead small.
  const int64_t grain =
      std::max<int64_t>(1, 65536 / std::max<int64_t>(1, kDecodeRows * K * M));
  pool.parallelForThread(blocks, grain, [&](int64_t b0, int64_t b1, int t) {
    float *scratch = need > 0 ? pool.scratch(t) : nullptr;
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t n0 = b * kDecodeRows;
      const int count =
          static_cast<int>(std::min<int64_t>(kDecodeRows, N - n0));
      int64_t ld = K;
      const float *rows = src.rows(n0, count, scratch, &ld);
      decodeBlock(x, M, K, rows, ld, count, n0, N, bias, y);
    }
  });
  return true;
}

template <int MR>
inline void panelRows(const float *x, int64_t K, const float *panel, int64_t m0,
                      int count, int64_t n0, int64_t N, const float *bias,
                      float *y) {
  float acc[MR][kPanel];
  panelKernel<MR>(x + m0 * K, K, panel, K, acc);
  for (int r = 0; r < MR; ++r)
    for (int j = 0; j < count; ++j)
      y[(m0 + r) * N + n0 + j] = withBias(acc[r][j], bias, n0 + j);
}

template <typename Source>
bool runPrefill(ThreadPool &pool, const float *x, int64_t M, int64_t K,
                const Source &src, int64_t N, const float *bias, float *y) {
  const int64_t panelFloats = K * kPanel;
  const int64_t need = panelFloats + src.rowScratch(kPanel);
  if (!pool.reserveScratch(static_cast<size_t>(need)).isOk())
    return false;
  const int64_t panels = (N + kPanel - 1) / kPanel;
  const int64_t mBlocks = (M + kPrefillRowBlock - 1) / kPrefillRowBlock;
  // Task t = panel * mBlocks + mBlock, so a chunk's consecutive tasks mostly
  // share a panel and pack it once.
  pool.parallelForThread(
      panels * mBlocks, 1, [&](int64_t t0, int64_t t1, int t) {
        float *panel = pool.scratch(t);
        float *rowScratch = panel + panelFloats;
        int64_t packed = -1;
        for (int64_t task = t0; task < t1; ++task) {
          const int64_t p = task / mBlocks, mb = task % mBlocks;
          const int64_t n0 = p * kPanel;
          const int count = static_cast<int>(std::min<int64_t>(kPanel, N - n0));
          if (p != packed) {
            int64_t ld = K;
            const float *rows = src.rows(n0, count, rowScratch, &ld);
            packPanel(rows, ld, count, K, panel);
            packed = p;
          }
          const int64_t mEnd = std::min(M, (mb + 1) * kPrefillRowBlock);
          int64_t m = mb * kPrefillRowBlock;
          for (; m + 4 <= mEnd; m += 4)
            panelRows<4>(x, K, panel, m, count, n0, N, bias, y);
          switch (mEnd - m) {
          case 3:
            panelRows<3>(x, K, panel, m, count, n0, N, bias, y);
            break;
          case 2:
            panelRows<2>(x, K, panel, m, count, n0, N, bias, y);
            break;
          case 1:
            panelRows<1>(x, K, panel, m, count, n0, N, bias, y);
            break;
          default:
            break;
          }
        }
      });
  return true;
}

template <typename Source>
bool runMatmul(ThreadPool &pool, const float *x, int64_t M, int64_t K,
               const Source &src, int64_t N, const float *bias, float *y) {
  if (M <= 0 || N <= 0)
    return true;
  if (M <= kDotRowsMax)
    return runDecode(pool, x, M, K, src, N, bias, y);
  return runPrefill(pool, x, M, K, src, N, bias, y);
}

} // namespace vlmc::cpu::detail
