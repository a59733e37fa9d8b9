// Single-thread encode/decode throughput of the real tokenizers on ~1 MB of
// text. Reports tokens/s and bytes/s. Corpora:
//   english - generated English-like prose (words, punctuation, numbers,
//             newlines) from a fixed seed: the common case, cache-friendly;
//   golden  - the hard golden strings (CJK, emoji, code, URLs...) repeated;
//   rare    - random lowercase "words", mostly unseen: stresses BPE merging.
#include "vlmc/tokenizer/Tokenizer.h"

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <memory>
#include <random>

using vlmc::tokenizer::TokenId;
using vlmc::tokenizer::Tokenizer;

namespace {

constexpr size_t kCorpusBytes = 1 << 20;

const Tokenizer &tokenizer(const std::string &name) {
  static std::map<std::string, std::unique_ptr<Tokenizer>> cache;
  auto it = cache.find(name);
  if (it == cache.end()) {
    auto tok = Tokenizer::fromPath(std::string(VLMC_TOKENIZER_TEST_DATA) +
                                   "/" + name);
    if (!tok) {
      fprintf(stderr, "%s\n", tok.status().message().c_str());
      std::abort();
    }
    it = cache.emplace(name, std::make_unique<Tokenizer>(std::move(*tok)))
             .first;
  }
  return *it->second;
}

std::string englishCorpus() {
  static const char *words[] = {
      "the", "of", "and", "to", "a", "in", "is", "it", "you", "that", "he",
      "was", "for", "on", "are", "with", "as", "I", "his", "they", "be", "at",
      "one", "have", "this", "from", "or", "had", "by", "hot", "word", "but",
      "what", "some", "we", "can", "out", "other", "were", "all", "there",
      "when", "up", "use", "your", "how", "said", "an", "each", "she",
      "which", "do", "their", "time", "if", "will", "way", "about", "many",
      "then", "them", "write", "would", "like", "so", "these", "her", "long",
      "make", "thing", "see", "him", "two", "has", "look", "more", "day",
      "could", "go", "come", "did", "number", "sound", "no", "most",
      "people", "my", "over", "know", "water", "than", "call", "first",
      "who", "may", "down", "side", "been", "now", "find", "little",
      "princess", "dragon", "happily", "forest", "computer", "language",
      "model", "vision", "tokenizer", "beautiful", "Tuesday", "London",
      "don't", "we're", "it's", "Mr.", "e.g.", "twenty-one"};
  const size_t nWords = sizeof(words) / sizeof(words[0]);
  std::mt19937 rng(42);
  std::string s;
  size_t sentence = 0;
  while (s.size() < kCorpusBytes) {
    size_t len = 5 + rng() % 15;
    for (size_t k = 0; k < len; ++k) {
      std::string w = words[rng() % nWords];
      if (k == 0)
        w[0] = static_cast<char>(std::toupper(w[0]));
      s += w;
      if (rng() % 20 == 0)
        s += " " + std::to_string(rng() % 2000);
      s += k + 1 < len ? (rng() % 10 == 0 ? ", " : " ") : "";
    }
    s += rng() % 8 == 0 ? "?" : ".";
    s += ++sentence % 6 == 0 ? "\n\n" : " ";
  }
  return s;
}

std::string goldenCorpus() {
  std::ifstream in(std::string(VLMC_TOKENIZER_TEST_DATA) +
                   "/tokenizer_goldens.json");
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  std::string s;
  if (!j.is_object())
    return s;
  while (s.size() < kCorpusBytes)
    for (const auto &c : j["qwen"])
      s += c["text"].get<std::string>() + "\n";
  return s;
}

std::string rareCorpus() {
  std::mt19937 rng(7);
  std::string s;
  while (s.size() < kCorpusBytes) {
    size_t len = 3 + rng() % 10;
    for (size_t k = 0; k < len; ++k)
      s += static_cast<char>('a' + rng() % 26);
    s += ' ';
  }
  return s;
}

const std::string &corpus(const std::string &name) {
  static std::map<std::string, std::string> cache;
  auto it = cache.find(name);
  if (it == cache.end()) {
    std::string text = name == "english" ? englishCorpus()
                       : name == "golden" ? goldenCorpus()
                                          : rareCorpus();
    it = cache.emplace(name, std::move(text)).first;
  }
  return it->second;
}

void BM_Encode(benchmark::State &state, const std::string &tok,
               const std::string &text) {
  const Tokenizer &t = tokenizer(tok);
  const std::string &input = corpus(text);
  size_t tokens = 0;
  for (auto _ : state) {
    auto ids = t.encode(input);
    if (!ids) {
      state.SkipWithError(ids.status().message().c_str());
      return;
    }
    tokens += ids->size();
    benchmark::DoNotOptimize(ids->data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * input.size()));
  state.counters["tokens/s"] =
      benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate);
  state.counters["tokens"] = static_cast<double>(tokens / state.iterations());
}

// Empty word cache: a freshly loaded tokenizer per iteration (load untimed),
// so every distinct word goes through BPE merging once.
void BM_EncodeCold(benchmark::State &state, const std::string &tok,
                   const std::string &text) {
  const std::string &input = corpus(text);
  size_t tokens = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto t = Tokenizer::fromPath(std::string(VLMC_TOKENIZER_TEST_DATA) + "/" +
                                 tok);
    state.ResumeTiming();
    auto ids = t->encode(input);
    tokens += ids->size();
    benchmark::DoNotOptimize(ids->data());
    state.PauseTiming();
    t = Tokenizer::fromJson("{}"); // free the tokenizer outside the timing
    state.ResumeTiming();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * input.size()));
  state.counters["tokens/s"] =
      benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate);
}

void BM_Decode(benchmark::State &state, const std::string &tok) {
  const Tokenizer &t = tokenizer(tok);
  auto ids = t.encode(corpus("english"));
  if (!ids) {
    state.SkipWithError(ids.status().message().c_str());
    return;
  }
  for (auto _ : state) {
    auto text = t.decode(*ids);
    benchmark::DoNotOptimize(text->data());
  }
  state.SetBytesProcessed(
      static_cast<int64_t>(state.iterations() * corpus("english").size()));
  state.counters["tokens/s"] = benchmark::Counter(
      static_cast<double>(ids->size() * state.iterations()),
      benchmark::Counter::kIsRate);
}

void BM_Load(benchmark::State &state, const std::string &tok) {
  for (auto _ : state) {
    auto t = Tokenizer::fromPath(std::string(VLMC_TOKENIZER_TEST_DATA) + "/" +
                                 tok);
    benchmark::DoNotOptimize(t.isOk());
  }
}

} // namespace

#define ENCODE(tok, text)                                                      \
  BENCHMARK_CAPTURE(BM_Encode, tok##_##text, #tok, #text)                      \
      ->Unit(benchmark::kMillisecond)
ENCODE(qwen, english);
ENCODE(qwen, golden);
ENCODE(qwen, rare);
ENCODE(smolvlm, english);
ENCODE(smolvlm, golden);
ENCODE(smolvlm, rare);
ENCODE(tinystories, english);
ENCODE(tinystories, golden);
ENCODE(tinystories, rare);
BENCHMARK_CAPTURE(BM_EncodeCold, qwen_english, "qwen", "english")
    ->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_CAPTURE(BM_EncodeCold, qwen_rare, "qwen", "rare")
    ->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_CAPTURE(BM_EncodeCold, tinystories_english, "tinystories", "english")
    ->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_CAPTURE(BM_Decode, qwen, "qwen")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Decode, tinystories, "tinystories")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Load, qwen, "qwen")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Load, smolvlm, "smolvlm")->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
