// Embedding, activations, add/mul, pixel shuffle (against an emulation of
// HF's view/permute/reshape chain) and the image-token splice.
#include "CpuTestUtil.h"

#include "vlmc/cpu/Kernels.h"

#include <limits>
#include <numeric>

namespace vlmc::cpu {
namespace {

using test::gaussian;

TEST(CpuEmbeddingTest, GathersRows) {
  const int64_t V = 10, E = 5;
  std::vector<float> table = gaussian(V * E, 1);
  const std::vector<int32_t> ids = {9, 0, 3, 3, 7};
  std::vector<float> out(ids.size() * E);
  ASSERT_TRUE(embedding(ids.data(), 5, table.data(), V, E, out.data()).isOk());
  for (size_t i = 0; i < ids.size(); ++i)
    for (int64_t e = 0; e < E; ++e)
      ASSERT_EQ(out[i * E + e], table[ids[i] * E + e]);
}

TEST(CpuEmbeddingTest, OutOfRangeIdsNameTheIdAndVocab) {
  const int64_t V = 10, E = 4;
  std::vector<float> table(V * E, 1.0f), out(3 * E, 2.0f);
  for (int32_t bad : {10, -1, 123456}) {
    const std::vector<int32_t> ids = {1, 2, bad};
    Status s = embedding(ids.data(), 3, table.data(), V, E, out.data());
    ASSERT_FALSE(s.isOk());
    EXPECT_EQ(s.code(), StatusCode::kOutOfRange);
    EXPECT_NE(s.message().find("token id " + std::to_string(bad)),
              std::string::npos)
        << s.message();
    EXPECT_NE(s.message().find("vocabulary of 10"), std::string::npos)
        << s.message();
    EXPECT_EQ(out, std::vector<float>(3 * E, 2.0f)) << "nothing written";
  }
}

double referenceActivation(int kind, double x) {
  switch (kind) {
  case kSilu:
    return x / (1 + std::exp(-x));
  case kGelu:
    return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
  case kGeluTanh: {
    const double pi = std::acos(-1.0);
    return 0.5 * x *
           (1 + std::tanh(std::sqrt(2 / pi) * (x + 0.044715 * x * x * x)));
  }
  default:
    return x / (1 + std::exp(-1.702 * x));
  }
}

TEST(CpuActivationTest, MatchesFormulas) {
  std::vector<float> x = gaussian(2000, 3, 4.0f);
  for (float special :
       {0.0f, -0.0f, 1e-30f, 50.0f, -50.0f, 100.0f, -100.0f, 88.0f, -88.0f})
    x.push_back(special);
  for (int kind : {kSilu, kGelu, kGeluTanh, kQuickGelu}) {
    std::vector<float> y(x.size());
    ASSERT_TRUE(
        activation(kind, x.data(), static_cast<int64_t>(x.size()), y.data())
            .isOk());
    for (size_t i = 0; i < x.size(); ++i) {
      const double ref = referenceActivation(kind, x[i]);
      ASSERT_FALSE(std::isnan(y[i])) << kind << " x=" << x[i];
      ASSERT_NEAR(y[i], ref, 4e-7 * std::fabs(x[i]) + 1e-30)
          << "kind " << kind << " x=" << x[i];
    }
    // In place.
    std::vector<float> inPlace = x;
    ASSERT_TRUE(activation(kind, inPlace.data(), static_cast<int64_t>(x.size()),
                           inPlace.data())
                    .isOk());
    EXPECT_EQ(test::firstBitDifference(inPlace, y), -1);
  }
}

TEST(CpuActivationTest, UnknownKindIsAnError) {
  std::vector<float> x(3, 1.0f), y(3, 0.0f);
  for (int kind : {-1, 4, 99}) {
    Status s = activation(kind, x.data(), 3, y.data());
    ASSERT_FALSE(s.isOk());
    EXPECT_NE(
        s.message().find("unknown activation kind " + std::to_string(kind)),
        std::string::npos);
  }
  EXPECT_EQ(y, std::vector<float>(3, 0.0f));
}

TEST(CpuElementwiseTest, AddAndMul) {
  std::vector<float> a = gaussian(37, 4), b = gaussian(37, 5), y(37);
  add(a.data(), b.data(), 37, y.data());
  for (size_t i = 0; i < a.size(); ++i)
    ASSERT_EQ(y[i], a[i] + b[i]);
  mul(a.data(), b.data(), 37, y.data());
  for (size_t i = 0; i < a.size(); ++i)
    ASSERT_EQ(y[i], a[i] * b[i]);
  std::vector<float> c = a;
  add(c.data(), b.data(), 37, c.data()); // residual in place
  for (size_t i = 0; i < a.size(); ++i)
    ASSERT_EQ(c[i], a[i] + b[i]);
}

//===----------------------------------------------------------------------===//
// Pixel shuffle: a tiny strided-tensor model of torch's view / permute /
// reshape, running HF's Idefics3Connector.pixel_shuffle line by line:
//
//   bsz, seq, embed_dim = x.size()
//   height = width = int(seq**0.5)
//   x = x.view(bsz, height, width, embed_dim)
//   x = x.view(bsz, height, int(width / scale_factor), embed_dim *
//   scale_factor) x = x.permute(0, 2, 1, 3) x = x.reshape(bsz, int(width /
//   scale_factor), int(height / scale_factor),
//                 embed_dim * (scale_factor**2))
//   x = x.permute(0, 2, 1, 3)
//   x = x.reshape(bsz, int(seq / (scale_factor**2)), embed_dim *
//   (scale_factor**2))
//===----------------------------------------------------------------------===//

struct Tensor {
  std::vector<int64_t> shape, strides;
  std::shared_ptr<std::vector<float>> data;

