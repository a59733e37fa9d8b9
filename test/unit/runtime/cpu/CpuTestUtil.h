// Helpers for the CPU kernel tests. References here are written naively and
// independently of the kernels (double precision unless a test says
// otherwise); nothing calls into vlmc_cpu.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

namespace vlmc::cpu::test {

inline std::vector<float> gaussian(size_t n, uint32_t seed,
                                   float sigma = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, sigma);
  std::vector<float> v(n);
  for (float &x : v)
    x = d(rng);
  return v;
}

inline std::vector<int32_t> randomInts(size_t n, uint32_t seed, int32_t lo,
                                       int32_t hi) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int32_t> d(lo, hi);
  std::vector<int32_t> v(n);
  for (int32_t &x : v)
    x = d(rng);
  return v;
}

inline uint32_t bitsOf(float v) {
  uint32_t u;
  std::memcpy(&u, &v, sizeof u);
  return u;
}

// Bitwise equality, except that any NaN equals any NaN.
inline bool sameFloat(float a, float b) {
  return (std::isnan(a) && std::isnan(b)) || bitsOf(a) == bitsOf(b);
}

// Index of the first element that differs bitwise (NaN == NaN), or -1.
inline int64_t firstBitDifference(const std::vector<float> &a,
                                  const std::vector<float> &b) {
  if (a.size() != b.size())
    return 0;
  for (size_t i = 0; i < a.size(); ++i)
    if (!sameFloat(a[i], b[i]))
      return static_cast<int64_t>(i);
  return -1;
}

// y[m, n] = sum_k x[m, k] w[n, k] (+ b[n]) in double; absY[m, n] =
// sum_k |x[m, k] w[n, k]| (+ |b[n]|), the scale of any fp32 rounding error.
inline void referenceMatmul(const std::vector<float> &x, int64_t M, int64_t K,
                            const std::vector<float> &w, int64_t N,
                            const float *bias, std::vector<double> *y,
                            std::vector<double> *absY) {
  y->assign(static_cast<size_t>(M * N), 0.0);
  absY->assign(static_cast<size_t>(M * N), 0.0);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      double s = 0, a = 0;
      for (int64_t k = 0; k < K; ++k) {
        const double p = static_cast<double>(x[m * K + k]) * w[n * K + k];
        s += p;
        a += std::fabs(p);
      }
      if (bias) {
        s += bias[n];
        a += std::fabs(bias[n]);
      }
      (*y)[m * N + n] = s;
      (*absY)[m * N + n] = a;
    }
}

// Any fp32 evaluation order of a K-term dot product (plus bias) stays within
// gamma_{K+2} * sum|terms| of the exact value (Higham, Thm 3.1), u = 2^-24.
inline double dotErrorBound(int64_t K, double absSum) {
  const double u = std::ldexp(1.0, -24);
  const double n = static_cast<double>(K + 2);
  return n * u / (1 - n * u) * absSum + 1e-30;
}

inline void expectWithinDotBound(const std::vector<float> &y,
                                 const std::vector<double> &ref,
                                 const std::vector<double> &absRef, int64_t K,
                                 const std::string &what) {
  ASSERT_EQ(y.size(), ref.size()) << what;
  for (size_t i = 0; i < y.size(); ++i)
    ASSERT_LE(std::fabs(y[i] - ref[i]), dotErrorBound(K, absRef[i]))
        << what << " at " << i << ": " << y[i] << " vs " << ref[i];
}

// Plain fp32 loop, ascending k from 0, bias after: the documented prefill
// order (and quant::qmatmulRef's).
inline std::vector<float> sequentialMatmul(const std::vector<float> &x,
                                           int64_t M, int64_t K,
                                           const std::vector<float> &w,
                                           int64_t N, const float *bias) {
  std::vector<float> y(static_cast<size_t>(M * N));
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      float acc = 0.0f;
      for (int64_t k = 0; k < K; ++k)
        acc += x[m * K + k] * w[n * K + k];
      y[m * N + n] = bias ? acc + bias[n] : acc;
    }
  return y;
}

// The documented decode order, written out scalar: 8 lanes (k = l mod 8) up
// to the last multiple of 8, lanes added ((0+1)+(2+3))+((4+5)+(6+7)), then the
// tail in ascending k, then the bias.
inline std::vector<float> laneMatmul(const std::vector<float> &x, int64_t M,
                                     int64_t K, const std::vector<float> &w,
                                     int64_t N, const float *bias) {
  std::vector<float> y(static_cast<size_t>(M * N));
  const int64_t k8 = K / 8 * 8;
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      for (int64_t k = 0; k < k8; ++k)
        lane[k % 8] += x[m * K + k] * w[n * K + k];
      float acc = ((lane[0] + lane[1]) + (lane[2] + lane[3])) +
                  ((lane[4] + lane[5]) + (lane[6] + lane[7]));
      for (int64_t k = k8; k < K; ++k)
        acc += x[m * K + k] * w[n * K + k];
      y[m * N + n] = bias ? acc + bias[n] : acc;
    }
  return y;
}

} // namespace vlmc::cpu::test
