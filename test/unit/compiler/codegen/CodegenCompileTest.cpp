// Every op kind, over a grid of specializations (all quant modes and bit
// widths, global scales, biases, bf16 and f32, odd sizes), generated and
// compiled with NVRTC for sm_90a: a kernel that does not compile fails here,
// on a machine without a GPU. Skips only when libnvrtc cannot be loaded.
#include "compiler/codegen/Codegen.h"
#include "vlmc/cuda/Nvrtc.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace vlmc::codegen {
namespace {

using fb::DType;
using fb::OpCode;
using fb::QuantMode;

QuantDesc affine(int bits, int group, DType scales) {
  return QuantDesc{QuantMode::Affine, bits, group, false, scales};
}
QuantDesc fp(QuantMode mode, bool global = false) {
  const int bits = mode == QuantMode::Mxfp8 ? 8 : 4;
  const int group = mode == QuantMode::Nvfp4 ? 16 : 32;
  return QuantDesc{mode, bits, group, global, DType::U8};
}

OpDesc matmul(OpCode code, DType dtype, int64_t k, int64_t n, bool bias, QuantDesc q = {}) {
  OpDesc d;
  d.code = code;
  d.dtype = dtype;
  d.k = k;
  d.n = n;
  d.hasBias = bias;
  d.quant = q;
  return d;
}

std::vector<OpDesc> compileGrid() {
  std::vector<OpDesc> g;
  for (DType dt : {DType::BF16, DType::F32}) {
    // Float matmuls: realistic, odd K (scalar paths), small N.
    g.push_back(matmul(OpCode::Matmul, dt, 1536, 8960, false));
    g.push_back(matmul(OpCode::Matmul, dt, 77, 33, true));
    g.push_back(matmul(OpCode::Matmul, dt, 1280, 3840, true));
    g.push_back(matmul(OpCode::Matmul, dt, 6, 1536, false));
    // Affine: every bit width; group sizes and scale dtypes spread over them.
    const int groups[] = {32, 64, 128};
    const DType scales[] = {DType::BF16, DType::F16, DType::F32};
    int i = 0;
    for (int bits : {2, 3, 4, 5, 6, 8}) {
      g.push_back(matmul(OpCode::QMatmul, dt, 1536, 8960, i % 2 == 0,
                         affine(bits, groups[i % 3], scales[i % 3])));
      g.push_back(matmul(OpCode::QMatmul, dt, 384, 37, i % 2 == 1,
                         affine(bits, groups[(i + 1) % 3], scales[(i + 2) % 3])));
      ++i;
    }
    for (QuantMode m : {QuantMode::Mxfp4, QuantMode::Mxfp8, QuantMode::Nvfp4}) {
      g.push_back(matmul(OpCode::QMatmul, dt, 8960, 1536, false, fp(m)));
      g.push_back(matmul(OpCode::QMatmul, dt, 96, 29, true, fp(m)));
    }
    g.push_back(matmul(OpCode::QMatmul, dt, 1536, 256, true, fp(QuantMode::Nvfp4, true)));
    g.push_back(matmul(OpCode::QMatmul, dt, 48, 40, false, fp(QuantMode::Nvfp4))); // K % 32 = 16
    for (QuantMode m : {QuantMode::Mxfp8, QuantMode::Nvfp4}) {
      g.push_back(matmul(OpCode::QQMatmul, dt, 1536, 8960, false, fp(m)));
      g.push_back(matmul(OpCode::QQMatmul, dt, 160, 23, true, fp(m)));
    }
    g.push_back(matmul(OpCode::QQMatmul, dt, 8960, 1536, true, fp(QuantMode::Nvfp4, true)));
    g.push_back(matmul(OpCode::QQMatmul, dt, 48, 8, false, fp(QuantMode::Nvfp4, true)));

    // Embeddings.
    OpDesc e;
    e.code = OpCode::Embedding;
    e.dtype = dt;
    e.vocab = 151936;
    e.width = 1536;
    g.push_back(e);
    e.width = 13; // odd width: scalar copies
    g.push_back(e);
    e.vocab = -1; // rows known at run time (a gather over activations)
    e.width = 1280;
    g.push_back(e);
    e.vocab = 151936;
    e.code = OpCode::QEmbedding;
    e.width = 1536;
    for (QuantDesc q : {affine(4, 64, DType::BF16), affine(3, 32, DType::F32),
                        affine(6, 128, DType::F16), fp(QuantMode::Mxfp4), fp(QuantMode::Mxfp8),
                        fp(QuantMode::Nvfp4), fp(QuantMode::Nvfp4, true)}) {
      e.quant = q;
      g.push_back(e);
    }

    // Norms: warp rows, block rows, odd widths.
    for (OpCode c : {OpCode::RmsNorm, OpCode::LayerNorm, OpCode::AddRmsNorm})
      for (int64_t w : {1536, 1280, 3584, 8960, 75}) {
        OpDesc n;
        n.code = c;
        n.dtype = dt;
        n.width = w;
        n.f32Attrs = {1e-6f};
        g.push_back(n);
      }

    // RoPE: 1-D, M-RoPE sections, axial vision RoPE, odd half.
    OpDesc rk;
    rk.code = OpCode::RopeKVCacheWrite;
    rk.dtype = dt;
    rk.heads = rk.kvHeads = 2;
    rk.headDim = 128;
    rk.f32Attrs = {1000000.0f};
    rk.i64Attrs = {16, 24, 24};
    g.push_back(rk);
    rk.code = OpCode::RopeKVPairCacheWrite;
    g.push_back(rk);

    OpDesc r;
    r.code = OpCode::Rope;
    r.dtype = dt;
    r.heads = 12;
    r.headDim = 128;
    r.f32Attrs = {1000000.0f};
    g.push_back(r);
    r.i64Attrs = {16, 24, 24};
    g.push_back(r);
    r.heads = 16;
    r.headDim = 80;
    r.f32Attrs = {10000.0f};
    r.i64Attrs = {20, 20};
    r.flags = 2; // axial
    g.push_back(r);
    r.i64Attrs.clear();
    r.flags = 0;
    r.headDim = 6; // half = 3
    g.push_back(r);

    // Attention: GQA decode/prefill, causal, segments, kv_length, head dims.
    struct Att {
      int hq, hkv, d;
      uint32_t flags;
      bool seg, kvlen;
    };
    for (Att a : {Att{12, 2, 128, 1, false, true}, Att{12, 2, 128, 1, false, false},
                  Att{16, 16, 80, 0, true, false}, Att{9, 3, 64, 1, false, true},
                  Att{28, 4, 128, 1, true, true}, Att{4, 1, 36, 0, false, false},
                  Att{8, 8, 256, 1, false, true}, Att{4, 4, 96, 1, false, true}}) {
      OpDesc d;
      d.code = OpCode::Attention;
      d.dtype = dt;
      d.heads = a.hq;
      d.kvHeads = a.hkv;
      d.headDim = a.d;
      d.flags = a.flags;
      d.hasSegments = a.seg;
      d.hasKvLength = a.kvlen;
      d.f32Attrs = {0.125f};
      g.push_back(d);
    }

    OpDesc kv;
    kv.code = OpCode::KVCacheWrite;
    kv.dtype = dt;
    kv.kvHeads = 2;
    kv.headDim = 128;
    g.push_back(kv);
    kv.kvHeads = 3;
    kv.headDim = 5;
    g.push_back(kv);

    for (OpCode c : {OpCode::Activation, OpCode::GatedActivation})
      for (int64_t act = 0; act < 4; ++act) {
        OpDesc a;
        a.code = c;
        a.dtype = dt;
        a.i64Attrs = {act};
        g.push_back(a);
      }
    for (OpCode c : {OpCode::Add, OpCode::Mul}) {
      OpDesc a;
      a.code = c;
      a.dtype = dt;
      g.push_back(a);
    }

    OpDesc ps;
    ps.code = OpCode::PixelShuffle;
    ps.dtype = dt;
    ps.width = 768;
    ps.i64Attrs = {4};
    g.push_back(ps);
    ps.width = 3;
    ps.i64Attrs = {2};
    g.push_back(ps);

    for (int64_t n : {151936, 1508, 49280, 7}) {
      OpDesc am;
      am.code = OpCode::ArgMax;
      am.dtype = dt;
      am.width = n;
      g.push_back(am);
      am.code = OpCode::Sample;
      g.push_back(am);
    }

    OpDesc sp;
    sp.code = OpCode::SpliceImageTokens;
    sp.dtype = dt;
    sp.width = 1536;
    sp.i64Attrs = {151655};
    g.push_back(sp);
    sp.width = 7;
    g.push_back(sp);
  }
  return g;
}

TEST(CodegenCompile, EveryOpKindCompilesForSm90a) {
  Result<const cuda::NvrtcInfo *> nvrtc = cuda::nvrtcInfo();
  if (!nvrtc)
    GTEST_SKIP() << "NVRTC unavailable: " << nvrtc.status().message();

  std::vector<KernelSource> kernels;
  std::set<OpCode> kinds;
  for (const OpDesc &d : compileGrid()) {
    Result<KernelSource> k = generateKernel(d);
    ASSERT_TRUE(k.isOk()) << k.status().message();
    EXPECT_EQ(k->source.find("#include"), std::string::npos) << k->name;
    kinds.insert(d.code);
    kernels.push_back(std::move(*k));
  }
  // VLMC_CODEGEN_DUMP=<dir> keeps the sources (for nvcc --resource-usage,
  // cuobjdump, reading).
  if (const char *dir = std::getenv("VLMC_CODEGEN_DUMP"))
    for (const KernelSource &k : kernels)
      std::ofstream(std::string(dir) + "/" + k.name + ".cu") << k.source;
  // Every op that launches a kernel is covered: all but Parameter and Reshape.
  EXPECT_EQ(kinds.size(), size_t(OpCode::MAX) + 1 - 2);

  // Names are unique per specialization (the grid has no duplicates).
  std::set<std::string> names;
  for (const KernelSource &k : kernels)
    EXPECT_TRUE(names.insert(k.name).second) << "duplicate name " << k.name;

  std::atomic<size_t> next{0};
  std::mutex mu;
  std::vector<std::string> failures;
  auto worker = [&] {
    for (size_t i; (i = next++) < kernels.size();) {
      const KernelSource &k = kernels[i];
      Result<std::string> cubin = cuda::compileToCubin(k.source, k.name, "sm_90a");
      std::lock_guard<std::mutex> lock(mu);
      if (!cubin)
        failures.push_back(k.name + ":\n" + cubin.status().message());
      else if (cubin->empty())
        failures.push_back(k.name + ": empty cubin");
    }
  };
  const unsigned threads = std::max(1u, std::min(8u, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back(worker);
  for (std::thread &t : pool)
    t.join();
  for (const std::string &f : failures)
    ADD_FAILURE() << f.substr(0, 4000);
  std::printf("compiled %zu kernels for sm_90a\n", kernels.size());
}

} // namespace
} // namespace vlmc::codegen
