// The long-word merge queue (buckets by rank) must pop in exactly the order of
// HF's heap, so both give identical ids on any word.
#include "TestUtil.h"

#include "Bpe.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <random>
#include <sstream>

namespace vlmc::tokenizer::test {
namespace {

std::unique_ptr<detail::BpeModel> loadModel(const std::string &name) {
  std::ifstream in(dataDir() + "/" + name + "/tokenizer.json");
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  auto m = detail::BpeModel::fromJson(j["model"]);
  EXPECT_TRUE(m.isOk());
  return m.isOk() ? std::move(*m) : nullptr;
}

void compareQueues(const detail::BpeModel &model, bool byteLevel,
                   const std::string &word) {
  std::vector<TokenId> heap, buckets;
  ASSERT_TRUE(model.tokenizeUncached(word, byteLevel, heap, false).isOk());
  ASSERT_TRUE(model.tokenizeUncached(word, byteLevel, buckets, true).isOk());
  EXPECT_EQ(heap, buckets) << word;
}

TEST(TokenizerMergeQueueTest, BucketsMatchHeapOnRandomWords) {
  auto tiny = loadModel("tinystories");
  auto qwen = loadModel("qwen");
  ASSERT_TRUE(tiny && qwen);
  std::mt19937 rng(5);
  const std::string alphabet[] = {"a", "b", "e", "t", "h", "▁", "s", ".",
                                  "é", "o", "n", "\n", "1", " ", "东"};
  for (int iter = 0; iter < 300; ++iter) {
    std::string w;
    size_t len = 1 + rng() % 120;
    for (size_t k = 0; k < len; ++k)
      w += alphabet[rng() % (sizeof(alphabet) / sizeof(alphabet[0]))];
    compareQueues(*tiny, false, w);
    compareQueues(*qwen, true, w);
  }
}

TEST(TokenizerMergeQueueTest, BucketsMatchHeapOnProse) {
  auto tiny = loadModel("tinystories");
  ASSERT_TRUE(tiny);
  std::string text =
      "▁Once▁upon▁a▁time,▁there▁was▁a▁little▁girl▁named▁Lily.▁She▁liked▁to▁"
      "play▁outside▁in▁the▁sun.▁One▁day,▁she▁saw▁a▁big▁red▁ball.";
  std::string big;
  while (big.size() < 20000)
    big += text;
  compareQueues(*tiny, false, text);
  compareQueues(*tiny, false, big); // long: bucket path on its own too
}

} // namespace
} // namespace vlmc::tokenizer::test
