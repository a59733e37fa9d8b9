// Row-chunk parallelism with plain std::thread. Rows are independent, so any
// partition yields the same bytes; chunks only trade start-up cost for cores.
#include "Internal.h"

#include <algorithm>
#include <thread>
#include <vector>

namespace vlmc::quant::detail {
namespace {
// Below this many elements per thread, starting a thread costs more than the
// work it takes over (auto mode only).
constexpr int64_t kMinElemsPerThread = 1 << 15;
constexpr int kMaxThreads = 256;
} // namespace

int planChunks(int64_t rows, int64_t cols, int numThreads) {
  if (rows <= 1)
    return 1;
  int64_t n;
  if (numThreads > 0) {
    n = numThreads;
  } else {
    unsigned hw = std::thread::hardware_concurrency();
    n = hw == 0 ? 1 : static_cast<int64_t>(hw);
    int64_t byWork = std::max<int64_t>(1, rows * std::max<int64_t>(cols, 1) /
                                              kMinElemsPerThread);
    n = std::min(n, byWork);
  }
  n = std::min<int64_t>({n, rows, kMaxThreads});
  return static_cast<int>(std::max<int64_t>(n, 1));
}

void runChunks(int64_t rows, int chunks,
               const std::function<void(int, int64_t, int64_t)> &body) {
  if (chunks <= 1 || rows <= 1) {
    body(0, 0, rows);
    return;
  }
  const int64_t per = (rows + chunks - 1) / chunks;
  auto bounds = [&](int c, int64_t *b, int64_t *e) {
    *b = std::min<int64_t>(rows, per * c);
    *e = std::min<int64_t>(rows, *b + per);
  };
  std::vector<std::thread> threads;
  std::vector<int> inline_chunks;
  try {
    threads.reserve(static_cast<size_t>(chunks - 1));
    inline_chunks.reserve(static_cast<size_t>(chunks - 1));
  } catch (...) {
    // No memory to even track threads: do everything here.
    for (int c = 0; c < chunks; ++c) {
      int64_t b, e;
      bounds(c, &b, &e);
      if (b < e)
        body(c, b, e);
    }
    return;
  }
  for (int c = 1; c < chunks; ++c) {
    int64_t b, e;
    bounds(c, &b, &e);
    if (b >= e)
      continue;
    try {
      threads.emplace_back([&body, c, b, e] { body(c, b, e); });
    } catch (...) {
      inline_chunks.push_back(c); // capacity reserved: cannot throw
    }
  }
  int64_t b0, e0;
  bounds(0, &b0, &e0);
  body(0, b0, e0);
  for (int c : inline_chunks) {
    int64_t b, e;
    bounds(c, &b, &e);
    body(c, b, e);
  }
  for (std::thread &t : threads)
    t.join();
}

} // namespace vlmc::quant::detail
