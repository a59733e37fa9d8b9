// vlm-bench: prefill and decode throughput of an artifact, measured on the
// backend it was compiled for (the CPU backend today).
#include "vlmc/exec/Model.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>

using namespace vlmc;

namespace {

double seconds(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

int64_t peakRssBytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return int64_t(usage.ru_maxrss) * 1024;
}

} // namespace

int main(int argc, char **argv) {
  CLI::App app{"vlm-bench: measure prefill and decode throughput of a compiled model"};
  std::string model;
  int64_t promptTokens = 128, genTokens = 64;
  int threads = 0, repeats = 3;
  bool json = false;
  app.add_option("--model", model, "Artifact (.vlmc)")->required();
  app.add_option("--prompt-tokens", promptTokens, "Prompt length (random tokens)")
      ->check(CLI::PositiveNumber);
  app.add_option("--gen-tokens", genTokens, "Tokens to decode")->check(CLI::PositiveNumber);
  app.add_option("--threads", threads, "CPU threads (0: all)")->check(CLI::NonNegativeNumber);
  app.add_option("--repeats", repeats, "Runs; the median is reported")
      ->check(CLI::PositiveNumber);
  app.add_flag("--json", json, "Print one JSON object");
  CLI11_PARSE(app, argc, argv);

  Result<std::shared_ptr<exec::Model>> loaded = exec::Model::load(model);
  if (!loaded) {
    std::fprintf(stderr, "vlm-bench: error: %s\n", loaded.status().message().c_str());
    return 1;
  }
  std::shared_ptr<exec::Model> m = *loaded;
  int64_t vocab = m->config().text.vocab;
  std::mt19937 rng(0);
  std::uniform_int_distribution<int32_t> token(0, int32_t(vocab - 1));
  std::vector<int32_t> prompt(static_cast<size_t>(promptTokens));
  for (int32_t &t : prompt)
    t = token(rng);
  // Image placeholders would need images: keep random ids off them.
  if (m->config().imageTokenId)
    for (int32_t &t : prompt)
      if (t == *m->config().imageTokenId)
        t = 0;

  exec::SessionOptions options;
  options.maxContext = promptTokens + genTokens + 1;
  options.numThreads = threads;
  std::vector<double> prefillTimes, decodeTimes;
  for (int r = 0; r < repeats; ++r) {
    Result<std::unique_ptr<exec::Session>> session = exec::Session::create(m, options);
    if (!session) {
      std::fprintf(stderr, "vlm-bench: error: %s\n", session.status().message().c_str());
      return 1;
    }
    auto t0 = std::chrono::steady_clock::now();
    Result<exec::TensorRef> logits = (*session)->prefill(prompt);
    auto t1 = std::chrono::steady_clock::now();
    if (!logits) {
      std::fprintf(stderr, "vlm-bench: error: %s\n", logits.status().message().c_str());
      return 1;
    }
    int32_t next = 0;
    for (int64_t i = 0; i < genTokens; ++i) {
      Result<exec::TensorRef> step = (*session)->decode(next);
      if (!step) {
        std::fprintf(stderr, "vlm-bench: error: %s\n", step.status().message().c_str());
        return 1;
      }
      const float *row = step->as<float>();
      next = int32_t(std::max_element(row, row + vocab) - row);
    }
    auto t2 = std::chrono::steady_clock::now();
    prefillTimes.push_back(seconds(t0, t1));
    decodeTimes.push_back(seconds(t1, t2));
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  double prefill = median(prefillTimes), decode = median(decodeTimes);
  double prefillTps = double(promptTokens) / prefill, decodeTps = double(genTokens) / decode;
  if (json) {
    nlohmann::json out = {{"model", model},
                          {"backend", m->target()},
                          {"threads", threads},
                          {"prompt_tokens", promptTokens},
                          {"gen_tokens", genTokens},
                          {"prefill_tps", prefillTps},
                          {"time_to_first_token_s", prefill},
                          {"decode_tps", decodeTps},
                          {"peak_memory_bytes", peakRssBytes()}};
    std::printf("%s\n", out.dump().c_str());
  } else {
    std::printf("backend %s, %d thread(s), median of %d runs\n", m->target().c_str(),
                threads, repeats);
    std::printf("prefill: %lld tokens in %.4f s = %.1f tokens/s (time to first token)\n",
                (long long)promptTokens, prefill, prefillTps);
    std::printf("decode:  %lld tokens in %.4f s = %.1f tokens/s\n", (long long)genTokens,
                decode, decodeTps);
    std::printf("peak memory (RSS): %.1f MiB\n", double(peakRssBytes()) / (1 << 20));
  }
  return 0;
}
