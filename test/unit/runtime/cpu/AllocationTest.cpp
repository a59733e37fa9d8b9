// Steady-state kernels must not allocate: this file replaces the global
// operator new for the whole test binary and counts calls while a flag is
// set. (The pool's scratch uses aligned_alloc, so growth is visible through
// the pointers instead: they must not change between calls either.)
#include "CpuTestUtil.h"

#include "vlmc/cpu/Kernels.h"
#include "vlmc/quant/Quant.h"

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<bool> gCounting{false};
std::atomic<int64_t> gNews{0};
} // namespace

void *operator new(std::size_t n) {
  if (gCounting.load(std::memory_order_relaxed))
    gNews.fetch_add(1, std::memory_order_relaxed);
  if (void *p = std::malloc(n ? n : 1))
    return p;
  throw std::bad_alloc();
}
void *operator new[](std::size_t n) { return operator new(n); }
void operator delete(void *p) noexcept { std::free(p); }
void operator delete[](void *p) noexcept { std::free(p); }
void operator delete(void *p, std::size_t) noexcept { std::free(p); }
void operator delete[](void *p, std::size_t) noexcept { std::free(p); }

namespace vlmc::cpu {
namespace {

using test::gaussian;

// Runs fn once to warm up, then counts operator new calls over `reps` runs.
template <typename F> int64_t newsInSteadyState(F &&fn, int reps = 20) {
  fn();
  gNews = 0;
  gCounting = true;
  for (int i = 0; i < reps; ++i)
    fn();
  gCounting = false;
  return gNews.load();
}

TEST(CpuAllocationTest, CountingWorks) {
  // An explicit call: new-expressions may be elided by the optimizer.
  EXPECT_EQ(newsInSteadyState([] { ::operator delete(::operator new(16)); }),
            20);
}

TEST(CpuAllocationTest, ParallelForDoesNotAllocate) {
  ThreadPool pool(4);
  std::atomic<int64_t> sum{0};
  const int64_t n = newsInSteadyState(
      [&] {
        pool.parallelFor(1000, [&](int64_t b, int64_t e) { sum += e - b; });
        pool.parallelForThread(
            77, 2, [&](int64_t b, int64_t e, int) { sum += e - b; });
      },
      200);
  EXPECT_EQ(n, 0);
}

TEST(CpuAllocationTest, MatmulQmatmulQqmatmulAttentionDoNotAllocate) {
  ThreadPool pool(4);
  const int64_t K = 256, N = 64;
  std::vector<float> w = gaussian(N * K, 1, 0.05f);
  Result<quant::QuantizedMatrix> q =
      quant::quantize(w.data(), quant::DType::kF32, N, K,
                      quant::defaultSpec(quant::Mode::kNvfp4));
  ASSERT_TRUE(q.isOk());
  const quant::QuantizedWeightView view = q->view();
  for (int64_t M : {1, 3, 40}) {
    std::vector<float> x = gaussian(M * K, 2), y(M * N);
    float *scratchBefore = nullptr;
    const int64_t dense = newsInSteadyState(
        [&] { matmul(pool, x.data(), M, K, w.data(), N, nullptr, y.data()); });
    const int64_t weightOnly = newsInSteadyState([&] {
      EXPECT_TRUE(
          qmatmul(pool, x.data(), M, K, view, nullptr, y.data()).isOk());
    });
    const int64_t activationQuantized = newsInSteadyState([&] {
      EXPECT_TRUE(
          qqmatmul(pool, x.data(), M, K, view, nullptr, y.data()).isOk());
      if (!scratchBefore)
        scratchBefore = pool.scratch(0);
      EXPECT_EQ(pool.scratch(0), scratchBefore) << "scratch regrown";
    });
    EXPECT_EQ(dense, 0) << "matmul M=" << M;
    EXPECT_EQ(weightOnly, 0) << "qmatmul M=" << M;
    EXPECT_EQ(activationQuantized, 0) << "qqmatmul M=" << M;
  }
  const int64_t T = 300, H = 4, D = 32;
  std::vector<float> qa = gaussian(H * D, 3), k = gaussian(T * H * D, 4),
                     v = gaussian(T * H * D, 5), out(H * D);
  const int64_t news = newsInSteadyState([&] {
    EXPECT_TRUE(attention(pool, qa.data(), k.data(), v.data(), 1, H, H, D, T, T,
                          nullptr, 0, 0.2f, true, out.data())
                    .isOk());
  });
  EXPECT_EQ(news, 0);
}

} // namespace
} // namespace vlmc::cpu
