// Shared helpers: the three real tokenizers, loaded once per process.
#pragma once

#include "vlmc/tokenizer/Tokenizer.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

namespace vlmc::tokenizer::test {

inline std::string dataDir() { return VLMC_TOKENIZER_TEST_DATA; }

// "qwen", "smolvlm" or "tinystories"; aborts the test on load failure.
inline const Tokenizer &realTokenizer(const std::string &name) {
  static std::map<std::string, std::unique_ptr<Tokenizer>> cache;
  auto it = cache.find(name);
  if (it == cache.end()) {
    auto tok = Tokenizer::fromPath(dataDir() + "/" + name);
    if (!tok) {
      ADD_FAILURE() << "loading " << name << ": " << tok.status().message();
      std::abort();
    }
    it = cache.emplace(name, std::make_unique<Tokenizer>(std::move(*tok)))
             .first;
  }
  return *it->second;
}

// A tiny SentencePiece-style BPE with byte fallback, to exercise features
// the real files do not (multi-byte <0xNN> runs, "a b" merges, unk fusing).
inline const char *kTinyByteFallbackJson = R"({
  "version": "1.0",
  "added_tokens": [
    {"id": 0, "content": "<unk>", "special": true, "normalized": false,
     "lstrip": false, "rstrip": false, "single_word": false},
    {"id": 1, "content": "<s>", "special": true, "normalized": false,
     "lstrip": false, "rstrip": false, "single_word": false}
  ],
  "normalizer": {"type": "Sequence", "normalizers": [
    {"type": "Prepend", "prepend": "▁"},
    {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
  "pre_tokenizer": null,
  "post_processor": {"type": "TemplateProcessing",
    "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
               {"Sequence": {"id": "A", "type_id": 0}}],
    "pair": [],
    "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
  "decoder": {"type": "Sequence", "decoders": [
    {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
    {"type": "ByteFallback"}, {"type": "Fuse"},
    {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
  "model": {"type": "BPE", "dropout": null, "unk_token": "<unk>",
    "continuing_subword_prefix": null, "end_of_word_suffix": null,
    "fuse_unk": true, "byte_fallback": true, "ignore_merges": false,
    "vocab": {"<unk>": 0, "<s>": 1, "<0xC3>": 2, "<0xA9>": 3, "<0xE6>": 4,
              "<0x9D>": 5, "<0xB1>": 6, "▁": 7, "a": 8, "b": 9, "ab": 10,
              "▁ab": 11, "c": 12},
    "merges": ["a b", "▁ ab"]}
})";

} // namespace vlmc::tokenizer::test
