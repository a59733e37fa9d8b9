// Dense fp32 matmul: the shared driver over W's rows in place.
#include "MatmulDriver.h"

#include "vlmc/cpu/Matmul.h"

namespace vlmc::cpu {
namespace {

// Dense rows need no scratch: the driver reads W directly.
struct DenseRows {
  const float *w;
  int64_t K;
  int64_t rowScratch(int) const { return 0; }
  const float *rows(int64_t n0, int, float *, int64_t *ld) const {
    *ld = K;
    return w + n0 * K;
  }
};

} // namespace

void matmul(ThreadPool &pool, const float *x, int64_t M, int64_t K,
            const float *w, int64_t N, const float *biasOrNull, float *y) {
  if (M <= 0 || N <= 0 || K < 0)
    return;
  const DenseRows src{w, K};
  if (detail::runMatmul(pool, x, M, K, src, N, biasOrNull, y))
    return;
  // No memory for a panel: the plain ascending-k loop computes the same bits
  // as the panel kernel, just more slowly.
  pool.parallelFor(M * N, 256, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t m = i / N, n = i % N;
      y[i] = detail::withBias(detail::dotSequential(x + m * K, w + n * K, K),
                              biasOrNull, n);
    }
  });
}

} // namespace vlmc::cpu
