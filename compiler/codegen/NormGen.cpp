// RmsNorm, LayerNorm and AddRmsNorm: a team of threads per row (a warp for rows
// under 1024 elements, 8 per block; the whole block from there), the row held in
// registers after one pass of 16-byte loads. Statistics are fp32 tree sums
// (the CPU reference sums in double: they agree to a few ulps); everything
// after the statistics follows the reference's fp32 operation order:
//   rms:   inv = 1 / sqrt(mean(x^2) + eps);  y = (x * inv) * w
//   layer: rstd = 1 / sqrt(mean((x - mean)^2) + eps);  y = (x - mean) * rstd * w + b
// AddRmsNorm first forms x = a + b rounded to the activation type (exactly
// what Add stores), writes it as the sum output and normalizes it.
#include "Internal.h"

namespace vlmc::codegen::detail {
namespace {

const char *kNormText = R"cuda(
{
  __shared__ float red[8];
  constexpr int TS = cfg::TS, VW = cfg::VW;
  constexpr int UPR = cfg::D / VW;            // vectors per row
  constexpr int NU = (UPR + TS - 1) / TS;     // vectors per thread
  const int team = threadIdx.x / TS, t = threadIdx.x % TS;
  const i64 row = (i64)blockIdx.x * (256 / TS) + team;
  const bool live = row < a.d[0];
  // Whether this thread holds vector u of a live row.
  auto owns = [&](int u) { return live && (UPR % TS == 0 || (t + u * TS) * VW < cfg::D); };
  const act_t *x = (const act_t *)a.p[1] + row * cfg::D;
  const float eps = a.f[0];
  float v[NU][VW];
#if VLM_RESIDUAL
  float r[NU][VW];
#endif
#pragma unroll
  for (int u = 0; u < NU; ++u) {
    const int idx = (t + u * TS) * VW;
    if (owns(u)) {
      act_loadv<VW>(x + idx, v[u]);
#if VLM_RESIDUAL
      act_loadv<VW>((const act_t *)a.p[2] + row * cfg::D + idx, r[u]);
#endif
    } else {
#pragma unroll
      for (int e = 0; e < VW; ++e) v[u][e] = 0.0f;
    }
  }
  // The weights (and LayerNorm's bias) do not depend on the statistics: for
  // rows that fit, load them now, so their DRAM round trip overlaps the
  // reduction instead of following it (a decode step's one-row norms are
  // pure latency).
  constexpr bool EARLY = NU * VW <= 64;
  const act_t *w = (const act_t *)a.p[VLM_RESIDUAL ? 3 : 2];
  float wv[EARLY ? NU : 1][VW];
#if VLM_LAYER
  const act_t *b = (const act_t *)a.p[3];
  float bv[EARLY ? NU : 1][VW];
#endif
  if constexpr (EARLY) {
#pragma unroll
    for (int u = 0; u < NU; ++u) {
      const int idx = (t + u * TS) * VW;
      if (owns(u)) {
        act_loadv<VW>(w + idx, wv[u]);
#if VLM_LAYER
        act_loadv<VW>(b + idx, bv[u]);
#endif
      }
    }
  }
#if VLM_RESIDUAL
  // Only now the sum is formed and stored: a store before the loads above
  // would hold them back (the compiler cannot tell the pointers apart), a
  // DRAM round trip per vector.
#pragma unroll
  for (int u = 0; u < NU; ++u) {
    if (owns(u)) {
      const int idx = (t + u * TS) * VW;
#pragma unroll
      for (int e = 0; e < VW; ++e) v[u][e] = act_to_f32(f32_to_act(__fadd_rn(v[u][e], r[u][e])));
      act_storev<VW>((act_t *)a.p[0] + row * cfg::D + idx, v[u]);
    }
  }
#endif
  auto team_sum = [&](float s) { return TS == 32 ? warp_sum(s) : block_sum<256>(s, red); };
#if VLM_LAYER
  float s = 0.0f;
#pragma unroll
  for (int u = 0; u < NU; ++u)
#pragma unroll
    for (int e = 0; e < VW; ++e) s += v[u][e];
  const float mean = __fdiv_rn(team_sum(s), (float)cfg::D);
  float ss = 0.0f;
#pragma unroll
  for (int u = 0; u < NU; ++u) {
    const bool in = owns(u);
#pragma unroll
    for (int e = 0; e < VW; ++e) {
      const float d = in ? __fsub_rn(v[u][e], mean) : 0.0f;
      ss = fmaf(d, d, ss);
    }
  }
  const float var = __fdiv_rn(team_sum(ss), (float)cfg::D);
  const float rstd = __fdiv_rn(1.0f, __fsqrt_rn(__fadd_rn(var, eps)));
#else
  float ss = 0.0f;
#pragma unroll
  for (int u = 0; u < NU; ++u)
#pragma unroll
    for (int e = 0; e < VW; ++e) ss = fmaf(v[u][e], v[u][e], ss);
  const float var = __fdiv_rn(team_sum(ss), (float)cfg::D);
  const float inv = __fdiv_rn(1.0f, __fsqrt_rn(__fadd_rn(var, eps)));
#endif
  if (!live) return;
  act_t *y = (act_t *)a.p[VLM_RESIDUAL ? 6 : 0] + row * cfg::D;
#pragma unroll
  for (int u = 0; u < NU; ++u) {
    if (!owns(u)) continue;
    const int idx = (t + u * TS) * VW;
    float wu[VW], o[VW];
    if constexpr (EARLY) {
#pragma unroll
      for (int e = 0; e < VW; ++e) wu[e] = wv[u][e];
    } else {
      act_loadv<VW>(w + idx, wu);
    }
#if VLM_LAYER
    float bu[VW];
    if constexpr (EARLY) {
#pragma unroll
      for (int e = 0; e < VW; ++e) bu[e] = bv[u][e];
    } else {
      act_loadv<VW>(b + idx, bu);
    }
#pragma unroll
    for (int e = 0; e < VW; ++e)
      o[e] = __fadd_rn(__fmul_rn(__fmul_rn(__fsub_rn(v[u][e], mean), rstd), wu[e]), bu[e]);
#else
#pragma unroll
    for (int e = 0; e < VW; ++e) o[e] = __fmul_rn(__fmul_rn(v[u][e], inv), wu[e]);
#endif
    act_storev<VW>(y + idx, o);
  }
}
)cuda";

} // namespace

