// vlm-tokenize: encode text with a model's tokenizer.json and print the ids.
#include "vlmc/artifact/Artifact.h"
#include "vlmc/tokenizer/Tokenizer.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <sys/stat.h>

namespace {

int fail(const std::string &message) {
  std::cerr << "vlm-tokenize: error: " << message << "\n";
  return 1;
}

bool exists(const std::string &p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}

bool isDirectory(const std::string &p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool endsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace

// A directory or tokenizer.json, or the tokenizer an artifact embeds.
vlmc::Result<vlmc::tokenizer::Tokenizer> loadTokenizer(const std::string &model) {
  if (isDirectory(model) || endsWith(model, ".json"))
    return vlmc::tokenizer::Tokenizer::fromPath(model);
  auto artifact = vlmc::artifact::Artifact::open(model);
  if (!artifact)
    return vlmc::invalidArgument(
        "'" + model + "' is not a model directory, a tokenizer.json file or a .vlmc "
        "artifact: " + artifact.status().message());
  auto json = artifact->embeddedFile("tokenizer.json");
  if (!json)
    return vlmc::notFound(model + ": the artifact embeds no tokenizer.json");
  auto config = artifact->embeddedFile("tokenizer_config.json");
  return vlmc::tokenizer::Tokenizer::fromJson(*json, config.value_or(""));
}

int main(int argc, char **argv) {
  CLI::App app{
      "vlm-tokenize: encode text with a Hugging Face tokenizer.json and print "
      "the token ids.\n\n"
      "Prints the ids space-separated on one line; --verbose adds one line per "
      "token with its id and vocabulary string (JSON-quoted); --json prints "
      "{\"ids\": [...]} (plus \"tokens\" with --verbose) on one line. The text "
      "comes from --text, --file, or standard input, and must be valid UTF-8.",
      "vlm-tokenize"};
  std::string model, text, file;
  bool json = false, verbose = false, addSpecial = false;
  app.add_option("-m,--model", model,
                 "Model directory containing tokenizer.json, a "
                 "tokenizer.json file, or a compiled .vlmc artifact (which "
                 "embeds its tokenizer)")
      ->required();
  auto *textOpt = app.add_option("-t,--text", text, "Text to encode");
  auto *fileOpt =
      app.add_option("-f,--file", file, "Read the text to encode from FILE");
  textOpt->excludes(fileOpt);
  app.add_flag("--json", json, "Print {\"ids\": [...]} on one line");
  app.add_flag("-v,--verbose", verbose, "Also print each token's string");
  app.add_flag("--add-special-tokens", addSpecial,
               "Add the tokenizer's special tokens (e.g. Llama's BOS), as "
               "HF's add_special_tokens=True");
  CLI11_PARSE(app, argc, argv);

  if (!exists(model))
    return fail("no such file or directory: '" + model + "'");

  if (!*textOpt) {
    std::istream *in = &std::cin;
    std::ifstream f;
    if (*fileOpt) {
      f.open(file, std::ios::binary);
      if (!f)
        return fail("cannot open '" + file + "'");
      in = &f;
    }
    std::ostringstream ss;
    ss << in->rdbuf();
    text = ss.str();
  }

  auto tok = loadTokenizer(model);
  if (!tok)
    return fail(tok.status().message());
  std::vector<vlmc::tokenizer::TokenId> ids;
  std::vector<std::string> pieces;
  auto st = tok->encodeWithPieces(text, addSpecial, ids, pieces);
  if (!st.isOk())
    return fail(st.message());

  if (json) {
    nlohmann::json out = {{"ids", ids}};
    if (verbose)
      out["tokens"] = pieces;
    std::cout << out.dump() << "\n";
    return 0;
  }
  for (size_t k = 0; k < ids.size(); ++k)
    std::cout << (k ? " " : "") << ids[k];
  std::cout << "\n";
  if (verbose)
    for (size_t k = 0; k < ids.size(); ++k)
      std::cout << ids[k] << "\t" << nlohmann::json(pieces[k]).dump() << "\n";
  return 0;
}
