// Quantize / dequantize throughput per mode on bf16 weight-sized matrices.
// Bytes processed = bytes of the float (bf16) matrix, for both directions.
// Args: mode (0 affine, 1 mxfp4, 2 mxfp8, 3 nvfp4), shape (0: 2048x2048,
// 1: 8960x1536), threads (0 = hardware concurrency).
#include "vlmc/quant/Quant.h"

#include <benchmark/benchmark.h>

#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace vlmc::quant;

struct Shape {
  int64_t rows, cols;
};
constexpr Shape kShapes[] = {{2048, 2048}, {8960, 1536}};

const std::vector<uint16_t> &bf16Matrix(int shape) {
  static std::map<int, std::vector<uint16_t>> cache;
  auto it = cache.find(shape);
  if (it != cache.end())
    return it->second;
  const Shape s = kShapes[shape];
  std::vector<uint16_t> m(static_cast<size_t>(s.rows * s.cols));
  std::mt19937 rng(7);
  std::normal_distribution<float> d(0.0f, 0.02f);
  for (uint16_t &v : m)
    v = floatToBf16(d(rng));
  return cache.emplace(shape, std::move(m)).first->second;
}

QuantSpec specFor(int mode) { return defaultSpec(static_cast<Mode>(mode)); }

std::string label(const QuantSpec &spec, int shape, int threads) {
  const Shape s = kShapes[shape];
  return std::string(modeName(spec.mode)) + " " + std::to_string(s.rows) + "x" +
         std::to_string(s.cols) + " threads=" + std::to_string(threads);
}

int resolveThreads(int64_t arg) {
  if (arg > 0)
    return static_cast<int>(arg);
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

void BM_Quantize(benchmark::State &state) {
  const QuantSpec spec = specFor(static_cast<int>(state.range(0)));
  const int shape = static_cast<int>(state.range(1));
  const int threads = resolveThreads(state.range(2));
  const Shape s = kShapes[shape];
  const std::vector<uint16_t> &w = bf16Matrix(shape);
  std::vector<uint32_t> packed(static_cast<size_t>(s.rows * packedWordsPerRow(spec, s.cols)));
  const size_t nScales = static_cast<size_t>(s.rows * groupsPerRow(spec, s.cols));
  std::vector<uint16_t> scales(nScales), biases(nScales); // big enough for u8 too
  const bool affine = spec.mode == Mode::kAffine;
  for (auto _ : state) {
    vlmc::Status st = quantize(w.data(), DType::kBF16, s.rows, s.cols, spec,
                               packed.data(), scales.data(),
                               affine ? biases.data() : nullptr, std::nullopt, threads);
    if (!st) {
      state.SkipWithError(st.message().c_str());
      break;
    }
    benchmark::DoNotOptimize(packed.data());
  }
  state.SetBytesProcessed(state.iterations() * s.rows * s.cols * 2);
  state.SetLabel(label(spec, shape, threads));
}

void BM_Dequantize(benchmark::State &state) {
  const QuantSpec spec = specFor(static_cast<int>(state.range(0)));
  const int shape = static_cast<int>(state.range(1));
  const int threads = resolveThreads(state.range(2));
  const Shape s = kShapes[shape];
  vlmc::Result<QuantizedMatrix> q =
      quantize(bf16Matrix(shape).data(), DType::kBF16, s.rows, s.cols, spec);
  if (!q) {
    state.SkipWithError(q.status().message().c_str());
    return;
  }
  const QuantizedWeightView v = q->view();
  std::vector<uint16_t> out(static_cast<size_t>(s.rows * s.cols));
  for (auto _ : state) {
    vlmc::Status st = dequantize(v.packed, v.scales, v.biases, v.scaleType, s.rows,
                                 s.cols, spec, v.globalScale, DType::kBF16,
                                 out.data(), threads);
    if (!st) {
      state.SkipWithError(st.message().c_str());
      break;
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * s.rows * s.cols * 2);
  state.SetLabel(label(spec, shape, threads));
}

void allArgs(benchmark::internal::Benchmark *b) {
  b->ArgNames({"mode", "shape", "threads"});
  for (int shape : {0, 1})
    for (int mode : {0, 1, 2, 3})
      for (int threads : {1, 0})
        b->Args({mode, shape, threads});
  b->Unit(benchmark::kMillisecond)->UseRealTime();
}

BENCHMARK(BM_Quantize)->Apply(allArgs);
BENCHMARK(BM_Dequantize)->Apply(allArgs);

} // namespace

BENCHMARK_MAIN();
