// vlm-generate: the counterpart of `mlx_vlm.generate`.
//   vlm-generate --model M --prompt "Describe this image" --image cat.jpg -qa
// M is a .vlmc artifact, or a Hugging Face / MLX checkpoint directory that is
// compiled in-process (when this build includes the compiler) and cached.
#include "compiler/driver/ModelCache.h"
#include "vlmc/cuda/Device.h"
#include "vlmc/generate/Generator.h"
#include "vlmc/image/Image.h"
#include "vlmc/tokenizer/Tokenizer.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <cstdio>

using namespace vlmc;

namespace {

int fail(const std::string &message) {
  std::fprintf(stderr, "vlm-generate: error: %s\n", message.c_str());
  return 1;
}

bool isDirectory(const std::string &path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

} // namespace

int main(int argc, char **argv) {
  CLI::App app{"vlm-generate: generate text from a prompt and images with a vision-language "
               "model (the flags of mlx_vlm.generate)"};
  std::string modelPath, prompt, system, device = "auto";
  std::vector<std::string> images, stops;
  bool quantizeActivations = false, json = false, verbose = false;
  int maxTokens = 256, threads = 0;
  int64_t maxContext = 4096;
  generate::SamplingParams sampling;
  float temperature = 0, topP = 1, minP = 0, repetitionPenalty = 0;
  int topK = 0;
  int64_t seed = -1;
  app.add_option("--model", modelPath,
                 "A .vlmc artifact, or a Hugging Face / MLX-VLM checkpoint directory "
                 "(compiled and cached on first use)")
      ->required();
  app.add_option("--prompt", prompt, "The user prompt")->required();
  app.add_option("--image", images, "An image file (PNG or JPEG); repeat for several");
  app.add_option("--system", system, "A system prompt");
  app.add_flag("-q,--quantize-activations", quantizeActivations,
               "Quantize activations of mxfp8/nvfp4 layers (-qa; required for them on CUDA)");
  app.add_option("--max-tokens", maxTokens, "Tokens to generate at most")
      ->check(CLI::PositiveNumber);
  app.add_option("--temperature", temperature, "Sampling temperature (0: greedy)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--top-p", topP, "Nucleus sampling mass");
  app.add_option("--top-k", topK, "Keep the k most likely tokens (0: off)");
  app.add_option("--min-p", minP, "Drop tokens below min-p times the top probability");
  app.add_option("--repetition-penalty", repetitionPenalty, "Penalty for recent tokens (> 0)");
  app.add_option("--seed", seed, "Random seed (reproducible sampling)");
  app.add_option("--stop", stops, "Stop when this text is generated; repeatable");
  app.add_option("--device", device, "cuda, cpu or auto")
      ->check(CLI::IsMember({"auto", "cuda", "cpu"}));
  app.add_option("--max-context", maxContext, "KV-cache positions")->check(CLI::PositiveNumber);
  app.add_option("--threads", threads, "CPU threads (0: all)")->check(CLI::NonNegativeNumber);
  app.add_flag("--json", json,
               "Print one JSON object (prompt_tokens, generated_ids, text, prompt_tps, "
               "generation_tps, peak_memory_bytes) on the last line of stdout");
  app.add_flag("--verbose", verbose, "Say what is loaded and compiled, and from where");
  // mlx_vlm spells activation quantization -qa; CLI11 cannot, so accept it here.
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "-qa")
      argv[i] = const_cast<char *>("--quantize-activations");
  CLI11_PARSE(app, argc, argv);

  // auto: a checkpoint directory is compiled for the GPU when one is there;
  // an artifact runs on the backend it was compiled for.
  std::string target = device;
  if (device == "auto" && isDirectory(modelPath)) {
    Result<std::unique_ptr<cuda::Device>> gpu = cuda::Device::open(0);
    target = gpu ? "cuda" : "cpu";
    if (verbose)
      std::fprintf(stderr, "vlm-generate: device %s (auto: %s)\n", target.c_str(),
                   gpu ? (*gpu)->properties().name.c_str() : gpu.status().message().c_str());
  }

