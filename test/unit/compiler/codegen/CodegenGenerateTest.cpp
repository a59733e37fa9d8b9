// generateKernel without a compiler: launch metadata, names, rejections,
// and the compiled-in RoPE frequencies.
#include "compiler/codegen/Codegen.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

namespace vlmc::codegen {
namespace {

using fb::DType;
using fb::OpCode;
using fb::QuantMode;

OpDesc matmul(OpCode code, int64_t k, int64_t n, QuantDesc q = {}, DType dt = DType::BF16) {
  OpDesc d;
  d.code = code;
  d.dtype = dt;
  d.k = k;
  d.n = n;
  d.quant = q;
  return d;
}

const QuantDesc kNvfp4{QuantMode::Nvfp4, 4, 16, false, DType::U8};
const QuantDesc kMxfp8{QuantMode::Mxfp8, 8, 32, false, DType::U8};
const QuantDesc kAffine4{QuantMode::Affine, 4, 64, false, DType::BF16};

bool isIdentifier(const std::string &s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0])))
    return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_')
      return false;
  return true;
}

void expectWellFormed(const KernelSource &k) {
  EXPECT_TRUE(isIdentifier(k.name)) << k.name;
  EXPECT_NE(k.source.find("extern \"C\" __global__"), std::string::npos) << k.name;
  EXPECT_NE(k.source.find(" " + k.name + "(KernelArgs a)"), std::string::npos) << k.name;
  EXPECT_EQ(k.source.find("#include"), std::string::npos) << k.name;
  EXPECT_GT(k.block, 0);
  EXPECT_LE(k.block, 1024);
  EXPECT_EQ(k.block % 32, 0);
  EXPECT_GE(k.sharedBytes, 0);
  EXPECT_LE(k.sharedBytes, 48 * 1024) << k.name << ": above 48 KiB needs a function attribute";
}

TEST(CodegenGenerate, ViewsHaveNoKernel) {
  for (OpCode code : {OpCode::Parameter, OpCode::Reshape}) {
    OpDesc d;
    d.code = code;
    Result<KernelSource> k = generateKernel(d);
    ASSERT_TRUE(k.isOk());
    EXPECT_EQ(k->grid, fb::GridKind::None);
    EXPECT_TRUE(k->source.empty());
  }
}

TEST(CodegenGenerate, MatmulLaunchMetadata) {
  Result<KernelSource> k = generateKernel(matmul(OpCode::QMatmul, 1536, 8960, kNvfp4));
  ASSERT_TRUE(k.isOk()) << k.status().message();
  expectWellFormed(*k);
  EXPECT_EQ(k->name, "vlm_qmatmul_nvfp4_k1536_n8960_bf16");
  EXPECT_EQ(k->grid, fb::GridKind::Tiles);
  EXPECT_GT(k->rowsPerBlock, 0); // GEMV path
  EXPECT_GT(k->tileM, 0);        // GEMM path
  EXPECT_GT(k->tileN, 0);
  // f32 uses the FFMA tile; names differ by dtype, bias and quant spec.
  Result<KernelSource> f = generateKernel(matmul(OpCode::QMatmul, 1536, 8960, kNvfp4, DType::F32));
  ASSERT_TRUE(f.isOk());
  EXPECT_EQ(f->name, "vlm_qmatmul_nvfp4_k1536_n8960_f32");
  OpDesc biased = matmul(OpCode::QMatmul, 1536, 8960, kNvfp4);
  biased.hasBias = true;
  EXPECT_EQ(generateKernel(biased)->name, "vlm_qmatmul_nvfp4_k1536_n8960_bias_bf16");
  QuantDesc gs = kNvfp4;
  gs.globalScale = true;
  EXPECT_EQ(generateKernel(matmul(OpCode::QQMatmul, 1536, 8960, gs))->name,
            "vlm_qqmatmul_nvfp4gs_k1536_n8960_bf16");
  EXPECT_EQ(generateKernel(matmul(OpCode::QMatmul, 1536, 8960, kAffine4))->name,
            "vlm_qmatmul_affine4g64bf16s_k1536_n8960_bf16");
  EXPECT_EQ(generateKernel(matmul(OpCode::Matmul, 77, 33))->name, "vlm_matmul_k77_n33_bf16");
}

TEST(CodegenGenerate, SameDescriptionSameKernel) {
  OpDesc d;
  d.code = OpCode::Attention;
  d.heads = 12;
  d.kvHeads = 2;
  d.headDim = 128;
  d.flags = 1;
  d.hasKvLength = true;
  Result<KernelSource> a = generateKernel(d), b = generateKernel(d);
  ASSERT_TRUE(a.isOk() && b.isOk());
  EXPECT_EQ(a->name, b->name);
  EXPECT_EQ(a->source, b->source);
  expectWellFormed(*a);
  EXPECT_EQ(a->grid, fb::GridKind::QueryHeads);
  d.hasSegments = true;
  EXPECT_NE(generateKernel(d)->name, a->name);
}

