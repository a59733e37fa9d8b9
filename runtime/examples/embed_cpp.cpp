// Embedding vlmc from C++ through the header-only wrapper (vlmc.hpp): the
// same program as embed_c.c, with RAII handles and exceptions.
//
//   vlmc-embed-cpp MODEL.vlmc PROMPT [IMAGE...]
#include <vlmc/vlmc.hpp>

#include <cstdio>
#include <iostream>

int main(int argc, char **argv) {
  if (argc < 3) {
    std::cerr << "usage: " << argv[0] << " MODEL.vlmc PROMPT [IMAGE...]\n";
    return 2;
  }
  try {
    vlmc::Model model = vlmc::Model::load(argv[1]);
    std::cerr << "vlmc " << vlmc::version() << ": " << model.family() << " model ("
              << model.modelType() << ")" << (model.hasVision() ? ", takes images" : "") << "\n";
    std::vector<vlmc::Image> images;
    for (int i = 3; i < argc; ++i)
      images.push_back(vlmc::Image::load(argv[i]));

    vlmc::Request request;
    request.prompt = argv[2];
    for (const vlmc::Image &image : images)
      request.images.push_back(&image);
    request.sampling.maxTokens = 64; // temperature 0: greedy, reproducible

    vlmc::Session session(model); // one per thread; several can share the model
    vlmc::Generation out = session.generate(request, [](int32_t, std::string_view piece) {
      std::cout << piece << std::flush;
    });
    vlmc_generation_stats stats = out.stats();
    std::cout << "\n";
    std::cerr << "==========\nPrompt: " << stats.prompt_tokens << " tokens, "
              << stats.prompt_tps << " tokens-per-sec\nGeneration: " << stats.generated_tokens
              << " tokens, " << stats.generation_tps << " tokens-per-sec\n";
    return 0;
  } catch (const vlmc::Error &e) {
    std::cerr << "vlmc-embed-cpp: " << vlmc_code_name(e.code()) << ": " << e.what() << "\n";
    return 1;
  }
}
