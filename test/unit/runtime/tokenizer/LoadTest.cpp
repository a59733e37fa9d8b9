// Loading errors: every one is a Status with a clear message, never a throw.
#include "TestUtil.h"

#include <nlohmann/json.hpp>

namespace vlmc::tokenizer::test {
namespace {

std::string withField(const std::string &key, const nlohmann::json &value) {
  nlohmann::json j = nlohmann::json::parse(kTinyByteFallbackJson);
  j[key] = value;
  return j.dump();
}

void expectError(const Result<Tokenizer> &r, StatusCode code,
                 const std::string &needle) {
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), code) << r.status().message();
  EXPECT_NE(r.status().message().find(needle), std::string::npos)
      << r.status().message();
}

TEST(TokenizerLoadTest, NotJson) {
  expectError(Tokenizer::fromJson("{not json"), StatusCode::kInvalidArgument,
              "not valid JSON");
  expectError(Tokenizer::fromJson("[1, 2]"), StatusCode::kInvalidArgument,
              "JSON object");
  expectError(Tokenizer::fromJson(""), StatusCode::kInvalidArgument,
              "not valid JSON");
}

TEST(TokenizerLoadTest, UnsupportedComponents) {
  expectError(Tokenizer::fromJson(withField(
                  "model", {{"type", "Unigram"}, {"vocab", nlohmann::json::array()}})),
              StatusCode::kUnimplemented,
              "unsupported model 'Unigram' in tokenizer.json");
  expectError(
      Tokenizer::fromJson(withField("normalizer", {{"type", "BertNormalizer"}})),
      StatusCode::kUnimplemented,
      "unsupported normalizer 'BertNormalizer' in tokenizer.json");
  expectError(Tokenizer::fromJson(
                  withField("pre_tokenizer", {{"type", "Metaspace"}})),
              StatusCode::kUnimplemented,
              "unsupported pre_tokenizer 'Metaspace' in tokenizer.json");
  expectError(Tokenizer::fromJson(withField("decoder", {{"type", "CTC"}})),
              StatusCode::kUnimplemented,
              "unsupported decoder 'CTC' in tokenizer.json");
  expectError(Tokenizer::fromJson(
                  withField("post_processor", {{"type", "BertProcessing"}})),
              StatusCode::kUnimplemented,
              "unsupported post_processor 'BertProcessing' in tokenizer.json");
}

TEST(TokenizerLoadTest, MalformedPieces) {
  expectError(Tokenizer::fromJson(withField("added_tokens", "oops")),
              StatusCode::kInvalidArgument, "added_tokens");
  expectError(Tokenizer::fromJson(withField("normalizer", {{"no_type", 1}})),
              StatusCode::kInvalidArgument, "normalizer");
  expectError(Tokenizer::fromJson(withField(
                  "pre_tokenizer", {{"type", "Split"},
                                    {"pattern", {{"Regex", "(unclosed"}}},
                                    {"behavior", "Isolated"}})),
              StatusCode::kInvalidArgument, "cannot compile regex");
  nlohmann::json j = nlohmann::json::parse(kTinyByteFallbackJson);
  j["model"]["merges"].push_back("a zz");
  expectError(Tokenizer::fromJson(j.dump()), StatusCode::kInvalidArgument,
              "'zz' is not in the vocabulary");
  j = nlohmann::json::parse(kTinyByteFallbackJson);
  j["model"]["vocab"]["x"] = "seven";
  expectError(Tokenizer::fromJson(j.dump()), StatusCode::kInvalidArgument,
              "not an integer");
  j = nlohmann::json::parse(kTinyByteFallbackJson);
  j.erase("model");
  expectError(Tokenizer::fromJson(j.dump()), StatusCode::kInvalidArgument,
              "no 'model'");
}

TEST(TokenizerLoadTest, PairAndStringMergesAgree) {
  nlohmann::json j = nlohmann::json::parse(kTinyByteFallbackJson);
  j["model"]["merges"] = nlohmann::json::array(
      {nlohmann::json::array({"a", "b"}), nlohmann::json::array({"▁", "ab"})});
  auto pairs = Tokenizer::fromJson(j.dump());
  auto strings = Tokenizer::fromJson(kTinyByteFallbackJson);
  ASSERT_TRUE(pairs.isOk() && strings.isOk());
  EXPECT_EQ(*pairs->encode("ab ab cab"), *strings->encode("ab ab cab"));
}

TEST(TokenizerLoadTest, Paths) {
  auto dir = Tokenizer::fromPath(dataDir() + "/tinystories");
  ASSERT_TRUE(dir.isOk()) << dir.status().message();
  auto file = Tokenizer::fromPath(dataDir() + "/tinystories/tokenizer.json");
  ASSERT_TRUE(file.isOk()) << file.status().message();
  EXPECT_EQ(file->specialTokens().bos, 1); // config found next to the file
  expectError(Tokenizer::fromPath(dataDir() + "/no-such-dir"),
              StatusCode::kNotFound, "no such file");
  expectError(Tokenizer::fromPath(dataDir()), StatusCode::kNotFound,
              "no tokenizer.json in directory");
}

} // namespace
} // namespace vlmc::tokenizer::test
