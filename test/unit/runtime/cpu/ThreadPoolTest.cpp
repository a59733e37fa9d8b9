// ThreadPool: coverage of ranges, thread indices, inline modes, nesting,
// concurrent submitters, scratch growth and its failure path.
#include "vlmc/cpu/ThreadPool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

namespace vlmc::cpu {
namespace {

TEST(CpuThreadPoolTest, ThreadCounts) {
  EXPECT_EQ(ThreadPool(1).numThreads(), 1);
  EXPECT_EQ(ThreadPool(3).numThreads(), 3);
  EXPECT_EQ(ThreadPool(-2).numThreads(), 1);
  const unsigned hw = std::thread::hardware_concurrency();
  EXPECT_EQ(ThreadPool(0).numThreads(), hw == 0 ? 1 : static_cast<int>(hw));
}

TEST(CpuThreadPoolTest, EveryIndexRunsExactlyOnce) {
  for (int threads : {1, 2, 4, 7}) {
    ThreadPool pool(threads);
    for (int64_t n : {0, 1, 2, 3, 7, 64, 1000, 12345})
      for (int64_t grain : {1, 3, 100, 100000}) {
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
        for (auto &h : hits)
          h = 0;
        std::atomic<int64_t> minChunk{INT64_MAX};
        std::atomic<int> chunks{0};
        pool.parallelFor(n, grain, [&](int64_t b, int64_t e) {
          ASSERT_LE(0, b);
          ASSERT_LT(b, e);
          ASSERT_LE(e, n);
          for (int64_t i = b; i < e; ++i)
            hits[static_cast<size_t>(i)]++;
          if (e != n) { // only the last chunk may be short of the grain
            int64_t cur = minChunk.load();
            while (e - b < cur && !minChunk.compare_exchange_weak(cur, e - b)) {
            }
          }
          chunks++;
        });
        for (int64_t i = 0; i < n; ++i)
          ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1)
              << "threads " << threads << " n " << n << " grain " << grain;
        if (minChunk.load() != INT64_MAX) {
          EXPECT_GE(minChunk.load(), grain);
        }
        if (n == 0) {
          EXPECT_EQ(chunks.load(), 0);
        }
      }
  }
}

TEST(CpuThreadPoolTest, ThreadIndicesAreInRangeAndWorkersTakePart) {
  ThreadPool pool(4);
  std::vector<std::atomic<int>> perThread(4);
  for (auto &c : perThread)
    c = 0;
  // Slow chunks so that workers certainly wake up before the caller is done.
  pool.parallelForThread(64, 1, [&](int64_t b, int64_t e, int t) {
    ASSERT_GE(t, 0);
    ASSERT_LT(t, 4);
    perThread[static_cast<size_t>(t)] += static_cast<int>(e - b);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  });
  int total = 0, used = 0;
  for (auto &c : perThread) {
    total += c.load();
    used += c.load() > 0;
  }
  EXPECT_EQ(total, 64);
  EXPECT_GE(used, 2);
}

TEST(CpuThreadPoolTest, SingleThreadRunsInlineInOneCall) {
  ThreadPool pool(1);
  const std::thread::id caller = std::this_thread::get_id();
  int calls = 0;
  pool.parallelFor(1000, [&](int64_t b, int64_t e) {
    EXPECT_EQ(std::this_thread::get_id(), caller);
    EXPECT_EQ(b, 0);
    EXPECT_EQ(e, 1000);
    ++calls;
  });
  EXPECT_EQ(calls, 1);
}

TEST(CpuThreadPoolTest, AcceptsStdFunction) {
  ThreadPool pool(3);
  std::atomic<int64_t> sum{0};
  std::function<void(int64_t, int64_t)> fn = [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      sum += i;
  };
  pool.parallelFor(100, fn);
  EXPECT_EQ(sum.load(), 4950);
}

TEST(CpuThreadPoolTest, NestedLoopsRunInline) {
  ThreadPool pool(4);
  std::atomic<int64_t> sum{0};
  pool.parallelFor(16, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      pool.parallelFor(10, [&](int64_t b2, int64_t e2) {
        for (int64_t j = b2; j < e2; ++j)
          sum += i * 10 + j;
      });
  });
  EXPECT_EQ(sum.load(), 159 * 160 / 2);
}

TEST(CpuThreadPoolTest, ManySmallLoopsAndConcurrentSubmitters) {
  ThreadPool pool(4);
  auto submitter = [&pool](int64_t *result) {
    int64_t total = 0;
    for (int rep = 0; rep < 2000; ++rep) {
      std::atomic<int64_t> sum{0};
      pool.parallelFor(9, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i)
          sum += i + rep;
      });
      total += sum.load();
    }
    *result = total;
  };
  int64_t r1 = 0, r2 = 0;
  std::thread a(submitter, &r1), b(submitter, &r2);
  a.join();
  b.join();
  int64_t expected = 0;
  for (int rep = 0; rep < 2000; ++rep)
    expected += 36 + 9 * rep;
  EXPECT_EQ(r1, expected);
  EXPECT_EQ(r2, expected);
}

TEST(CpuThreadPoolTest, ScratchIsPerThreadAlignedAndPersistent) {
  ThreadPool pool(3);
  ASSERT_TRUE(pool.reserveScratch(1000).isOk());
  std::vector<float *> ptrs;
  for (int t = 0; t < 3; ++t) {
    float *p = pool.scratch(t);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u);
    for (int i = 0; i < 1000; ++i)
      p[i] = static_cast<float>(t);
    for (float *q : ptrs)
      EXPECT_NE(p, q);
    ptrs.push_back(p);
  }
  // A smaller request keeps the buffers (no reallocation).
  ASSERT_TRUE(pool.reserveScratch(10).isOk());
  for (int t = 0; t < 3; ++t)
    EXPECT_EQ(pool.scratch(t), ptrs[static_cast<size_t>(t)]);
  Result<float *> ws = pool.workspace(100);
  ASSERT_TRUE(ws.isOk());
  for (float *q : ptrs)
    EXPECT_NE(*ws, q);
}

TEST(CpuThreadPoolTest, ImpossibleScratchIsAnErrorNotACrash) {
  ThreadPool pool(2);
  Status s = pool.reserveScratch(SIZE_MAX / 8);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.message();
  Result<float *> ws = pool.workspace(SIZE_MAX / 2);
  ASSERT_FALSE(ws.isOk());
  EXPECT_EQ(ws.status().code(), StatusCode::kResourceExhausted);
  // The pool still works afterwards.
  ASSERT_TRUE(pool.reserveScratch(16).isOk());
  std::atomic<int> n{0};
  pool.parallelFor(10,
                   [&](int64_t b, int64_t e) { n += static_cast<int>(e - b); });
  EXPECT_EQ(n.load(), 10);
}

} // namespace
} // namespace vlmc::cpu