TEST(CodegenGenerate, EveryRowKernelIsWellFormed) {
  std::vector<OpDesc> descs;
  OpDesc d;
  d.code = OpCode::RmsNorm;
  d.width = 1536;
  d.f32Attrs = {1e-6f};
  descs.push_back(d);
  d.code = OpCode::LayerNorm;
  d.width = 8960; // block-wide rows
  descs.push_back(d);
  d.code = OpCode::AddRmsNorm;
  descs.push_back(d);
  d = OpDesc();
  d.code = OpCode::Embedding;
  d.vocab = 1000;
  d.width = 64;
  descs.push_back(d);
  d.code = OpCode::QEmbedding;
  d.quant = kMxfp8;
  descs.push_back(d);
  d = OpDesc();
  d.code = OpCode::KVCacheWrite;
  d.kvHeads = 2;
  d.headDim = 128;
  descs.push_back(d);
  d = OpDesc();
  d.code = OpCode::PixelShuffle;
  d.width = 768;
  d.i64Attrs = {4};
  descs.push_back(d);
  d = OpDesc();
  d.code = OpCode::SpliceImageTokens;
  d.width = 1536;
  descs.push_back(d);
  for (OpCode c : {OpCode::Add, OpCode::Mul, OpCode::Activation, OpCode::GatedActivation}) {
    d = OpDesc();
    d.code = c;
    descs.push_back(d);
  }
  for (const OpDesc &desc : descs) {
    Result<KernelSource> k = generateKernel(desc);
    ASSERT_TRUE(k.isOk()) << fb::EnumNameOpCode(desc.code) << ": " << k.status().message();
    expectWellFormed(*k);
    EXPECT_NE(k->grid, fb::GridKind::None);
    EXPECT_GT(k->rowsPerBlock, 0) << k->name;
  }
}

TEST(CodegenGenerate, RopeFrequenciesAreTheCpuBackendsBitForBit) {
  OpDesc d;
  d.code = OpCode::Rope;
  d.heads = 16;
  d.headDim = 80;
  d.f32Attrs = {10000.0f};
  d.i64Attrs = {20, 20};
  d.flags = 2; // axial: each section its own embedding of width 2 * 20
  Result<KernelSource> k = generateKernel(d);
  ASSERT_TRUE(k.isOk()) << k.status().message();
  const size_t at = k->source.find("INV[40] = {");
  ASSERT_NE(at, std::string::npos);
  const char *p = k->source.c_str() + at + std::strlen("INV[40] = {");
  for (int i = 0; i < 40; ++i) {
    char *end = nullptr;
    const float got = std::strtof(p, &end);
    ASSERT_NE(end, p) << "entry " << i;
    const int j = i % 20;
    const float want = 1.0f / std::pow(10000.0f, static_cast<float>(2 * j) / 40.0f);
    EXPECT_EQ(got, want) << "slot " << i;
    p = end + 1; // skip 'f'
    while (*p == ',' || *p == ' ')
      ++p;
  }
  // theta is compiled in, so it is part of the name.
  OpDesc other = d;
  other.f32Attrs = {1000000.0f};
  EXPECT_NE(generateKernel(other)->name, k->name);
}

TEST(CodegenGenerate, RejectsInvalidDescriptions) {
  auto fails = [](const OpDesc &d, const char *needle) {
    Result<KernelSource> k = generateKernel(d);
    ASSERT_FALSE(k.isOk()) << fb::EnumNameOpCode(d.code);
    EXPECT_NE(k.status().message().find(needle), std::string::npos) << k.status().message();
  };
  fails(matmul(OpCode::QMatmul, 64, 8, {QuantMode::Affine, 7, 64, false, DType::BF16}), "bits");
  fails(matmul(OpCode::QMatmul, 64, 8, {QuantMode::Affine, 4, 16, false, DType::BF16}),
        "group size");
  fails(matmul(OpCode::QMatmul, 64, 8, {QuantMode::Mxfp8, 8, 16, false, DType::U8}), "mxfp8");
  fails(matmul(OpCode::QMatmul, 64, 8, {QuantMode::Mxfp4, 4, 32, true, DType::U8}),
        "global scale");
  fails(matmul(OpCode::QMatmul, 48, 8, kMxfp8), "multiple of the group size");
  fails(matmul(OpCode::QQMatmul, 64, 8, kAffine4), "not supported for mode affine");
  fails(matmul(OpCode::Matmul, 0, 8), "K must be positive");
  fails(matmul(OpCode::Matmul, 64, 8, {}, DType::F16), "bf16 or f32");
  OpDesc a;
  a.code = OpCode::Attention;
  a.heads = 12;
  a.kvHeads = 5;
  a.headDim = 64;
  fails(a, "not a multiple");
  // A group of 32 query heads per kv head at head dim 256 used to overflow
  // the decode path's shared memory; with a block per query head it fits.
  a.kvHeads = 1;
  a.heads = 32;
  a.headDim = 256;
  Result<KernelSource> wide = generateKernel(a);
  EXPECT_TRUE(wide.isOk()) << wide.status().message();
  OpDesc r;
  r.code = OpCode::Rope;
  r.heads = 2;
  r.headDim = 7;
  r.f32Attrs = {10000.0f};
  fails(r, "odd");
  r.headDim = 8;
  r.i64Attrs = {1, 2};
  fails(r, "sum to");
  OpDesc act;
  act.code = OpCode::Activation;
  act.i64Attrs = {7};
  fails(act, "unknown activation kind 7");
}

} // namespace
} // namespace vlmc::codegen
