// vlm-bench: prefill and decode throughput of an artifact on the backend it
// was compiled for, and for CUDA artifacts the device time of every kernel
// with its achieved bandwidth and arithmetic rate.
#include "vlmc/exec/Model.h"
#include "vlmc/generate/ImageInputs.h"
#include "vlmc/generate/Sampler.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <regex>

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

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct Timed {
  double imageSeconds = 0, prefillSeconds = 0, decodeSeconds = 0;
  int64_t graphReplays = 0;
  int64_t deviceBytes = -1; // in use at the end of the run (CUDA)
};

// A deterministic test card of `width` x `height` pixels (gradients, so the
// image processor's resize and normalization see varied values).
image::RgbImage testCard(int width, int height) {
  image::RgbImage img(width, height);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      uint8_t *p = img.at(x, y);
      p[0] = uint8_t(x * 255 / std::max(1, width - 1));
      p[1] = uint8_t(y * 255 / std::max(1, height - 1));
      p[2] = uint8_t((x + y) % 256);
    }
  return img;
}

// One prefill of `prompt` and `genTokens` decode steps (greedy, or drawn with
// `sampling` and a fixed seed, as vlm-generate does) in a fresh
// session; with `images`, the vision encoder runs first (its own phase) and
// the prompt holds their image tokens. With `profile`, the kernel timings of
// the prefill (vision encoder included) and decode phases are returned.
Result<Timed> runOnce(const std::shared_ptr<exec::Model> &m, const exec::SessionOptions &options,
                      const std::vector<int32_t> &prompt, const generate::PreparedImages &images,
                      int64_t genTokens, const generate::SamplingParams &sampling, bool profile,
                      std::vector<exec::KernelTiming> *prefillKernels,
                      std::vector<exec::KernelTiming> *decodeKernels) {
  Result<std::unique_ptr<exec::Session>> session = exec::Session::create(m, options);
  if (!session)
    return session.status();
  exec::Session &s = **session;
  if (profile)
    VLMC_RETURN_IF_ERROR(s.profileKernels());
  auto t0 = std::chrono::steady_clock::now();
  exec::TensorRef embeddings;
  if (!images.inputs.empty()) {
    Result<exec::TensorRef> encoded = s.encodeImages(images.inputs);
    if (!encoded)
      return encoded.status();
    embeddings = *encoded;
  }
  auto t1 = std::chrono::steady_clock::now();
  Result<exec::TensorRef> logits =
      s.prefill(prompt, images.inputs.empty() ? nullptr : &embeddings, images.inputs);
  if (!logits)
    return logits.status();
  auto t2 = std::chrono::steady_clock::now();
  if (profile) {
    *prefillKernels = s.kernelTimings();
    VLMC_RETURN_IF_ERROR(s.profileKernels());
  }
  // Decoding as vlm-generate does it (the pick on the device).
  generate::Sampler sampler(sampling);
  std::vector<int32_t> history(1, 0);
  history.reserve(size_t(genTokens) + 1);
  for (int64_t i = 0; i < genTokens; ++i) {
    Result<int32_t> step = s.decodeSample(history.back(), sampler.next(history));
    if (!step)
      return step.status();
    history.push_back(*step);
  }
  auto t3 = std::chrono::steady_clock::now();
  if (profile)
    *decodeKernels = s.kernelTimings();
  Timed timed{seconds(t0, t1), seconds(t1, t2), seconds(t2, t3), s.graphReplays()};
  if (m->target() == "cuda") {
    Result<int64_t> used = s.deviceMemoryInUse();
    if (!used)
      return used.status();
    timed.deviceBytes = *used;
  }
  return timed;
}

nlohmann::json kernelsJson(const std::vector<exec::KernelTiming> &kernels) {
  nlohmann::json out = nlohmann::json::array();
  for (const exec::KernelTiming &k : kernels) {
    double s = k.milliseconds / 1e3;
    out.push_back({{"kernel", k.kernel},
                   {"op", k.op},
                   {"launches", k.launches},
                   {"total_ms", k.milliseconds},
                   {"us_per_launch", 1e3 * k.milliseconds / double(k.launches)},
                   {"gb_per_s", k.bytes > 0 && s > 0 ? k.bytes / s / 1e9 : 0.0},
                   {"tflop_per_s", k.flops > 0 && s > 0 ? k.flops / s / 1e12 : 0.0}});
  }
  return out;
}