  static Tensor contiguous(std::vector<int64_t> shape,
                           std::vector<float> values) {
    Tensor t;
    t.shape = std::move(shape);
    t.strides.assign(t.shape.size(), 1);
    for (int64_t d = static_cast<int64_t>(t.shape.size()) - 2; d >= 0; --d)
      t.strides[d] = t.strides[d + 1] * t.shape[d + 1];
    t.data = std::make_shared<std::vector<float>>(std::move(values));
    return t;
  }
  int64_t numel() const {
    return std::accumulate(shape.begin(), shape.end(), int64_t{1},
                           std::multiplies<>());
  }
  bool isContiguous() const {
    int64_t expected = 1;
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (shape[d] != 1 && strides[d] != expected)
        return false;
      expected *= shape[d];
    }
    return true;
  }
  // Elements in logical (row-major) order.
  std::vector<float> values() const {
    std::vector<float> out;
    std::vector<int64_t> idx(shape.size(), 0);
    for (int64_t n = 0; n < numel(); ++n) {
      int64_t off = 0;
      for (size_t d = 0; d < shape.size(); ++d)
        off += idx[d] * strides[d];
      out.push_back((*data)[off]);
      for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
        if (++idx[d] < shape[d])
          break;
        idx[d] = 0;
      }
    }
    return out;
  }
  // torch.view: only on contiguous tensors (as HF uses it).
  Tensor view(std::vector<int64_t> newShape) const {
    EXPECT_TRUE(isContiguous()) << "view of a non-contiguous tensor";
    Tensor t = contiguous(std::move(newShape), {});
    EXPECT_EQ(t.numel(), numel());
    t.data = data;
    return t;
  }
  Tensor permute(const std::vector<int> &order) const {
    Tensor t;
    for (int d : order) {
      t.shape.push_back(shape[d]);
      t.strides.push_back(strides[d]);
    }
    t.data = data;
    return t;
  }
  // torch.reshape: a view when possible, else a contiguous copy.
  Tensor reshape(std::vector<int64_t> newShape) const {
    if (isContiguous())
      return view(std::move(newShape));
    return contiguous(shape, values()).view(std::move(newShape));
  }
};

std::vector<float> hfPixelShuffle(const std::vector<float> &x, int64_t bsz,
                                  int64_t seq, int64_t embed, int64_t s) {
  const int64_t height =
      static_cast<int64_t>(std::sqrt(static_cast<double>(seq)));
  const int64_t width = height;
  Tensor t = Tensor::contiguous({bsz, seq, embed}, x);
  t = t.view({bsz, height, width, embed});
  t = t.view({bsz, height, width / s, embed * s});
  t = t.permute({0, 2, 1, 3});
  t = t.reshape({bsz, width / s, height / s, embed * s * s});
  t = t.permute({0, 2, 1, 3});
  t = t.reshape({bsz, seq / (s * s), embed * s * s});
  return t.values();
}

