// CPU kernel throughput: dense and quantized matmuls at decode (M = 1) and
// prefill (M = 128) sizes, and a decode attention step.
//
// Counters: GFLOP/s = 2*M*N*K per second; weight GB/s = bytes of W as stored
// (fp32, or packed codes + scales + biases) per second -- the number that
// matters for memory-bound decode.
// Matmul args: mode (0 dense f32, 1 affine4/64 (bf16 scales), 2 nvfp4,
// 3 mxfp8), shape (0: N=K=2048, 1: N=8960 K=1536, 2: N=1536 K=8960), M,
// threads (0 = hardware concurrency).
#include "vlmc/cpu/Kernels.h"
#include "vlmc/quant/Quant.h"

#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <vector>

namespace {

using namespace vlmc;
using namespace vlmc::cpu;

struct Shape {
  int64_t N, K;
};
constexpr Shape kShapes[] = {{2048, 2048}, {8960, 1536}, {1536, 8960}};
const char *kModeNames[] = {"f32", "affine4", "nvfp4", "mxfp8"};

std::vector<float> gaussian(size_t n, uint32_t seed, float sigma) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, sigma);
  std::vector<float> v(n);
  for (float &x : v)
    x = d(rng);
  return v;
}

ThreadPool &pool(int threads) {
  static std::map<int, std::unique_ptr<ThreadPool>> pools;
  auto &p = pools[threads];
  if (!p)
    p = std::make_unique<ThreadPool>(threads);
  return *p;
}

struct Weights {
  std::vector<float> dense;
  quant::QuantizedMatrix q;
  double bytes = 0;
};

const Weights &weights(int mode, int shape) {
  static std::map<std::pair<int, int>, Weights> cache;
  auto it = cache.find({mode, shape});
  if (it != cache.end())
    return it->second;
  const Shape s = kShapes[shape];
  Weights w;
  std::vector<float> f = gaussian(static_cast<size_t>(s.N * s.K), 7, 0.02f);
  if (mode == 0) {
    w.dense = std::move(f);
    w.bytes = static_cast<double>(s.N * s.K) * 4;
  } else {
    const quant::Mode m = mode == 1   ? quant::Mode::kAffine
                          : mode == 2 ? quant::Mode::kNvfp4
                                      : quant::Mode::kMxfp8;
    // Affine from bf16 weights, as checkpoints are: bf16 scales/biases.
    std::vector<uint16_t> bf(f.size());
    for (size_t i = 0; i < f.size(); ++i)
      bf[i] = quant::floatToBf16(f[i]);
    Result<quant::QuantizedMatrix> q =
        m == quant::Mode::kAffine
            ? quant::quantize(bf.data(), quant::DType::kBF16, s.N, s.K,
                              quant::defaultSpec(m))
            : quant::quantize(f.data(), quant::DType::kF32, s.N, s.K,
                              quant::defaultSpec(m));
    w.q = std::move(q).value();
    w.bytes = static_cast<double>(w.q.packed.size() * 4 + w.q.scales.size() +
                                  w.q.biases.size());
  }
  return cache.emplace(std::make_pair(mode, shape), std::move(w)).first->second;
}

void BM_Matmul(benchmark::State &state) {
  const int mode = static_cast<int>(state.range(0));
  const int shape = static_cast<int>(state.range(1));
  const int64_t M = state.range(2);
  ThreadPool &p = pool(static_cast<int>(state.range(3)));
  const Shape s = kShapes[shape];
  const Weights &w = weights(mode, shape);
  const std::vector<float> x = gaussian(static_cast<size_t>(M * s.K), 3, 1.0f);
  std::vector<float> y(static_cast<size_t>(M * s.N));
  for (auto _ : state) {
    if (mode == 0) {
      matmul(p, x.data(), M, s.K, w.dense.data(), s.N, nullptr, y.data());
    } else if (!qmatmul(p, x.data(), M, s.K, w.q.view(), nullptr, y.data())
                    .isOk()) {
      state.SkipWithError("qmatmul failed");
      break;
    }
    benchmark::DoNotOptimize(y.data());
  }
  const double iters = static_cast<double>(state.iterations());
  state.counters["GFLOP/s"] = benchmark::Counter(
      2.0 * M * s.N * s.K * iters / 1e9, benchmark::Counter::kIsRate);
  state.counters["weightGB/s"] =
      benchmark::Counter(w.bytes * iters / 1e9, benchmark::Counter::kIsRate);
  state.SetLabel(std::string(kModeNames[mode]) + " M=" + std::to_string(M) +
                 " N=" + std::to_string(s.N) + " K=" + std::to_string(s.K) +
                 " threads=" + std::to_string(p.numThreads()));
}

void matmulArgs(benchmark::internal::Benchmark *b) {
  for (int mode = 0; mode < 4; ++mode)
    for (int shape = 0; shape < 3; ++shape)
      for (int64_t M : {1, 128})
        b->Args({mode, shape, M, 0});
  // Single-thread decode for reference.
  for (int mode = 0; mode < 4; ++mode)
    b->Args({mode, 0, 1, 1});
}
BENCHMARK(BM_Matmul)
    ->Apply(matmulArgs)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Decode attention: one query, T cached keys, 12 query heads over 2 kv heads
// (Qwen2-VL-2B's GQA), D = 128. Bytes = K and V rows read.
void BM_AttentionDecode(benchmark::State &state) {
  const int64_t T = state.range(0), Hq = 12, Hkv = state.range(1), D = 128;
  ThreadPool &p = pool(static_cast<int>(state.range(2)));
  const std::vector<float> q = gaussian(static_cast<size_t>(Hq * D), 1, 1.0f);
  const std::vector<float> k =
      gaussian(static_cast<size_t>(T * Hkv * D), 2, 1.0f);
  const std::vector<float> v =
      gaussian(static_cast<size_t>(T * Hkv * D), 3, 1.0f);
  std::vector<float> out(static_cast<size_t>(Hq * D));
  for (auto _ : state) {
    if (!attention(p, q.data(), k.data(), v.data(), 1, Hq, Hkv, D, T, T,
                   nullptr, 0, 0.088f, true, out.data())
             .isOk()) {
      state.SkipWithError("attention failed");
      break;
    }
    benchmark::DoNotOptimize(out.data());
  }
  const double iters = static_cast<double>(state.iterations());
  state.counters["GFLOP/s"] = benchmark::Counter(4.0 * Hq * T * D * iters / 1e9,
                                                 benchmark::Counter::kIsRate);
  state.counters["kvGB/s"] = benchmark::Counter(
      2.0 * T * Hkv * D * 4 * iters / 1e9, benchmark::Counter::kIsRate);
  state.SetLabel("T=" + std::to_string(T) +
                 " Hq=12 Hkv=" + std::to_string(Hkv) +
                 " D=128 threads=" + std::to_string(p.numThreads()));
}
BENCHMARK(BM_AttentionDecode)
    ->Args({1024, 12, 0})
    ->Args({1024, 2, 0})
    ->Args({1024, 12, 1})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

} // namespace

BENCHMARK_MAIN();