void printKernels(const char *phase, const std::vector<exec::KernelTiming> &kernels, size_t top) {
  double total = 0;
  for (const exec::KernelTiming &k : kernels)
    total += k.milliseconds;
  std::printf("\n%s kernels (device time from CUDA events, eager launches): %.3f ms in all\n",
              phase, total);
  std::printf("  %-44s %-16s %8s %10s %10s %6s %9s %9s\n", "kernel", "op", "launches",
              "total ms", "us/launch", "share", "GB/s", "TFLOP/s");
  for (size_t i = 0; i < kernels.size() && i < top; ++i) {
    const exec::KernelTiming &k = kernels[i];
    double s = k.milliseconds / 1e3;
    std::string gbs = k.bytes > 0 ? std::to_string(int64_t(k.bytes / s / 1e9)) : "-";
    char tflops[32] = "-";
    if (k.flops > 0)
      std::snprintf(tflops, sizeof tflops, "%.2f", k.flops / s / 1e12);
    std::printf("  %-44.44s %-16.16s %8lld %10.3f %10.2f %5.1f%% %9s %9s\n", k.kernel.c_str(),
                k.op.c_str(), (long long)k.launches, k.milliseconds,
                1e3 * k.milliseconds / double(k.launches), 100 * k.milliseconds / total,
                gbs.c_str(), tflops);
  }
  if (kernels.size() > top)
    std::printf("  ... %zu more (--json lists all)\n", kernels.size() - top);
}

} // namespace