  std::string artifact = modelPath;
  if (isDirectory(modelPath)) {
    compiler::CompileOptions options;
    options.modelDir = modelPath;
    options.target = target;
    options.quantizeActivations = quantizeActivations;
    Result<std::string> compiled = compiler::compiledArtifact(options, verbose, "vlm-generate");
    if (!compiled)
      return fail(compiled.status().message());
    artifact = *compiled;
  }
  Result<std::shared_ptr<exec::Model>> model = exec::Model::load(artifact);
  if (!model)
    return fail(model.status().message());
  if (target != "auto" && (*model)->target() != target)
    return fail(artifact + " was compiled for " + (*model)->target() + ", not " + target +
                ": recompile it with vlm-compile --target " + target);
  if (verbose && target == "auto")
    std::fprintf(stderr, "vlm-generate: device %s (the artifact's target)\n",
                 (*model)->target().c_str());
  if (verbose && (*model)->target() == "cuda") {
    Result<std::string> prepared = (*model)->prepareDevice();
    if (!prepared)
      return fail(prepared.status().message());
    std::fprintf(stderr, "vlm-generate: %s\n", prepared->c_str());
  }
  if ((*model)->quantizeActivations() != quantizeActivations)
    return fail((*model)->quantizeActivations()
                    ? artifact + " was compiled with activation quantization (-qa): pass "
                                 "-qa, or recompile it without"
                    : artifact + " was compiled without activation quantization: recompile "
                                 "it with vlm-compile -qa, or drop -qa");

  generate::GenerateRequest request;
  request.prompt = prompt;
  if (!system.empty())
    request.system = system;
  for (const std::string &path : images) {
    Result<image::RgbImage> img = image::decodeFile(path);
    if (!img)
      return fail(img.status().message());
    request.images.push_back(std::move(*img));
  }
  request.maxTokens = maxTokens;
  request.stopStrings = stops;
  sampling.temperature = temperature;
  sampling.topP = topP;
  sampling.topK = topK;
  sampling.minP = minP;
  if (repetitionPenalty > 0)
    sampling.repetitionPenalty = repetitionPenalty;
  if (seed >= 0)
    sampling.seed = uint64_t(seed);
  request.sampling = sampling;

  exec::SessionOptions options;
  options.maxContext = maxContext;
  options.numThreads = threads;
  Result<std::unique_ptr<generate::Generator>> generator =
      generate::Generator::create(*model, options);
  if (!generator)
    return fail(generator.status().message());
  if (verbose && !(*generator)->hasChatTemplate())
    std::fprintf(stderr, "vlm-generate: the model has no chat template: the prompt is used "
                         "as is\n");

  Result<generate::GenerateResult> result = (*generator)->generate(
      request, [&](int32_t, std::string_view text) {
        if (!json) {
          std::fwrite(text.data(), 1, text.size(), stdout);
          std::fflush(stdout);
        }
        return true;
      });
  if (!result)
    return fail(result.status().message());
  const generate::GenerateStats &s = result->stats;
  if (json) {
    nlohmann::ordered_json out = {{"prompt_tokens", s.promptTokens},
                          {"generated_ids", result->generatedIds},
                          {"text", result->text},
                          {"finish_reason", result->finishReason},
                          {"prompt_tps", s.promptTps},
                          {"generation_tps", s.generationTps},
                          {"peak_memory_bytes", s.peakMemoryBytes}};
    std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace).c_str());
    return 0;
  }
  std::printf("\n==========\n");
  std::printf("Prompt: %lld tokens, %.3f tokens-per-sec\n", (long long)s.promptTokens,
              s.promptTps);
  std::printf("Generation: %lld tokens, %.3f tokens-per-sec\n", (long long)s.generationTokens,
              s.generationTps);
  std::printf("Peak memory: %.3f GB\n", double(s.peakMemoryBytes) / 1e9);
  return 0;
}