TEST(CpuPixelShuffleTest, MatchesHfIdefics3ConnectorChain) {
  uint32_t seed = 10;
  for (int64_t T : {1, 3})
    for (auto [G, s] : {std::pair<int64_t, int64_t>{2, 2},
                        {4, 2},
                        {6, 3},
                        {8, 4},
                        {6, 2},
                        {3, 1}})
      for (int64_t C : {1, 5}) {
        std::vector<float> x = gaussian(T * G * G * C, seed++);
        std::vector<float> y(x.size(), -1.0f);
        ASSERT_TRUE(pixelShuffle(x.data(), T, G, C, s, y.data()).isOk());
        EXPECT_EQ(y, hfPixelShuffle(x, T, G * G, C, s))
            << "T=" << T << " G=" << G << " s=" << s << " C=" << C;
      }
}

TEST(CpuPixelShuffleTest, DocumentedIndexFormulaOnATinyGrid) {
  // G = 4, s = 2, C = 1, x[p] = p: cell (0, 0) gathers pixels (0,0), (0,1),
  // (1,0), (1,1) = 0, 1, 4, 5 -- dy outer, dx inner.
  std::vector<float> x(16);
  std::iota(x.begin(), x.end(), 0.0f);
  std::vector<float> y(16);
  ASSERT_TRUE(pixelShuffle(x.data(), 1, 4, 1, 2, y.data()).isOk());
  EXPECT_EQ(y, (std::vector<float>{0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11,
                                   14, 15}));
}

TEST(CpuPixelShuffleTest, IndivisibleGridIsAnError) {
  std::vector<float> x(9 * 2), y(9 * 2);
  Status s = pixelShuffle(x.data(), 1, 3, 2, 2, y.data());
  ASSERT_FALSE(s.isOk());
  EXPECT_NE(s.message().find("not divisible"), std::string::npos)
      << s.message();
  EXPECT_FALSE(pixelShuffle(x.data(), 1, 3, 2, 0, y.data()).isOk());
}

TEST(CpuSpliceTest, ImageRowsReplaceImageTokensInOrder) {
  const int64_t L = 7, E = 3, M = 3, token = 151655;
  const std::vector<int32_t> ids = {1, 151655, 151655, 5, 151655, 9, 2};
  std::vector<float> emb = gaussian(L * E, 1), image = gaussian(M * E, 2);
  std::vector<float> out(L * E);
  ASSERT_TRUE(spliceImageTokens(image.data(), M, emb.data(), ids.data(), L, E,
                                token, out.data())
                  .isOk());
  int64_t next = 0;
  for (int64_t i = 0; i < L; ++i)
    for (int64_t e = 0; e < E; ++e) {
      const float expected =
          ids[i] == token ? image[next * E + e] : emb[i * E + e];
      ASSERT_EQ(out[i * E + e], expected) << i;
      if (e == E - 1 && ids[i] == token)
        ++next;
    }
  // In place over the embeddings.
  ASSERT_TRUE(spliceImageTokens(image.data(), M, emb.data(), ids.data(), L, E,
                                token, emb.data())
                  .isOk());
  EXPECT_EQ(emb, out);
}

TEST(CpuSpliceTest, CountMismatchIsAnError) {
  const std::vector<int32_t> ids = {7, 7, 1};
  std::vector<float> emb(3 * 2, 1.0f), image(3 * 2, 2.0f), out(3 * 2, 0.0f);
  Status s = spliceImageTokens(image.data(), 3, emb.data(), ids.data(), 3, 2, 7,
                               out.data());
  ASSERT_FALSE(s.isOk());
  EXPECT_EQ(
      s.message(),
      "the prompt has 2 image tokens but the images produced 3 embeddings");
  EXPECT_EQ(out, std::vector<float>(6, 0.0f));
  // No images and no image tokens is fine.
  const std::vector<int32_t> text = {1, 2, 3};
  ASSERT_TRUE(spliceImageTokens(nullptr, 0, emb.data(), text.data(), 3, 2, 7,
                                out.data())
                  .isOk());
  EXPECT_EQ(out, emb);
}

// Greedy sampling's rule: the first index of the maximum, NaN never wins.
TEST(CpuArgMaxTest, FirstOfTiesAndNoNan) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> x = {1.0f, 3.0f, -2.0f, 3.0f, 0.5f};
  EXPECT_EQ(argMax(x.data(), 5), 1);
  x = {nan, -1.0f, nan, -0.5f};
  EXPECT_EQ(argMax(x.data(), 4), 3);
  x = {-inf, -inf, -inf};
  EXPECT_EQ(argMax(x.data(), 3), 0);
  x = {nan, nan};
  EXPECT_EQ(argMax(x.data(), 2), 0);
  x = {-1.0f, inf, inf};
  EXPECT_EQ(argMax(x.data(), 3), 1);
}

} // namespace
} // namespace vlmc::cpu