Result<KernelSource> generateNorm(const OpDesc &desc) {
  VLMC_RETURN_IF_ERROR(requireDtype(desc));
  VLMC_RETURN_IF_ERROR(requirePositive(desc, "width", desc.width));
  const bool layer = desc.code == fb::OpCode::LayerNorm;
  const bool residual = desc.code == fb::OpCode::AddRmsNorm;
  int64_t vw = desc.dtype == fb::DType::BF16 ? 8 : 4;
  while (desc.width % vw != 0)
    vw /= 2;
  // Short rows take a warp. From 1024 elements on the whole block: a warp
  // issuing 12-18 vector loads per lane in turn made a decode step's one-row
  // norm latency-bound (H100, CUDA graph: RmsNorm 1536 2.0 us with a warp,
  // 3584 1.7 us with the block; AddRmsNorm 1536 3.7 us, 3584 2.2 us).
  const int team = desc.width < 1024 ? 32 : 256;
  if ((desc.width + team - 1) / team > 96)
    return invalidArgument("codegen: norm width " + std::to_string(desc.width) +
                           " exceeds the 24576 elements a block holds");
  KernelSource ks;
  ks.grid = fb::GridKind::Rows;
  ks.block = kBlock;
  ks.rowsPerBlock = kBlock / team;
  ks.name = std::string(layer ? "vlm_layer_norm" : residual ? "vlm_add_rms_norm" : "vlm_rms_norm") + "_d" +
            std::to_string(desc.width) + "_" + dtypeTag(desc.dtype);
  std::string s = prelude(desc.dtype);
  s += std::string("#define VLM_LAYER ") + (layer ? "1" : "0") + "\n";
  s += std::string("#define VLM_RESIDUAL ") + (residual ? "1" : "0") + "\n";
  s += "namespace cfg {\n";
  s += constant("int", "D", desc.width);
  s += constant("int", "TS", team);
  s += constant("int", "VW", vw);
  s += "} // namespace cfg\n";
  s += entry(ks.name, ks.block);
  s += kNormText;
  ks.source = std::move(s);
  return ks;
}

} // namespace vlmc::codegen::detail
