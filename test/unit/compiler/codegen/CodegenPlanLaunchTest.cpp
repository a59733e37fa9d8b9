// planLaunch (vlmc/cuda/KernelAbi.h) on generated kernels: argument layout,
// grids of both paths, workspace, and the checks. Pure host logic; the
// "device pointers" are made-up aligned addresses.
#include "FlatOp.h"

#include "compiler/codegen/Codegen.h"
#include "vlmc/cuda/KernelAbi.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace vlmc::codegen {
namespace {

using cuda::DeviceTensor;
using cuda::Launch;
using fb::DType;
using fb::OpCode;
using fb::QuantMode;
using test::FlatOp;

void *ptr(uintptr_t i) { return reinterpret_cast<void *>(0x100000 * i); }

DeviceTensor tensor(uintptr_t id, DType dt, std::vector<int64_t> shape) {
  return DeviceTensor{ptr(id), dt, std::move(shape)};
}

// Ids for the op inputs: i + 1 when present, -1 when absent.
std::vector<int32_t> ids(const std::vector<DeviceTensor> &in, std::vector<bool> present = {}) {
  std::vector<int32_t> v;
  for (size_t i = 0; i < in.size(); ++i)
    v.push_back(present.empty() || present[i] ? int32_t(i + 1) : -1);
  return v;
}

struct Planned {
  KernelSource kernel;
  Result<Launch> launch = Result<Launch>(internalError("not planned"));
};

Planned plan(const OpDesc &d, const std::vector<DeviceTensor> &in, const DeviceTensor &out,
             std::vector<bool> present = {}, const DeviceTensor *second = nullptr) {
  Planned p;
  Result<KernelSource> k = generateKernel(d);
  EXPECT_TRUE(k.isOk()) << k.status().message();
  if (!k)
    return p;
  p.kernel = *k;
  FlatOp flat(d, p.kernel, ids(in, present));
  p.launch = cuda::planLaunch(flat.op(), flat.kernel(), in, out, second);
  return p;
}

OpDesc qmatmul(OpCode code, int64_t k, int64_t n, QuantDesc q) {
  OpDesc d;
  d.code = code;
  d.k = k;
  d.n = n;
  d.quant = q;
  return d;
}

const QuantDesc kNvfp4{QuantMode::Nvfp4, 4, 16, false, DType::U8};

std::vector<DeviceTensor> qmatmulInputs(int64_t M, int64_t K, int64_t N, bool bias) {
  return {tensor(1, DType::BF16, {M, K}),          tensor(2, DType::U32, {N, K * 4 / 32}),
          tensor(3, DType::U8, {N, K / 16}),       DeviceTensor{},
          tensor(5, DType::F32, {1}),              bias ? tensor(6, DType::BF16, {N}) : DeviceTensor{}};
}

TEST(CodegenPlanLaunch, MatmulDecodeAndPrefillGrids) {
  OpDesc d = qmatmul(OpCode::QMatmul, 1536, 8960, kNvfp4);
  d.hasBias = true;
  const std::vector<bool> present = {true, true, true, false, false, true};
  Planned p = plan(d, qmatmulInputs(1, 1536, 8960, true), tensor(9, DType::BF16, {1, 8960}),
                   present);
  ASSERT_TRUE(p.launch.isOk()) << p.launch.status().message();
  const Launch &l = *p.launch;
  EXPECT_FALSE(l.skip);
  EXPECT_EQ(l.grid[0], unsigned((8960 + p.kernel.rowsPerBlock - 1) / p.kernel.rowsPerBlock));
  EXPECT_EQ(l.grid[1], 1u);
  EXPECT_EQ(l.block, unsigned(p.kernel.block));
  EXPECT_EQ(l.sharedBytes, unsigned(p.kernel.sharedBytes));
  EXPECT_EQ(l.workspaceBytes, 0u);
  EXPECT_EQ(l.args.d[0], 1);
  // p[0] output, p[1 + i] input i, absent ones null.
  EXPECT_EQ(l.args.p[0], ptr(9));
  EXPECT_EQ(l.args.p[1], ptr(1));
  EXPECT_EQ(l.args.p[2], ptr(2));
  EXPECT_EQ(l.args.p[3], ptr(3));
  EXPECT_EQ(l.args.p[4], nullptr);
  EXPECT_EQ(l.args.p[5], nullptr);
  EXPECT_EQ(l.args.p[6], ptr(6));

  // Prefill: the GEMM tiles; x may have leading dims.
  std::vector<DeviceTensor> in = qmatmulInputs(77, 1536, 8960, true);
  in[0].shape = {1, 77, 1536};
  Planned q = plan(d, in, tensor(9, DType::BF16, {1, 77, 8960}), present);
  ASSERT_TRUE(q.launch.isOk()) << q.launch.status().message();
  EXPECT_EQ(q.launch->args.d[0], 77);
  EXPECT_EQ(q.launch->grid[0], unsigned((8960 + q.kernel.tileN - 1) / q.kernel.tileN));
  EXPECT_EQ(q.launch->grid[1], unsigned((77 + q.kernel.tileM - 1) / q.kernel.tileM));
}

TEST(CodegenPlanLaunch, GlobalScaleQqMatmulNeedsTheWorkspace) {
  QuantDesc gs = kNvfp4;
  gs.globalScale = true;
  const std::vector<bool> present = {true, true, true, false, true, false};
  Planned p = plan(qmatmul(OpCode::QQMatmul, 1536, 256, gs), qmatmulInputs(3, 1536, 256, false),
                   tensor(9, DType::BF16, {3, 256}), present);
  ASSERT_TRUE(p.launch.isOk()) << p.launch.status().message();
  EXPECT_EQ(p.launch->workspaceBytes, cuda::kWorkspaceCounterBytes);
  EXPECT_EQ(p.launch->args.p[cuda::kWorkspacePointer], nullptr); // the caller's to fill
  // Without the global scale operand the spec cannot be honoured.
  Planned bad = plan(qmatmul(OpCode::QQMatmul, 1536, 256, gs), qmatmulInputs(3, 1536, 256, false),
                     tensor(9, DType::BF16, {3, 256}), {true, true, true, false, false, false});
  EXPECT_FALSE(bad.launch.isOk());
}

TEST(CodegenPlanLaunch, EmptyRowsSkip) {
  OpDesc d;
  d.code = OpCode::Matmul;
  d.k = 64;
  d.n = 32;
  Planned p = plan(d, {tensor(1, DType::F32, {0, 64}), tensor(2, DType::F32, {32, 64})},
                   tensor(3, DType::F32, {0, 32}));
  ASSERT_TRUE(p.launch.isOk()) << p.launch.status().message();
  EXPECT_TRUE(p.launch->skip);
}

OpDesc attention(bool kvLength) {
  OpDesc d;
  d.code = OpCode::Attention;
  d.heads = 12;
  d.kvHeads = 2;
  d.headDim = 128;
  d.flags = 1;
  d.hasKvLength = kvLength;
  d.f32Attrs = {0.088f};
  return d;
}

TEST(CodegenPlanLaunch, AttentionDecodeSplitsKeysOverTheCache) {
  std::vector<DeviceTensor> in = {tensor(1, DType::BF16, {1, 12, 128}),
                                  tensor(2, DType::BF16, {4096, 2, 128}),
                                  tensor(3, DType::BF16, {4096, 2, 128}), DeviceTensor{},
                                  tensor(5, DType::I64, {})};
  Planned p = plan(attention(true), in, tensor(9, DType::BF16, {1, 12, 128}),
                   {true, true, true, false, true});
  ASSERT_TRUE(p.launch.isOk()) << p.launch.status().message();
  const Launch &l = *p.launch;
  const int64_t splits = 4096 / cuda::kAttentionSplitKeys;
  EXPECT_EQ(l.grid[0], unsigned(splits));
  EXPECT_EQ(l.grid[1], 12u); // one block per query head (the kernel's tile_n = 1)
  EXPECT_EQ(l.grid[2], 1u); // queries
  EXPECT_EQ(l.args.d[0], 1);
  EXPECT_EQ(l.args.d[1], 4096);
  EXPECT_EQ(l.args.d[2], 0);
  EXPECT_EQ(l.args.d[3], splits);
  EXPECT_EQ(l.args.d[4], 1); // int64 kv_length
  EXPECT_FLOAT_EQ(l.args.f[0], 0.088f);
  EXPECT_EQ(l.workspaceBytes,
            cuda::kWorkspaceCounterBytes + size_t(1 * 12 * splits * (128 + 2)) * sizeof(float));

  // A cache within one split needs no workspace.
  in[1].shape = in[2].shape = {100, 2, 128};
  Planned small = plan(attention(true), in, tensor(9, DType::BF16, {1, 12, 128}),
                       {true, true, true, false, true});
  ASSERT_TRUE(small.launch.isOk());
  EXPECT_EQ(small.launch->args.d[3], 1);
  EXPECT_EQ(small.launch->workspaceBytes, 0u);
}

TEST(CodegenPlanLaunch, AttentionPrefillTilesQueries) {
  std::vector<DeviceTensor> in = {tensor(1, DType::BF16, {77, 12, 128}),
                                  tensor(2, DType::BF16, {77, 2, 128}),
                                  tensor(3, DType::BF16, {77, 2, 128}), DeviceTensor{},
                                  DeviceTensor{}};
  Planned p = plan(attention(false), in, tensor(9, DType::BF16, {77, 12, 128}),
                   {true, true, true, false, false});
  ASSERT_TRUE(p.launch.isOk()) << p.launch.status().message();
  EXPECT_EQ(p.launch->grid[0], unsigned((77 + p.kernel.tileM - 1) / p.kernel.tileM));
  EXPECT_EQ(p.launch->grid[1], 12u);
  EXPECT_EQ(p.launch->workspaceBytes, 0u);
  // More queries than key rows is an error.
  in[1].shape = in[2].shape = {50, 2, 128};
  Planned bad = plan(attention(false), in, tensor(9, DType::BF16, {77, 12, 128}),
                     {true, true, true, false, false});
  EXPECT_FALSE(bad.launch.isOk());
}

TEST(CodegenPlanLaunch, RowAndElementKernels) {
  OpDesc n;
  n.code = OpCode::RmsNorm;
  n.width = 1536;
  n.f32Attrs = {1e-6f};
  Planned p = plan(n, {tensor(1, DType::BF16, {2, 77, 1536}), tensor(2, DType::BF16, {1536})},
                   tensor(3, DType::BF16, {2, 77, 1536}));
  ASSERT_TRUE(p.launch.isOk()) << p.launch.status().message();
  EXPECT_EQ(p.launch->args.d[0], 154);
  EXPECT_FLOAT_EQ(p.launch->args.f[0], 1e-6f);
  EXPECT_EQ(p.launch->grid[0], unsigned((154 + p.kernel.rowsPerBlock - 1) / p.kernel.rowsPerBlock));

  OpDesc a;
  a.code = OpCode::Add;
  a.dtype = DType::F32;
  Planned q = plan(a, {tensor(1, DType::F32, {1001}), tensor(2, DType::F32, {1001})},
                   tensor(3, DType::F32, {1001}));
  ASSERT_TRUE(q.launch.isOk());
  EXPECT_EQ(q.launch->args.d[0], 1001);
  const int64_t perBlock = int64_t(q.kernel.block) * q.kernel.rowsPerBlock;
  EXPECT_EQ(q.launch->grid[0], unsigned((1001 + perBlock - 1) / perBlock));

  OpDesc s;
  s.code = OpCode::SpliceImageTokens;
  s.width = 1536;
  s.i64Attrs = {151655};
  Planned r = plan(s,
                   {tensor(1, DType::BF16, {64, 1536}), tensor(2, DType::BF16, {100, 1536}),
                    tensor(3, DType::I32, {100})},
                   tensor(4, DType::BF16, {100, 1536}));
  ASSERT_TRUE(r.launch.isOk()) << r.launch.status().message();
  EXPECT_EQ(r.launch->grid[0], 100u);
  EXPECT_EQ(r.launch->args.d[1], 64);
  EXPECT_EQ(r.launch->args.d[2], 151655);
}

// AddRmsNorm writes the sum to p[0] and the normalized rows to p[6]; its
// weight is input 2.
TEST(CodegenPlanLaunch, AddRmsNormHasTwoOutputs) {
  OpDesc n;
  n.code = OpCode::AddRmsNorm;
  n.width = 1536;
  n.f32Attrs = {1e-6f};
  const std::vector<DeviceTensor> in = {tensor(1, DType::BF16, {1, 1536}),
                                        tensor(2, DType::BF16, {1, 1536}),
                                        tensor(3, DType::BF16, {1536})};
  const DeviceTensor sum = tensor(4, DType::BF16, {1, 1536});
  const DeviceTensor normed = tensor(5, DType::BF16, {1, 1536});
  Planned p = plan(n, in, sum, {}, &normed);
  ASSERT_TRUE(p.launch.isOk()) << p.launch.status().message();
  EXPECT_EQ(p.launch->args.p[0], sum.data);
  EXPECT_EQ(p.launch->args.p[3], in[2].data);
  EXPECT_EQ(p.launch->args.p[cuda::kSecondOutputPointer], normed.data);
  EXPECT_EQ(p.launch->args.d[0], 1);
  EXPECT_EQ(p.launch->grid[0], 1u);

  Planned noSecond = plan(n, in, sum);
  ASSERT_FALSE(noSecond.launch.isOk());
  EXPECT_NE(noSecond.launch.status().message().find("missing the second output"),
            std::string::npos);
  const DeviceTensor wrongShape = tensor(5, DType::BF16, {2, 768});
  EXPECT_FALSE(plan(n, in, sum, {}, &wrongShape).launch.isOk());
  std::vector<DeviceTensor> shortWeight = in;
  shortWeight[2].shape = {768};
  EXPECT_FALSE(plan(n, shortWeight, sum, {}, &normed).launch.isOk());
  std::vector<DeviceTensor> otherB = in;
  otherB[1].shape = {2, 768};
  EXPECT_FALSE(plan(n, otherB, sum, {}, &normed).launch.isOk());

  // Only AddRmsNorm takes a second output.
  n.code = OpCode::RmsNorm;
  Planned extra = plan(n, {in[0], in[2]}, sum, {}, &normed);
  ASSERT_FALSE(extra.launch.isOk());
  EXPECT_NE(extra.launch.status().message().find("only AddRmsNorm"), std::string::npos);
}

TEST(CodegenPlanLaunch, GatedActivationIsElementwise) {
  OpDesc g;
  g.code = OpCode::GatedActivation;
  g.i64Attrs = {0};
  Planned p = plan(g, {tensor(1, DType::BF16, {1, 8960}), tensor(2, DType::BF16, {1, 8960})},
                   tensor(3, DType::BF16, {1, 8960}));
  ASSERT_TRUE(p.launch.isOk()) << p.launch.status().message();
  EXPECT_EQ(p.launch->args.d[0], 8960);
  EXPECT_FALSE(plan(g, {tensor(1, DType::BF16, {1, 8960}), tensor(2, DType::BF16, {1, 4480})},
                    tensor(3, DType::BF16, {1, 8960}))
                   .launch.isOk());
}

TEST(CodegenPlanLaunch, ArgMaxGivesOneIndexPerRow) {
  OpDesc d;
  d.code = OpCode::ArgMax;
  d.width = 151936;
  Planned p = plan(d, {tensor(1, DType::BF16, {3, 151936})}, tensor(2, DType::I32, {3}));
  ASSERT_TRUE(p.launch.isOk()) << p.launch.status().message();
  EXPECT_EQ(p.launch->grid[0], 3u);
  EXPECT_EQ(p.launch->block, 1024u);
  EXPECT_EQ(p.launch->args.d[0], 3);
  // Indices are i32, one per row.
  EXPECT_FALSE(plan(d, {tensor(1, DType::BF16, {3, 151936})}, tensor(2, DType::F32, {3}))
                   .launch.isOk());
  EXPECT_FALSE(plan(d, {tensor(1, DType::BF16, {3, 151936})}, tensor(2, DType::I32, {2}))
                   .launch.isOk());
}

// One block draws from the last row; the attributes (or setSamplingArgs) give
// the spec and the draw, checked.
TEST(CodegenPlanLaunch, SampleTakesTheSpecFromTheAttributes) {
  OpDesc d;
  d.code = OpCode::Sample;
  d.width = 151936;
  d.f32Attrs = {0.7f, 0.9f, 0.05f, 1.1f};
  d.i64Attrs = {50, 12345};
  const std::vector<DeviceTensor> in = {tensor(1, DType::BF16, {3, 151936}),
                                        tensor(2, DType::I32, {20})};
  Planned p = plan(d, in, tensor(3, DType::I32, {1}));
  ASSERT_TRUE(p.launch.isOk()) << p.launch.status().message();
  EXPECT_EQ(p.launch->grid[0], 1u);
  EXPECT_EQ(p.launch->block, 1024u);
  EXPECT_EQ(p.launch->args.d[0], 3);
  EXPECT_EQ(p.launch->args.d[1], 50);
  EXPECT_EQ(p.launch->args.d[2], 20);
  EXPECT_EQ(p.launch->args.d[3], 12345);
  EXPECT_EQ(p.launch->args.f[0], 0.7f);
  EXPECT_EQ(p.launch->args.f[3], 1.1f);
  EXPECT_EQ(p.launch->args.p[2], in[1].data);
  // The row's probabilities: 149 x 1024 floats after the counters.
  EXPECT_EQ(p.launch->workspaceBytes, cuda::kWorkspaceCounterBytes + 149 * 1024 * 4);

  cpu::SamplingSpec spec;
  spec.temperature = 1.0f;
  spec.topK = 7;
  ASSERT_TRUE(cuda::setSamplingArgs(p.launch->args, spec, 99).isOk());
  EXPECT_EQ(p.launch->args.d[1], 7);
  EXPECT_EQ(p.launch->args.d[3], 99);
  EXPECT_EQ(p.launch->args.f[1], 1.0f);

  auto rejects = [&](cpu::SamplingSpec s, uint64_t draw, const char *what) {
    cuda::KernelArgs args{};
    Status st = cuda::setSamplingArgs(args, s, draw);
    EXPECT_FALSE(st.isOk()) << what;
    EXPECT_NE(st.message().find(what), std::string::npos) << st.message();
  };
  cpu::SamplingSpec bad = spec;
  bad.temperature = -1.0f;
  rejects(bad, 0, "temperature");
  bad = spec;
  bad.topP = 0.0f;
  rejects(bad, 0, "top-p");
  bad = spec;
  bad.minP = 1.0f;
  rejects(bad, 0, "min-p");
  bad = spec;
  bad.penalty = 0.0f;
  rejects(bad, 0, "penalty");
  bad = spec;
  bad.topK = -1;
  rejects(bad, 0, "top-k");
  rejects(spec, uint64_t(1) << 53, "53 bits");

  // One i32 out; i32 ids.
  EXPECT_FALSE(plan(d, in, tensor(3, DType::I32, {2})).launch.isOk());
  EXPECT_FALSE(plan(d, {in[0], tensor(2, DType::F32, {20})}, tensor(3, DType::I32, {1}))
                   .launch.isOk());
}

// A thread per (token, head, 4 slots): a decode step's one token still gets
// H x more threads. Kernels of older artifacts (tile_n 0) loop over heads.
TEST(CodegenPlanLaunch, RopeSpreadsHeadsOverThreads) {
  OpDesc d;
  d.code = OpCode::Rope;
  d.heads = 12;
  d.headDim = 128;
  d.f32Attrs = {1000000.0f};
  d.i64Attrs = {16, 24, 24};
  const std::vector<DeviceTensor> in = {tensor(1, DType::BF16, {512, 12, 128}),
                                        tensor(2, DType::I32, {3, 512})};
  Planned p = plan(d, in, tensor(3, DType::BF16, {512, 12, 128}));
  ASSERT_TRUE(p.launch.isOk()) << p.launch.status().message();
  EXPECT_EQ(p.kernel.tileN, 1);
  EXPECT_EQ(p.launch->grid[0], unsigned(512 * 12 * 64 / 4 / 256));
  EXPECT_EQ(p.launch->args.d[0], 512);

  KernelSource older = p.kernel;
  older.tileN = 0;
  FlatOp flat(d, older, ids(in));
  Result<Launch> l = cuda::planLaunch(flat.op(), flat.kernel(), in,
                                      tensor(3, DType::BF16, {512, 12, 128}));
  ASSERT_TRUE(l.isOk()) << l.status().message();
  EXPECT_EQ(l->grid[0], unsigned(512 * 64 / 4 / 256));
}

// RoPE into the cache: the output is the cache (input 2), written in place
// at the device-side offset; a thread per (token, head, 4 slots) as Rope.
// Qwen2-VL's decode-step keys: 2 heads of 128, M-RoPE sections.
OpDesc ropeCacheWriteDesc(OpCode code) {
  OpDesc d;
  d.code = code;
  d.heads = d.kvHeads = 2;
  d.headDim = 128;
  d.f32Attrs = {1000000.0f};
  d.i64Attrs = {16, 24, 24};
  return d;
}

TEST(CodegenPlanLaunch, RopeKvCacheWriteIsInPlace) {
  const OpDesc d = ropeCacheWriteDesc(OpCode::RopeKVCacheWrite);
  const std::vector<DeviceTensor> in = {
      tensor(1, DType::BF16, {1, 2, 128}), tensor(2, DType::I32, {3, 1}),
      tensor(3, DType::BF16, {4096, 2, 128}), tensor(4, DType::I64, {})};
  Planned p = plan(d, in, in[2]);
  ASSERT_TRUE(p.launch.isOk()) << p.launch.status().message();
  EXPECT_EQ(p.launch->args.p[0], in[2].data);
  EXPECT_EQ(p.launch->args.d[0], 1);
  EXPECT_EQ(p.launch->args.d[1], 4096);
  EXPECT_EQ(p.launch->args.d[2], 1); // i64 offset
  EXPECT_EQ(p.launch->grid[0], 1u);  // 2 heads x 64 slots / 4 per thread
  // A separate output buffer, or rows that do not fit the cache, are refused.
  EXPECT_FALSE(plan(d, in, tensor(9, DType::BF16, {4096, 2, 128})).launch.isOk());
  std::vector<DeviceTensor> wide = in;
  wide[0].shape = {1, 4, 128};
  EXPECT_FALSE(plan(d, wide, in[2]).launch.isOk());
}

// Keys and values into their caches: the keys as RopeKVCacheWrite, the
// values (input 4) into the value cache (input 5), both in place; the value
// pair must have the key pair's shapes.
TEST(CodegenPlanLaunch, RopeKvPairCacheWriteTakesTheValuesAlong) {
  const OpDesc d = ropeCacheWriteDesc(OpCode::RopeKVPairCacheWrite);
  const std::vector<DeviceTensor> in = {
      tensor(1, DType::BF16, {1, 2, 128}), tensor(2, DType::I32, {3, 1}),
      tensor(3, DType::BF16, {4096, 2, 128}), tensor(4, DType::I32, {}),
      tensor(5, DType::BF16, {1, 2, 128}), tensor(6, DType::BF16, {4096, 2, 128})};
  Planned p = plan(d, in, in[2]);
  ASSERT_TRUE(p.launch.isOk()) << p.launch.status().message();
  EXPECT_EQ(p.launch->args.p[0], in[2].data);
  EXPECT_EQ(p.launch->args.p[5], in[4].data);
  EXPECT_EQ(p.launch->args.p[6], in[5].data);
  EXPECT_EQ(p.launch->args.d[2], 0); // i32 offset
  EXPECT_EQ(p.launch->grid[0], 1u);
  std::vector<DeviceTensor> bad = in;
  bad[4].shape = {2, 2, 128};
  EXPECT_FALSE(plan(d, bad, in[2]).launch.isOk());
  bad = in;
  bad[5].dtype = DType::F32;
  EXPECT_FALSE(plan(d, bad, in[2]).launch.isOk());
  bad = in;
  bad.pop_back();
  EXPECT_FALSE(plan(d, bad, in[2]).launch.isOk());
}

TEST(CodegenPlanLaunch, KvCacheWriteIsInPlace) {
  OpDesc d;
  d.code = OpCode::KVCacheWrite;
  d.kvHeads = 2;
  d.headDim = 128;
  std::vector<DeviceTensor> in = {tensor(1, DType::BF16, {1, 2, 128}),
                                  tensor(2, DType::BF16, {4096, 2, 128}),
                                  tensor(3, DType::I32, {1})};
  Planned p = plan(d, in, in[1]);
  ASSERT_TRUE(p.launch.isOk()) << p.launch.status().message();
  EXPECT_EQ(p.launch->args.p[0], ptr(2));
  EXPECT_EQ(p.launch->args.d[0], 1);
  EXPECT_EQ(p.launch->args.d[1], 4096);
  EXPECT_EQ(p.launch->args.d[2], 0);
  Planned copy = plan(d, in, tensor(7, DType::BF16, {4096, 2, 128}));
  EXPECT_FALSE(copy.launch.isOk());
}

TEST(CodegenPlanLaunch, ViewsSkip) {
  OpDesc d;
  d.code = OpCode::Reshape;
  Planned p = plan(d, {tensor(1, DType::BF16, {2, 3})}, tensor(1, DType::BF16, {6}));
  ASSERT_TRUE(p.launch.isOk());
  EXPECT_TRUE(p.launch->skip);
}

TEST(CodegenPlanLaunch, Rejections) {
  OpDesc d;
  d.code = OpCode::Matmul;
  d.k = 64;
  d.n = 32;
  const DeviceTensor w = tensor(2, DType::BF16, {32, 64});
  // Misaligned pointer.
  DeviceTensor x = tensor(1, DType::BF16, {4, 64});
  x.data = static_cast<char *>(x.data) + 8;
  Planned a = plan(d, {x, w}, tensor(3, DType::BF16, {4, 32}));
  ASSERT_FALSE(a.launch.isOk());
  EXPECT_NE(a.launch.status().message().find("16-byte aligned"), std::string::npos);
  // dtype mismatch between x and the output.
  Planned b = plan(d, {tensor(1, DType::F32, {4, 64}), w}, tensor(3, DType::BF16, {4, 32}));
  EXPECT_FALSE(b.launch.isOk());
  // Weight of the wrong width.
  Planned c = plan(d, {tensor(1, DType::BF16, {4, 64}), tensor(2, DType::BF16, {32, 65})},
                   tensor(3, DType::BF16, {4, 32}));
  EXPECT_FALSE(c.launch.isOk());
  // Input count differs from the op's.
  Result<KernelSource> k = generateKernel(d);
  ASSERT_TRUE(k.isOk());
  FlatOp flat(d, *k, {1, 2});
  Result<Launch> e = cuda::planLaunch(flat.op(), flat.kernel(), {tensor(1, DType::BF16, {4, 64})},
                                      tensor(3, DType::BF16, {4, 32}));
  ASSERT_FALSE(e.isOk());
  EXPECT_NE(e.status().message().find("inputs"), std::string::npos);
}

} // namespace
} // namespace vlmc::codegen