int main(int argc, char **argv) {
  CLI::App app{"vlm-bench: measure prefill and decode throughput of a compiled model.\n"
               "Random prompt tokens, greedy decoding; times are wall-clock per phase "
               "(each decode step ends when its token is on the host), the median of "
               "--repeats runs after one warm-up run. With --image WxH a generated "
               "test card of that size goes through the model's image processor and "
               "vision encoder first (timed as its own phase) and its image tokens lead "
               "the prompt. For CUDA artifacts, --profile adds the device time of every "
               "kernel (CUDA events, one extra eager run)."};
  std::string model;
  int64_t promptTokens = 128, genTokens = 64;
  int threads = 0, repeats = 3;
  size_t top = 15;
  bool json = false, noGraphs = false, profile = false;
  std::string imageSize;
  app.add_option("--model", model, "Artifact (.vlmc)")->required();
  app.add_option("--image", imageSize,
                 "Also encode a generated WIDTHxHEIGHT image (e.g. 1280x720) and prefill its "
                 "image tokens before the prompt");
  app.add_option("--prompt-tokens", promptTokens, "Prompt length (random tokens)")
      ->check(CLI::PositiveNumber);
  app.add_option("--gen-tokens", genTokens, "Tokens to decode")->check(CLI::PositiveNumber);
  app.add_option("--threads", threads, "CPU threads (0: all)")->check(CLI::NonNegativeNumber);
  app.add_option("--repeats", repeats, "Timed runs; the median is reported")
      ->check(CLI::PositiveNumber);
  app.add_flag("--no-cuda-graphs", noGraphs,
               "CUDA: launch every kernel of every decode step instead of replaying a "
               "captured CUDA graph");
  app.add_flag("--profile", profile, "CUDA: per-kernel device time, GB/s and TFLOP/s");
  app.add_option("--top", top, "Kernels listed per phase with --profile")
      ->check(CLI::PositiveNumber);
  generate::SamplingParams sampling;
  sampling.seed = 0;
  float repetitionPenalty = 1.0f;
  app.add_option("--temperature", sampling.temperature,
                 "Decode with sampling at this temperature instead of greedily (0)");
  app.add_option("--top-p", sampling.topP, "Sampling: nucleus mass kept (1: off)");
  app.add_option("--top-k", sampling.topK, "Sampling: tokens kept (0: off)");
  app.add_option("--min-p", sampling.minP, "Sampling: drop tokens below min-p x p(max)");
  app.add_option("--repetition-penalty", repetitionPenalty,
                 "Sampling: penalty on the last 20 tokens (1: off)");
  app.add_flag("--json", json, "Print one JSON object");
  CLI11_PARSE(app, argc, argv);
  if (repetitionPenalty != 1.0f)
    sampling.repetitionPenalty = repetitionPenalty;

  auto fail = [](const Status &s) {
    std::fprintf(stderr, "vlm-bench: error: %s\n", s.message().c_str());
    return 1;
  };
  if (Status valid = generate::validate(sampling); !valid.isOk())
    return fail(valid);
  int imageWidth = 0, imageHeight = 0;
  if (!imageSize.empty()) {
    std::smatch match;
    if (!std::regex_match(imageSize, match, std::regex("([0-9]{1,5})x([0-9]{1,5})")) ||
        (imageWidth = std::stoi(match[1])) < 1 || (imageHeight = std::stoi(match[2])) < 1 ||
        imageWidth > 16384 || imageHeight > 16384)
      return fail(invalidArgument("--image takes WIDTHxHEIGHT with sides from 1 to 16384, got '" +
                                  imageSize + "'"));
  }
  Result<std::shared_ptr<exec::Model>> loaded = exec::Model::load(model);
  if (!loaded)
    return fail(loaded.status());
  std::shared_ptr<exec::Model> m = *loaded;
  bool cuda = m->target() == "cuda";
  std::string deviceLoad;
  if (cuda) {
    Result<std::string> prepared = m->prepareDevice();
    if (!prepared)
      return fail(prepared.status());
    deviceLoad = *prepared;
  }
  if (profile && !cuda)
    return fail(invalidArgument("--profile needs an artifact compiled for --target cuda"));
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

  generate::PreparedImages images;
  int64_t imageTokens = 0;
  if (imageWidth > 0) {
    if (!m->config().vision || !m->config().imageTokenId)
      return fail(invalidArgument("--image: this model has no vision encoder"));
    Result<generate::PreparedImages> prepared =
        generate::prepareImages(*m, {testCard(imageWidth, imageHeight)});
    if (!prepared)
      return fail(prepared.status());
    images = std::move(*prepared);
    imageTokens = images.imageTokens[0];
    prompt.insert(prompt.begin(), size_t(imageTokens), int32_t(*m->config().imageTokenId));
  }
  const int64_t prefillTokens = int64_t(prompt.size());

  exec::SessionOptions options;
  options.maxContext = prefillTokens + genTokens + 1;
  options.numThreads = threads;
  options.cudaGraphs = !noGraphs;
  options.prefillLastLogitsOnly = true; // as generation does
  std::vector<double> imageTimes, prefillTimes, decodeTimes;
  int64_t replays = 0, deviceBytes = -1;
  std::vector<exec::KernelTiming> prefillKernels, decodeKernels;
  for (int r = 0; r <= repeats; ++r) {
    Result<Timed> t =
        runOnce(m, options, prompt, images, genTokens, sampling, false, nullptr, nullptr);
    if (!t)
      return fail(t.status());
    if (r == 0)
      continue; // warm-up: first allocations, caches, clocks
    imageTimes.push_back(t->imageSeconds);
    prefillTimes.push_back(t->prefillSeconds);
    decodeTimes.push_back(t->decodeSeconds);
    replays = t->graphReplays;
    deviceBytes = std::max(deviceBytes, t->deviceBytes);
  }
  if (profile) {
    Result<Timed> t =
        runOnce(m, options, prompt, images, genTokens, sampling, true, &prefillKernels,
                &decodeKernels);
    if (!t)
      return fail(t.status());
  }
  std::string samplingName = "greedy";
  if (!generate::specOf(sampling).greedy()) {
    char text[160];
    std::snprintf(text, sizeof text, "temperature %g, top-p %g, top-k %d, min-p %g, penalty %g",
                  double(sampling.temperature), double(sampling.topP), sampling.topK,
                  double(sampling.minP), double(repetitionPenalty));
    samplingName = text;
  }
  double imageEncode = median(imageTimes), prefill = median(prefillTimes),
         decode = median(decodeTimes);
  double prefillTps = double(prefillTokens) / prefill, decodeTps = double(genTokens) / decode;
  if (json) {
    nlohmann::json out = {{"model", model},
                          {"backend", m->target()},
                          {"threads", threads},
                          {"prompt_tokens", promptTokens},
                          {"gen_tokens", genTokens},
                          {"prefill_tps", prefillTps},
                          {"time_to_first_token_s", imageEncode + prefill},
                          {"decode_tps", decodeTps},
                          {"decode_sampling", samplingName},
                          {"peak_memory_bytes", peakRssBytes()}};
    if (imageTokens > 0) {
      out["image"] = imageSize;
      out["image_tokens"] = imageTokens;
      out["image_encode_s"] = imageEncode;
    }
    if (cuda) {
      out["cuda_graphs"] = !noGraphs;
      out["decode_graph_replays"] = replays;
      out["device_memory_in_use_bytes"] = deviceBytes;
      out["device_load"] = deviceLoad;
    }
    if (profile) {
      out["prefill_kernels"] = kernelsJson(prefillKernels);
      out["decode_kernels"] = kernelsJson(decodeKernels);
    }
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }
  if (cuda)
    std::printf("%s\n", deviceLoad.c_str());
  if (cuda)
    std::printf("backend cuda, decode %s, median of %d runs\n",
                noGraphs ? "eager (--no-cuda-graphs)"
                         : ("CUDA graph (" + std::to_string(replays) + " replays per run)").c_str(),
                repeats);
  else
    std::printf("backend %s, %d thread(s), median of %d runs\n", m->target().c_str(), threads,
                repeats);
  if (imageTokens > 0) {
    std::printf("image:   %s encoded into %lld tokens in %.4f s\n", imageSize.c_str(),
                (long long)imageTokens, imageEncode);
    std::printf("prefill: %lld tokens (%lld image, %lld text) in %.4f s = %.1f tokens/s "
                "(time to first token %.4f s)\n",
                (long long)prefillTokens, (long long)imageTokens, (long long)promptTokens, prefill,
                prefillTps, imageEncode + prefill);
  } else {
    std::printf("prefill: %lld tokens in %.4f s = %.1f tokens/s (time to first token)\n",
                (long long)promptTokens, prefill, prefillTps);
  }
  std::printf("decode:  %lld tokens in %.4f s = %.1f tokens/s (%s)\n", (long long)genTokens,
              decode, decodeTps, samplingName.c_str());
  std::printf("peak host memory (RSS): %.1f MiB\n", double(peakRssBytes()) / (1 << 20));
  if (deviceBytes >= 0)
    std::printf("device memory in use at the end of a run (cuMemGetInfo): %.1f MiB\n",
                double(deviceBytes) / (1 << 20));
  if (profile) {
    printKernels("prefill", prefillKernels, top);
    printKernels("decode", decodeKernels, top);
  }
  return 0;
}
