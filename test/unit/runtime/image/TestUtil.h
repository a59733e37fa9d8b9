// Helpers shared by the image tests.
#pragma once

#include "vlmc/image/Image.h"
#include "vlmc/io/Safetensors.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace vlmc::image::testing {

inline std::string dataPath(const std::string &rel) {
  return std::string(VLMC_TEST_DATA_DIR) + "/" + rel;
}

inline std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline RgbImage mustDecode(const std::string &rel) {
  Result<RgbImage> img = decodeFile(dataPath(rel));
  EXPECT_TRUE(img.isOk()) << rel << ": " << img.status().message();
  return img.isOk() ? std::move(img).value() : RgbImage();
}

// A tensor of a reference safetensors file, copied out as T.
template <typename T>
std::vector<T> tensorAs(const io::SafetensorsFile &f, const std::string &name,
                        std::vector<int64_t> *shape = nullptr) {
  const io::TensorView *t = f.find(name);
  EXPECT_NE(t, nullptr) << name;
  if (!t)
    return {};
  if (shape)
    *shape = t->shape;
  EXPECT_EQ(t->nbytes % sizeof(T), 0u);
  std::vector<T> out(t->nbytes / sizeof(T));
  std::memcpy(out.data(), t->data, t->nbytes);
  return out;
}

// Largest |a - b|, or +inf when the sizes differ.
inline double maxAbsDiff(const std::vector<float> &a,
                         const std::vector<float> &b) {
  if (a.size() != b.size())
    return 1.0 / 0.0;
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i)
    m = std::max(m, static_cast<double>(std::fabs(a[i] - b[i])));
  return m;
}

} // namespace vlmc::image::testing
