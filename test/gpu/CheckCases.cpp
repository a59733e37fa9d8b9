// The case grid of vlmc-kernel-check and each case's CPU reference.
#include "CheckCases.h"

#include "vlmc/cpu/Kernels.h"
#include "vlmc/cpu/Matmul.h"
#include "vlmc/cpu/Sampling.h"
#include "vlmc/quant/Quant.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

namespace vlmc::check {
namespace {

using codegen::OpDesc;
using codegen::QuantDesc;
using fb::DType;
using fb::OpCode;
using fb::QuantMode;

const char *dtypeName(DType t) { return t == DType::BF16 ? "bf16" : "f32"; }

// Rounds `v` to the activation dtype in place and returns the device bytes.
HostTensor floats(DType dt, std::vector<int64_t> shape, std::vector<float> &v) {
  HostTensor t;
  t.dtype = dt;
  t.shape = std::move(shape);
  if (dt == DType::BF16) {
    t.bytes.resize(v.size() * 2);
    for (size_t i = 0; i < v.size(); ++i) {
      const uint16_t h = quant::floatToBf16(v[i]);
      v[i] = quant::bf16ToFloat(h);
      std::memcpy(&t.bytes[2 * i], &h, 2);
    }
  } else {
    t.bytes.resize(v.size() * 4);
    std::memcpy(t.bytes.data(), v.data(), t.bytes.size());
  }
  return t;
}

template <typename T> HostTensor raw(DType dt, std::vector<int64_t> shape, const T *data,
                                     size_t count) {
  HostTensor t;
  t.dtype = dt;
  t.shape = std::move(shape);
  t.bytes.resize(count * sizeof(T));
  std::memcpy(t.bytes.data(), data, t.bytes.size());
  return t;
}

HostTensor ints(std::vector<int64_t> shape, const std::vector<int32_t> &v) {
  return raw(DType::I32, std::move(shape), v.data(), v.size());
}

HostTensor absent() {
  HostTensor t;
  t.present = false;
  return t;
}

struct Rng {
  explicit Rng(uint64_t seed) : gen(seed) {}
  std::vector<float> normal(size_t n, float sigma = 1.0f) {
    std::normal_distribution<float> d(0.0f, sigma);
    std::vector<float> v(n);
    for (float &x : v)
      x = d(gen);
    return v;
  }
  int64_t uniform(int64_t lo, int64_t hi) { // [lo, hi]
    return std::uniform_int_distribution<int64_t>(lo, hi)(gen);
  }
  std::mt19937_64 gen;
};

uint64_t hashName(const std::string &s, uint64_t seed) {
  uint64_t h = 1469598103934665603ull ^ seed;
  for (unsigned char c : s)
    h = (h ^ c) * 1099511628211ull;
  return h;
}

double tolerance(DType dt) { return dt == DType::BF16 ? 1e-2 : 1e-5; }

// What storing to a `dt` tensor keeps of each value: a fused kernel rounds
// its intermediates exactly as the ops it replaces stored them.
void roundTo(DType dt, std::vector<float> &v) {
  if (dt == DType::BF16)
    for (float &x : v)
      x = quant::bf16ToFloat(quant::floatToBf16(x));
}

std::string quantName(const QuantDesc &q) {
  switch (q.mode) {
  case QuantMode::Affine:
    return "affine" + std::to_string(q.bits) + "/g" + std::to_string(q.groupSize) + "/" +
           fb::EnumNameDType(q.scaleDtype);
  case QuantMode::Mxfp4: return "mxfp4";
  case QuantMode::Mxfp8: return "mxfp8";
  case QuantMode::Nvfp4: return q.globalScale ? "nvfp4+gs" : "nvfp4";
  default: return "";
  }
}

quant::Mode modeOf(QuantMode m) {
  switch (m) {
  case QuantMode::Mxfp4: return quant::Mode::kMxfp4;
  case QuantMode::Mxfp8: return quant::Mode::kMxfp8;
  case QuantMode::Nvfp4: return quant::Mode::kNvfp4;
  default: return quant::Mode::kAffine;
  }
}

quant::DType quantDtype(DType t) {
  switch (t) {
  case DType::F16: return quant::DType::kF16;
  case DType::BF16: return quant::DType::kBF16;
  default: return quant::DType::kF32;
  }
}

// A random weight [rows, cols] quantized with q; the affine scales take
// q.scaleDtype (the dtype the weight is given in before quantizing).
Result<quant::QuantizedMatrix> quantizedWeight(Rng &rng, const QuantDesc &q, int64_t rows,
                                               int64_t cols) {
  std::vector<float> w = rng.normal(size_t(rows * cols), 0.05f);
  quant::QuantSpec spec{modeOf(q.mode), q.bits, q.groupSize, q.globalScale};
  if (q.mode != QuantMode::Affine || q.scaleDtype == DType::F32)
    return quant::quantize(w.data(), quant::DType::kF32, rows, cols, spec);
  std::vector<uint16_t> h(w.size());
  for (size_t i = 0; i < w.size(); ++i)
    h[i] = q.scaleDtype == DType::F16 ? quant::floatToF16(w[i]) : quant::floatToBf16(w[i]);
  return quant::quantize(h.data(), quantDtype(q.scaleDtype), rows, cols, spec);
}

// Packed weight, scales, biases, global scale as device inputs 1..4.
void addQuantInputs(Case &c, const quant::QuantizedMatrix &qm, const QuantDesc &q) {
  const int64_t words = int64_t(qm.packed.size()) / qm.rows;
  const int64_t groups = qm.cols / q.groupSize;
  c.inputs.push_back(raw(DType::U32, {qm.rows, words}, qm.packed.data(), qm.packed.size()));
  const DType st = q.mode == QuantMode::Affine ? q.scaleDtype : DType::U8;
  HostTensor s = raw(st, {qm.rows, groups}, qm.scales.data(), qm.scales.size());
  c.inputs.push_back(s);
  c.inputs.push_back(q.mode == QuantMode::Affine
                         ? raw(st, {qm.rows, groups}, qm.biases.data(), qm.biases.size())
                         : absent());
  if (q.globalScale) {
    const float g = *qm.globalScale;
    c.inputs.push_back(raw(DType::F32, {1}, &g, 1));
  } else {
    c.inputs.push_back(absent());
  }
}

CaseSpec spec(std::string op, std::string shape, DType dt,
              std::function<Result<Case>(cpu::ThreadPool &, Rng &, bool)> build, uint64_t seed) {
  CaseSpec s;
  s.op = std::move(op);
  s.shape = std::move(shape);
  s.dtype = dt;
  const uint64_t h = hashName(s.name(), seed);
  s.build = [build, h](cpu::ThreadPool &pool, bool descOnly) {
    Rng rng(h);
    return build(pool, rng, descOnly);
  };
  return s;
}

//===----------------------------------------------------------------------===//
// Matmul family
//===----------------------------------------------------------------------===//

CaseSpec matmulCase(OpCode code, QuantDesc q, DType dt, int64_t M, int64_t K, int64_t N,
                    bool bias, uint64_t seed) {
  std::string op = fb::EnumNameOpCode(code);
  if (code != OpCode::Matmul)
    op += " " + quantName(q);
  std::string shape = "M=" + std::to_string(M) + " K=" + std::to_string(K) +
                      " N=" + std::to_string(N) + (bias ? " +bias" : "");
  return spec(op, shape, dt, [=](cpu::ThreadPool &pool, Rng &rng, bool descOnly) -> Result<Case> {
    Case c;
    c.desc.code = code;
    c.desc.dtype = dt;
    c.desc.k = K;
    c.desc.n = N;
    c.desc.hasBias = bias;
    c.desc.quant = q;
    if (descOnly)
      return c;
    c.outDtype = dt;
    c.outShape = {M, N};
    c.tolerance = tolerance(dt);
    std::vector<float> x = rng.normal(size_t(M * K));
    c.inputs.push_back(floats(dt, {M, K}, x));
    std::vector<float> b;
    if (bias)
      b = rng.normal(size_t(N), 0.5f);
    c.expected.resize(size_t(M * N));
    if (code == OpCode::Matmul) {
      std::vector<float> w = rng.normal(size_t(N * K), 1.0f / std::sqrt(float(K)));
      c.inputs.push_back(floats(dt, {N, K}, w));
      c.inputs.push_back(bias ? floats(dt, {N}, b) : absent());
      cpu::matmul(pool, x.data(), M, K, w.data(), N, bias ? b.data() : nullptr,
                  c.expected.data());
      return c;
    }
    Result<quant::QuantizedMatrix> qm = quantizedWeight(rng, q, N, K);
    if (!qm)
      return qm.status();
    addQuantInputs(c, *qm, q);
    c.inputs.push_back(bias ? floats(dt, {N}, b) : absent());
    const quant::QuantizedWeightView view = qm->view();
    Status s = code == OpCode::QMatmul
                   ? cpu::qmatmul(pool, x.data(), M, K, view, bias ? b.data() : nullptr,
                                  c.expected.data())
                   : cpu::qqmatmul(pool, x.data(), M, K, view, bias ? b.data() : nullptr,
                                   c.expected.data());
    if (!s.isOk())
      return s;
    return c;
  }, seed);
}

void addMatmulCases(std::vector<CaseSpec> &out, uint64_t seed) {
  struct Shape {
    int64_t M, K, N;
  };
  // Decode sizes (every GEMV bucket), the GEMM edge (17), prefill sizes, the
  // real Qwen2-VL-2B MLP shapes, and odd small ones.
  const std::vector<Shape> big = {{1, 1536, 8960},  {2, 1536, 8960},   {3, 1536, 8960},
                                  {5, 1536, 8960},  {8, 1536, 8960},   {13, 1536, 8960},
                                  {16, 1536, 8960}, {17, 1536, 8960},  {77, 1536, 8960},
                                  {1, 8960, 1536},  {512, 8960, 1536}, {512, 1536, 256}};
  const std::vector<Shape> small = {{1, 96, 29}, {6, 96, 29}, {33, 96, 29}, {130, 160, 70}};
  const std::vector<QuantDesc> modes = {
      {QuantMode::Affine, 4, 64, false, DType::BF16}, {QuantMode::Affine, 8, 64, false, DType::BF16},
      {QuantMode::Affine, 2, 32, false, DType::F16},  {QuantMode::Affine, 3, 64, false, DType::F32},
      {QuantMode::Affine, 5, 128, false, DType::BF16}, {QuantMode::Affine, 6, 32, false, DType::F16},
      {QuantMode::Mxfp4, 4, 32, false, DType::U8},    {QuantMode::Mxfp8, 8, 32, false, DType::U8},
      {QuantMode::Nvfp4, 4, 16, false, DType::U8},    {QuantMode::Nvfp4, 4, 16, true, DType::U8}};
  for (DType dt : {DType::BF16, DType::F32}) {
    int i = 0;
    for (const Shape &s : big)
      out.push_back(matmulCase(OpCode::Matmul, {}, dt, s.M, s.K, s.N, (i++ & 1) != 0, seed));
    for (const Shape &s : {Shape{1, 77, 33}, Shape{40, 77, 33}, Shape{3, 6, 10}})
      out.push_back(matmulCase(OpCode::Matmul, {}, dt, s.M, s.K, s.N, true, seed));
    for (const QuantDesc &q : modes) {
      for (const Shape &s : big)
        out.push_back(matmulCase(OpCode::QMatmul, q, dt, s.M, s.K, s.N, (i++ & 1) != 0, seed));
      for (const Shape &s : small)
        if (s.K % q.groupSize == 0)
          out.push_back(matmulCase(OpCode::QMatmul, q, dt, s.M, s.K, s.N, true, seed));
    }
    // nvfp4 with K = 16 (mod 32): the 16-element GEMV chunks.
    out.push_back(matmulCase(OpCode::QMatmul, modes[8], dt, 3, 48, 40, false, seed));
    out.push_back(matmulCase(OpCode::QMatmul, modes[8], dt, 20, 48, 40, true, seed));
    for (size_t m : {size_t(7), size_t(8), size_t(9)}) {
      const QuantDesc &q = modes[m];
      for (const Shape &s : big)
        out.push_back(matmulCase(OpCode::QQMatmul, q, dt, s.M, s.K, s.N, (i++ & 1) != 0, seed));
      for (const Shape &s : small)
        out.push_back(matmulCase(OpCode::QQMatmul, q, dt, s.M, s.K, s.N, true, seed));
      if (48 % q.groupSize == 0)
        out.push_back(matmulCase(OpCode::QQMatmul, q, dt, 4, 48, 40, false, seed));
    }
  }
}

//===----------------------------------------------------------------------===//
// Embeddings, norms, RoPE
//===----------------------------------------------------------------------===//

// `dynamicRows`: the kernel is compiled without the table's row count (a
// gather over activations) and gets it at launch.
CaseSpec embeddingCase(OpCode code, QuantDesc q, DType dt, int64_t n, int64_t V, int64_t E,
                       uint64_t seed, bool dynamicRows = false) {
  std::string op = fb::EnumNameOpCode(code);
  if (code == OpCode::QEmbedding)
    op += " " + quantName(q);
  std::string shape = "ids=" + std::to_string(n) + " V=" + std::to_string(V) +
                      (dynamicRows ? " (rows at run time)" : "") + " E=" + std::to_string(E);
  return spec(op, shape, dt, [=](cpu::ThreadPool &, Rng &rng, bool descOnly) -> Result<Case> {
    Case c;
    c.desc.code = code;
    c.desc.dtype = dt;
    c.desc.vocab = dynamicRows ? -1 : V;
    c.desc.width = E;
    c.desc.quant = q;
    if (descOnly)
      return c;
    c.outDtype = dt;
    c.outShape = {n, E};
    c.tolerance = tolerance(dt);
    std::vector<int32_t> ids(static_cast<size_t>(n));
    for (int32_t &id : ids)
      id = int32_t(rng.uniform(0, V - 1));
    ids[0] = int32_t(V - 1);
    c.inputs.push_back(ints({n}, ids));
    c.expected.resize(size_t(n * E));
    if (code == OpCode::Embedding) {
      std::vector<float> table = rng.normal(size_t(V * E));
      c.inputs.push_back(floats(dt, {V, E}, table));
      return cpu::embedding(ids.data(), n, table.data(), V, E, c.expected.data()).isOk()
                 ? Result<Case>(std::move(c))
                 : Result<Case>(internalError("embedding reference failed"));
    }
    Result<quant::QuantizedMatrix> qm = quantizedWeight(rng, q, V, E);
    if (!qm)
      return qm.status();
    addQuantInputs(c, *qm, q);
    VLMC_RETURN_IF_ERROR(cpu::qembedding(ids.data(), n, qm->view(), c.expected.data()));
    return c;
  }, seed);
}

CaseSpec normCase(OpCode code, DType dt, int64_t rows, int64_t D, uint64_t seed) {
  return spec(fb::EnumNameOpCode(code), "rows=" + std::to_string(rows) + " D=" + std::to_string(D),
              dt, [=](cpu::ThreadPool &, Rng &rng, bool descOnly) -> Result<Case> {
                Case c;
                c.desc.code = code;
                c.desc.dtype = dt;
                c.desc.width = D;
                const float eps = code == OpCode::RmsNorm ? 1e-6f : 1e-5f;
                c.desc.f32Attrs = {eps};
                if (descOnly)
                  return c;
                c.outDtype = dt;
                c.outShape = {rows, D};
                c.tolerance = tolerance(dt);
                std::vector<float> x = rng.normal(size_t(rows * D), 2.0f);
                for (int64_t r = 0; r < rows; ++r) // a row mean to stress LayerNorm
                  for (int64_t i = 0; i < D; ++i)
                    x[size_t(r * D + i)] += float(r % 5);
                std::vector<float> w = rng.normal(size_t(D), 0.3f), b = rng.normal(size_t(D));
                for (float &v : w)
                  v += 1.0f;
                c.inputs.push_back(floats(dt, {rows, D}, x));
                c.inputs.push_back(floats(dt, {D}, w));
                if (code == OpCode::LayerNorm)
                  c.inputs.push_back(floats(dt, {D}, b));
                c.expected.resize(x.size());
                if (code == OpCode::RmsNorm)
                  cpu::rmsNorm(x.data(), rows, D, w.data(), eps, c.expected.data());
                else
                  cpu::layerNorm(x.data(), rows, D, w.data(), b.data(), eps, c.expected.data());
                return c;
              }, seed);
}

// a + b (rounded to dt) and its RMSNorm: expected holds both outputs.
CaseSpec addRmsNormCase(DType dt, int64_t rows, int64_t D, uint64_t seed) {
  return spec("AddRmsNorm", "rows=" + std::to_string(rows) + " D=" + std::to_string(D), dt,
              [=](cpu::ThreadPool &, Rng &rng, bool descOnly) -> Result<Case> {
                Case c;
                c.desc.code = OpCode::AddRmsNorm;
                c.desc.dtype = dt;
                c.desc.width = D;
                c.desc.f32Attrs = {1e-6f};
                if (descOnly)
                  return c;
                c.outDtype = dt;
                c.outShape = {rows, D};
                c.outputs = 2;
                c.tolerance = tolerance(dt);
                const size_t n = size_t(rows * D);
                std::vector<float> a = rng.normal(n, 2.0f), b = rng.normal(n, 0.5f);
                std::vector<float> w = rng.normal(size_t(D), 0.3f);
                for (float &v : w)
                  v += 1.0f;
                c.inputs.push_back(floats(dt, {rows, D}, a));
                c.inputs.push_back(floats(dt, {rows, D}, b));
                c.inputs.push_back(floats(dt, {D}, w));
                c.expected.resize(2 * n);
                cpu::add(a.data(), b.data(), int64_t(n), c.expected.data());
                std::vector<float> sum(c.expected.begin(), c.expected.begin() + long(n));
                roundTo(dt, sum);
                std::copy(sum.begin(), sum.end(), c.expected.begin());
                cpu::rmsNorm(sum.data(), rows, D, w.data(), 1e-6f, c.expected.data() + n);
                return c;
              }, seed);
}

CaseSpec ropeCase(DType dt, int64_t S, int64_t H, int64_t D, float theta,
                  std::vector<int64_t> sections, bool axial, int64_t maxPos, uint64_t seed) {
  std::string kind = sections.empty() ? "1d" : (axial ? "axial" : "mrope");
  return spec("Rope " + kind,
              "S=" + std::to_string(S) + " H=" + std::to_string(H) + " D=" + std::to_string(D) +
                  " pos<" + std::to_string(maxPos),
              dt, [=](cpu::ThreadPool &, Rng &rng, bool descOnly) -> Result<Case> {
                Case c;
                c.desc.code = OpCode::Rope;
                c.desc.dtype = dt;
                c.desc.heads = H;
                c.desc.headDim = D;
                c.desc.f32Attrs = {theta};
                c.desc.i64Attrs = sections;
                c.desc.flags = axial ? 2u : 0u;
                if (descOnly)
                  return c;
                c.outDtype = dt;
                c.outShape = {S, H, D};
                c.tolerance = tolerance(dt);
                const int64_t streams = sections.empty() ? 1 : int64_t(sections.size());
                std::vector<float> x = rng.normal(size_t(S * H * D));
                std::vector<int32_t> pos(size_t(streams * S));
                for (int32_t &p : pos)
                  p = int32_t(rng.uniform(0, maxPos - 1));
                c.inputs.push_back(floats(dt, {S, H, D}, x));
                c.inputs.push_back(sections.empty() ? ints({S}, pos) : ints({streams, S}, pos));
                c.expected.resize(x.size());
                VLMC_RETURN_IF_ERROR(cpu::rope(x.data(), c.expected.data(), S, H, D, pos.data(),
                                               streams, sections.data(), int64_t(sections.size()),
                                               theta, axial));
                return c;
              }, seed);
}

// RoPE written into a KV cache at an offset (a device scalar, i32 or i64):
// the cache's other rows must come back untouched. With `pair`, values go
// unrotated into a value cache at the same offset (RopeKVPairCacheWrite).
CaseSpec ropeKvWriteCase(DType dt, int64_t S, int64_t T, int64_t H, int64_t D,
                         std::vector<int64_t> sections, int64_t offset, bool offset64,
                         uint64_t seed, bool pair = false) {
  const float theta = 1000000.0f;
  return spec(pair ? "RopeKVPairCacheWrite" : "RopeKVCacheWrite",
              "S=" + std::to_string(S) + " T=" + std::to_string(T) + " H=" + std::to_string(H) +
                  " D=" + std::to_string(D) + (sections.empty() ? "" : " mrope") +
                  " offset=" + std::to_string(offset) + (offset64 ? " (i64)" : ""),
              dt, [=](cpu::ThreadPool &, Rng &rng, bool descOnly) -> Result<Case> {
                Case c;
                c.desc.code = pair ? OpCode::RopeKVPairCacheWrite : OpCode::RopeKVCacheWrite;
                c.desc.dtype = dt;
                c.desc.heads = c.desc.kvHeads = H;
                c.desc.headDim = D;
                c.desc.f32Attrs = {theta};
                c.desc.i64Attrs = sections;
                if (descOnly)
                  return c;
                c.outDtype = dt;
                c.outShape = {T, H, D};
                c.inPlace = 2;
                c.tolerance = tolerance(dt);
                const int64_t streams = sections.empty() ? 1 : int64_t(sections.size());
                std::vector<float> x = rng.normal(size_t(S * H * D));
                std::vector<float> cache = rng.normal(size_t(T * H * D));
                std::vector<int32_t> pos(size_t(streams * S));
                for (int32_t &p : pos)
                  p = int32_t(rng.uniform(0, 8191));
                c.inputs.push_back(floats(dt, {S, H, D}, x));
                c.inputs.push_back(sections.empty() ? ints({S}, pos) : ints({streams, S}, pos));
                c.inputs.push_back(floats(dt, {T, H, D}, cache));
                const int64_t off64 = offset;
                const int32_t off32 = int32_t(offset);
                c.inputs.push_back(offset64 ? raw(DType::I64, {1}, &off64, 1)
                                            : ints({1}, {off32}));
                std::vector<float> rotated(x.size());
                VLMC_RETURN_IF_ERROR(cpu::rope(x.data(), rotated.data(), S, H, D, pos.data(),
                                               streams, sections.data(), int64_t(sections.size()),
                                               theta, false));
                c.expected = cache;
                VLMC_RETURN_IF_ERROR(
                    cpu::kvCacheWrite(rotated.data(), S, c.expected.data(), T, H, D, offset));
                if (pair) {
                  std::vector<float> values = rng.normal(size_t(S * H * D));
                  std::vector<float> valueCache = rng.normal(size_t(T * H * D));
                  c.inputs.push_back(floats(dt, {S, H, D}, values));
                  c.inputs.push_back(floats(dt, {T, H, D}, valueCache));
                  c.outputs = 2;
                  c.secondInPlace = 5;
                  VLMC_RETURN_IF_ERROR(
                      cpu::kvCacheWrite(values.data(), S, valueCache.data(), T, H, D, offset));
                  c.expected.insert(c.expected.end(), valueCache.begin(), valueCache.end());
                }
                return c;
              }, seed);
}

//===----------------------------------------------------------------------===//
// Attention and the KV cache
//===----------------------------------------------------------------------===//

struct AttnShape {
  int64_t Sq, T, kvLen; // kvLen < 0: no kv_length operand (kvLength = T)
  int64_t Hq, Hkv, D;
  bool causal;
  std::vector<int32_t> segments; // empty: none
};

CaseSpec attentionCase(DType dt, AttnShape a, uint64_t seed) {
  std::string shape = "Sq=" + std::to_string(a.Sq) + " T=" + std::to_string(a.T) +
                      (a.kvLen >= 0 ? " kv_len=" + std::to_string(a.kvLen) : "") + " Hq=" +
                      std::to_string(a.Hq) + " Hkv=" + std::to_string(a.Hkv) +
                      " D=" + std::to_string(a.D) + (a.causal ? " causal" : "") +
                      (a.segments.empty() ? "" : " segs=" + std::to_string(a.segments.size() - 1));
  return spec("Attention", shape, dt, [=](cpu::ThreadPool &pool, Rng &rng, bool descOnly) -> Result<Case> {
    Case c;
    c.desc.code = OpCode::Attention;
    c.desc.dtype = dt;
    c.desc.heads = a.Hq;
    c.desc.kvHeads = a.Hkv;
    c.desc.headDim = a.D;
    c.desc.flags = a.causal ? 1u : 0u;
    c.desc.hasSegments = !a.segments.empty();
    c.desc.hasKvLength = a.kvLen >= 0;
    const float scale = 1.0f / std::sqrt(float(a.D));
    c.desc.f32Attrs = {scale};
    if (descOnly)
      return c;
    c.outDtype = dt;
    c.outShape = {a.Sq, a.Hq, a.D};
    c.tolerance = tolerance(dt);
    std::vector<float> q = rng.normal(size_t(a.Sq * a.Hq * a.D), 1.5f);
    std::vector<float> k = rng.normal(size_t(a.T * a.Hkv * a.D), 1.5f);
    std::vector<float> v = rng.normal(size_t(a.T * a.Hkv * a.D));
    c.inputs.push_back(floats(dt, {a.Sq, a.Hq, a.D}, q));
    c.inputs.push_back(floats(dt, {a.T, a.Hkv, a.D}, k));
    c.inputs.push_back(floats(dt, {a.T, a.Hkv, a.D}, v));
    c.inputs.push_back(a.segments.empty() ? absent()
                                          : ints({int64_t(a.segments.size())}, a.segments));
    const int64_t kvLength = a.kvLen >= 0 ? a.kvLen : a.T;
    c.inputs.push_back(a.kvLen >= 0 ? ints({1}, {int32_t(a.kvLen)}) : absent());
    c.expected.resize(q.size());
    VLMC_RETURN_IF_ERROR(cpu::attention(pool, q.data(), k.data(), v.data(), a.Sq, a.Hq, a.Hkv,
                                        a.D, a.T, kvLength,
                                        a.segments.empty() ? nullptr : a.segments.data(),
                                        int64_t(a.segments.size()), scale, a.causal,
                                        c.expected.data()));
    return c;
  }, seed);
}

void addAttentionCases(std::vector<CaseSpec> &out, uint64_t seed) {
  std::vector<AttnShape> shapes = {
      // Decode: one query against a cache prefix (kv_length) or all of it.
      {1, 1, 1, 12, 2, 128, true, {}},
      {1, 4096, 1, 12, 2, 128, true, {}},
      {1, 4096, 100, 12, 2, 128, true, {}},
      {1, 4096, 256, 12, 2, 128, true, {}},
      {1, 4096, 257, 12, 2, 128, true, {}},
      {1, 4096, 3001, 12, 2, 128, true, {}},
      {1, 1000, -1, 12, 2, 128, true, {}},
      {1, 200, -1, 12, 2, 128, false, {}},
      {1, 2048, 1500, 9, 3, 64, true, {}},
      {1, 2048, 2048, 28, 4, 128, true, {}},
      // Small chunks through the decode path: causal inside the new rows.
      {5, 4096, 605, 12, 2, 128, true, {}},
      {16, 512, 16, 12, 2, 128, true, {}},
      {7, 7, -1, 9, 3, 64, true, {}},
      // Decode at head dims that take the other staging paths: 8-byte
      // copies (36), one element per lane and three lane slots (96), two
      // lane slots with K in rounds of 16 and V in chunks (256).
      {1, 300, -1, 4, 1, 36, false, {}},
      {2, 1000, 900, 4, 4, 96, true, {}},
      {3, 700, 650, 8, 2, 256, true, {}},
      // Prefill: causal from scratch, after a cached prefix, GQA.
      {17, 17, -1, 12, 2, 128, true, {}},
      {77, 4096, 77, 12, 2, 128, true, {}},
      {512, 512, -1, 12, 2, 128, true, {}},
      {300, 4096, 1324, 9, 3, 64, true, {}},
      {100, 100, -1, 4, 1, 36, false, {}},
      // Vision: block-diagonal segments (images / windows), head dim 80.
      {512, 512, -1, 16, 16, 80, false, {0, 100, 356, 512}},
      {64, 64, -1, 16, 16, 80, false, {0, 64}},
      {96, 96, -1, 16, 16, 80, true, {0, 1, 40, 96}},
      {12, 12, -1, 16, 16, 80, false, {0, 5, 12}},
      // Larger: an image's patches in two windows; SigLIP-shaped (D 64).
      {2048, 2048, -1, 16, 16, 80, false, {0, 1000, 2048}},
      {729, 729, -1, 12, 12, 64, false, {}},
      {130, 130, -1, 12, 12, 64, true, {}},
  };
  for (DType dt : {DType::BF16, DType::F32})
    for (const AttnShape &a : shapes)
      out.push_back(attentionCase(dt, a, seed));
}

CaseSpec kvWriteCase(DType dt, int64_t S, int64_t T, int64_t H, int64_t D, int64_t offset,
                     uint64_t seed) {
  return spec("KVCacheWrite",
              "S=" + std::to_string(S) + " T=" + std::to_string(T) + " H=" + std::to_string(H) +
                  " D=" + std::to_string(D) + " offset=" + std::to_string(offset),
              dt, [=](cpu::ThreadPool &, Rng &rng, bool descOnly) -> Result<Case> {
                Case c;
                c.desc.code = OpCode::KVCacheWrite;
                c.desc.dtype = dt;
                c.desc.kvHeads = H;
                c.desc.headDim = D;
                if (descOnly)
                  return c;
                c.outDtype = dt;
                c.outShape = {T, H, D};
                c.inPlace = 1;
                c.tolerance = 0;
                std::vector<float> u = rng.normal(size_t(S * H * D));
                std::vector<float> cache = rng.normal(size_t(T * H * D));
                c.inputs.push_back(floats(dt, {S, H, D}, u));
                c.inputs.push_back(floats(dt, {T, H, D}, cache));
                c.inputs.push_back(ints({1}, {int32_t(offset)}));
                c.expected = cache;
                VLMC_RETURN_IF_ERROR(
                    cpu::kvCacheWrite(u.data(), S, c.expected.data(), T, H, D, offset));
                return c;
              }, seed);
}

//===----------------------------------------------------------------------===//
// Elementwise and layout ops
//===----------------------------------------------------------------------===//

CaseSpec elementwiseCase(OpCode code, int64_t act, DType dt, int64_t n, uint64_t seed) {
  static const char *kActs[] = {"silu", "gelu", "gelu_tanh", "quick_gelu"};
  const bool activates = code == OpCode::Activation || code == OpCode::GatedActivation;
  std::string op = activates ? std::string(fb::EnumNameOpCode(code)) + " " + kActs[act]
                             : fb::EnumNameOpCode(code);
  return spec(op, "n=" + std::to_string(n), dt, [=](cpu::ThreadPool &, Rng &rng, bool descOnly) -> Result<Case> {
    Case c;
    c.desc.code = code;
    c.desc.dtype = dt;
    if (activates)
      c.desc.i64Attrs = {act};
    if (descOnly)
      return c;
    c.outDtype = dt;
    c.outShape = {n};
    c.tolerance = tolerance(dt);
    std::vector<float> x = rng.normal(size_t(n), 3.0f), b = rng.normal(size_t(n), 2.0f);
    c.inputs.push_back(floats(dt, {n}, x));
    c.expected.resize(size_t(n));
    if (code == OpCode::Activation) {
      VLMC_RETURN_IF_ERROR(cpu::activation(int(act), x.data(), n, c.expected.data()));
      return c;
    }
    c.inputs.push_back(floats(dt, {n}, b));
    if (code == OpCode::GatedActivation) {
      std::vector<float> gate(static_cast<size_t>(n));
      VLMC_RETURN_IF_ERROR(cpu::activation(int(act), x.data(), n, gate.data()));
      roundTo(dt, gate);
      cpu::mul(gate.data(), b.data(), n, c.expected.data());
      return c;
    }
    if (code == OpCode::Add)
      cpu::add(x.data(), b.data(), n, c.expected.data());
    else
      cpu::mul(x.data(), b.data(), n, c.expected.data());
    return c;
  }, seed);
}

// A token drawn from the last of two rows by cpu::sampleToken's rule, with the
// spec in the op's attributes and `draw` (53 bits) in i64_attrs[1]. The
// "tied" logits put many tokens on the same value: the largest five (so top-k
// cuts inside a tie) or, with top-p, all of them (so top-p cuts inside one).
// Penalized ids repeat and stray outside the vocabulary.
CaseSpec sampleCase(DType dt, int64_t n, const std::string &name, cpu::SamplingSpec sampling,
                    bool tied, uint64_t draw, uint64_t seed) {
  return spec("Sample", name + " N=" + std::to_string(n) + " draw=" + std::to_string(draw), dt,
              [=](cpu::ThreadPool &, Rng &rng, bool descOnly) -> Result<Case> {
                Case c;
                c.desc.code = OpCode::Sample;
                c.desc.dtype = dt;
                c.desc.width = n;
                c.desc.f32Attrs = {sampling.temperature, sampling.topP, sampling.minP,
                                   sampling.penalty};
                c.desc.i64Attrs = {sampling.topK, int64_t(draw)};
                if (descOnly)
                  return c;
                c.outDtype = DType::I32;
                c.outShape = {1};
                c.tolerance = 0;
                std::vector<float> x = rng.normal(size_t(2 * n), 3.0f);
                float *row = x.data() + n;
                if (tied && sampling.topP < 1.0f)
                  std::fill(row, row + n, 0.5f);
                else if (tied)
                  for (int64_t k = 0; k < std::min<int64_t>(5, n); ++k)
                    row[rng.uniform(0, n - 1)] = 12.0f;
                std::vector<int32_t> ids;
                for (int k = 0; k < 12; ++k)
                  ids.push_back(int32_t(rng.uniform(0, n - 1)));
                ids.push_back(ids[0]);
                ids.push_back(-1);
                ids.push_back(int32_t(n));
                ids.push_back(int32_t(std::max_element(row, row + n) - row));
                c.inputs.push_back(floats(dt, {2, n}, x));
                c.inputs.push_back(ints({int64_t(ids.size())}, ids));
                const cpu::SamplingStep step{sampling, ids.data(), ids.size(), draw};
                cpu::SamplingScratch scratch;
                c.expected = {float(cpu::sampleToken(x.data() + n, n, step, scratch))};
                return c;
              }, seed);
}

void addSampleCases(std::vector<CaseSpec> &out, DType dt, uint64_t seed) {
  struct Named {
    const char *name;
    cpu::SamplingSpec spec;
    bool tied;
  };
  const Named specs[] = {
      {"greedy penalty=1.3", {0.0f, 1.0f, 0.0f, 1.3f, 0}, false},
      {"T=0.7", {0.7f, 1.0f, 0.0f, 1.0f, 0}, false},
      {"T=1 top-k=50", {1.0f, 1.0f, 0.0f, 1.0f, 50}, false},
      {"T=0.8 top-p=0.9", {0.8f, 0.9f, 0.0f, 1.0f, 0}, false},
      {"T=1.5 min-p=0.05", {1.5f, 1.0f, 0.05f, 1.0f, 0}, false},
      {"T=0.6 top-k=40 top-p=0.95 min-p=0.02 penalty=1.1", {0.6f, 0.95f, 0.02f, 1.1f, 40}, false},
      {"T=1 top-k=3 tied", {1.0f, 1.0f, 0.0f, 1.0f, 3}, true},
      {"T=1 top-p=0.5 tied", {1.0f, 0.5f, 0.0f, 1.0f, 0}, true},
      {"T=4 top-k=1000 top-p=0.3 penalty=0.8", {4.0f, 0.3f, 0.0f, 0.8f, 1000}, false},
  };
  const uint64_t draws[] = {0, (uint64_t(1) << 53) - 1, 0x0123456789ABCull, 0x1A2B3C4D5E6F7ull};
  for (int64_t n : {151936, 49280, 1000, 37})
    for (const Named &s : specs)
      for (uint64_t draw : draws)
        out.push_back(sampleCase(dt, n, s.name, s.spec, s.tied, draw, seed));
}

// The first index of each row's maximum. Rows get planted ties (the same
// largest value twice, the later copy first in the scan of some threads) and
// bf16 rounding makes more; one row is all -inf but one NaN-free entry.
CaseSpec argMaxCase(DType dt, int64_t rows, int64_t n, uint64_t seed) {
  return spec("ArgMax", "rows=" + std::to_string(rows) + " N=" + std::to_string(n), dt,
              [=](cpu::ThreadPool &, Rng &rng, bool descOnly) -> Result<Case> {
                Case c;
                c.desc.code = OpCode::ArgMax;
                c.desc.dtype = dt;
                c.desc.width = n;
                if (descOnly)
                  return c;
                c.outDtype = DType::I32;
                c.outShape = {rows};
                c.tolerance = 0;
                std::vector<float> x = rng.normal(size_t(rows * n), 4.0f);
                for (int64_t r = 0; r < rows; ++r) {
                  float *row = x.data() + r * n;
                  if (r % 3 == 1 && n > 2) { // a tie: the same maximum twice
                    const int64_t a = rng.uniform(0, n - 1), b = rng.uniform(0, n - 1);
                    row[a] = row[b] = 1000.0f;
                  } else if (r % 3 == 2) { // -inf everywhere but one late entry
                    for (int64_t i = 0; i < n; ++i)
                      row[i] = -std::numeric_limits<float>::infinity();
                    row[n - 1] = -3.0f;
                  }
                }
                c.inputs.push_back(floats(dt, {rows, n}, x));
                c.expected.resize(size_t(rows));
                for (int64_t r = 0; r < rows; ++r) {
                  const float *row = x.data() + r * n;
                  c.expected[size_t(r)] = float(std::max_element(row, row + n) - row);
                }
                return c;
              }, seed);
}

CaseSpec pixelShuffleCase(DType dt, int64_t T, int64_t G, int64_t C, int64_t s, uint64_t seed) {
  return spec("PixelShuffle",
              "T=" + std::to_string(T) + " G=" + std::to_string(G) + " C=" + std::to_string(C) +
                  " s=" + std::to_string(s),
              dt, [=](cpu::ThreadPool &, Rng &rng, bool descOnly) -> Result<Case> {
                Case c;
                c.desc.code = OpCode::PixelShuffle;
                c.desc.dtype = dt;
                c.desc.width = C;
                c.desc.i64Attrs = {s};
                if (descOnly)
                  return c;
                c.outDtype = dt;
                c.outShape = {T, (G / s) * (G / s), C * s * s};
                c.tolerance = 0;
                std::vector<float> x = rng.normal(size_t(T * G * G * C));
                c.inputs.push_back(floats(dt, {T, G * G, C}, x));
                c.expected.resize(x.size());
                VLMC_RETURN_IF_ERROR(cpu::pixelShuffle(x.data(), T, G, C, s, c.expected.data()));
                return c;
              }, seed);
}

CaseSpec spliceCase(DType dt, int64_t L, int64_t images, int64_t E, uint64_t seed) {
  return spec("SpliceImageTokens",
              "L=" + std::to_string(L) + " image=" + std::to_string(images) +
                  " E=" + std::to_string(E),
              dt, [=](cpu::ThreadPool &, Rng &rng, bool descOnly) -> Result<Case> {
                const int32_t token = 151655;
                Case c;
                c.desc.code = OpCode::SpliceImageTokens;
                c.desc.dtype = dt;
                c.desc.width = E;
                c.desc.i64Attrs = {token};
                if (descOnly)
                  return c;
                c.outDtype = dt;
                c.outShape = {L, E};
                c.tolerance = 0;
                std::vector<int32_t> ids(static_cast<size_t>(L));
                for (int32_t &id : ids)
                  id = int32_t(rng.uniform(0, 1000));
                // A contiguous run of image tokens, as the processors emit.
                const int64_t start = std::min<int64_t>(3, L - images);
                for (int64_t i = 0; i < images; ++i)
                  ids[size_t(start + i)] = token;
                std::vector<float> image = rng.normal(size_t(images * E));
                std::vector<float> emb = rng.normal(size_t(L * E));
                c.inputs.push_back(floats(dt, {images, E}, image));
                c.inputs.push_back(floats(dt, {L, E}, emb));
                c.inputs.push_back(ints({L}, ids));
                c.expected.resize(emb.size());
                VLMC_RETURN_IF_ERROR(cpu::spliceImageTokens(image.data(), images, emb.data(),
                                                            ids.data(), L, E, token,
                                                            c.expected.data()));
                return c;
              }, seed);
}

} // namespace

std::string CaseSpec::name() const { return op + " " + dtypeName(dtype) + " " + shape; }

std::vector<CaseSpec> allCases(uint64_t seed) {
  std::vector<CaseSpec> out;
  addMatmulCases(out, seed);
  for (DType dt : {DType::BF16, DType::F32}) {
    out.push_back(embeddingCase(OpCode::Embedding, {}, dt, 77, 1000, 1536, seed));
    out.push_back(embeddingCase(OpCode::Embedding, {}, dt, 5, 100, 13, seed));
    out.push_back(embeddingCase(OpCode::Embedding, {}, dt, 64, 64, 1280, seed, true));
    for (QuantDesc q : {QuantDesc{QuantMode::Affine, 4, 64, false, DType::BF16},
                        QuantDesc{QuantMode::Affine, 6, 32, false, DType::F32},
                        QuantDesc{QuantMode::Affine, 3, 128, false, DType::F16},
                        QuantDesc{QuantMode::Mxfp4, 4, 32, false, DType::U8},
                        QuantDesc{QuantMode::Mxfp8, 8, 32, false, DType::U8},
                        QuantDesc{QuantMode::Nvfp4, 4, 16, false, DType::U8},
                        QuantDesc{QuantMode::Nvfp4, 4, 16, true, DType::U8}})
      out.push_back(embeddingCase(OpCode::QEmbedding, q, dt, 33, 1000, 1536, seed));
    for (OpCode code : {OpCode::RmsNorm, OpCode::LayerNorm})
      for (int64_t rows : {1, 77, 512})
        for (int64_t D : {1536, 1280, 3584, 75})
          out.push_back(normCase(code, dt, rows, D, seed));
    for (int64_t rows : {1, 77})
      for (int64_t D : {1536, 3584, 75})
        out.push_back(addRmsNormCase(dt, rows, D, seed));
    for (int64_t S : {1, 77, 512}) {
      out.push_back(ropeCase(dt, S, 12, 128, 1000000.0f, {}, false, 32768, seed));
      out.push_back(ropeCase(dt, S, 2, 128, 1000000.0f, {16, 24, 24}, false, 8192, seed));
      out.push_back(ropeCase(dt, S, 16, 80, 10000.0f, {20, 20}, true, 64, seed));
      out.push_back(ropeCase(dt, S, 3, 6, 10000.0f, {}, false, 100, seed));
    }
    for (int64_t off : {0, 100, 4095})
      out.push_back(kvWriteCase(dt, 1, 4096, 2, 128, off, seed));
    out.push_back(kvWriteCase(dt, 77, 4096, 2, 128, 600, seed));
    out.push_back(kvWriteCase(dt, 5, 40, 3, 5, 35, seed));
    for (int64_t off : {0, 100, 4095})
      out.push_back(ropeKvWriteCase(dt, 1, 4096, 2, 128, {16, 24, 24}, off, off == 100, seed));
    out.push_back(ropeKvWriteCase(dt, 77, 4096, 2, 128, {16, 24, 24}, 600, false, seed));
    out.push_back(ropeKvWriteCase(dt, 5, 40, 3, 6, {}, 35, true, seed));
    out.push_back(ropeKvWriteCase(dt, 1, 4096, 2, 128, {16, 24, 24}, 4095, false, seed, true));
    out.push_back(ropeKvWriteCase(dt, 77, 4096, 2, 128, {16, 24, 24}, 600, true, seed, true));
    out.push_back(ropeKvWriteCase(dt, 5, 40, 3, 6, {}, 0, false, seed, true));
    for (int64_t n : {1, 7, 1536, 77 * 8960 + 3})
      for (int64_t act = 0; act < 4; ++act) {
        out.push_back(elementwiseCase(OpCode::Activation, act, dt, n, seed));
        out.push_back(elementwiseCase(OpCode::GatedActivation, act, dt, n, seed));
      }
    for (int64_t n : {3, 1536, 512 * 1536 + 5}) {
      out.push_back(elementwiseCase(OpCode::Add, 0, dt, n, seed));
      out.push_back(elementwiseCase(OpCode::Mul, 0, dt, n, seed));
    }
    for (int64_t n : {151936, 1508, 49280, 7})
      out.push_back(argMaxCase(dt, 3, n, seed));
    addSampleCases(out, dt, seed);
    out.push_back(pixelShuffleCase(dt, 2, 32, 768, 4, seed));
    out.push_back(pixelShuffleCase(dt, 1, 6, 3, 2, seed));
    out.push_back(spliceCase(dt, 100, 64, 1536, seed));
    out.push_back(spliceCase(dt, 9, 0, 7, seed));
  }
  addAttentionCases(out, seed);
  return out;
}

} // namespace vlmc::check
