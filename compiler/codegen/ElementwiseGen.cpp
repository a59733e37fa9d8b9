// Elementwise and copy kernels (GridKind Elements, one 16-byte vector per
// thread): Activation, Add, Mul, GatedActivation (act(gate) * up),
// KVCacheWrite and PixelShuffle.
//
// Activation formulas are cpu::activation's, with its fp32 operation order
// (x / (1 + exp(-x)), 0.5 x (1 + erf(x / sqrt 2)), ...); device expf, erff
// and tanhf are within 2 ulp of glibc's.
#include "Internal.h"

namespace vlmc::codegen::detail {
namespace {

const char *kElementwiseText = R"cuda(
VLM_DEV float activate(float x) {
  if constexpr (cfg::ACT == 0) return __fdiv_rn(x, __fadd_rn(1.0f, expf(-x)));
  else if constexpr (cfg::ACT == 1)
    return __fmul_rn(__fmul_rn(0.5f, x), __fadd_rn(1.0f, erff(__fmul_rn(x, 0.70710678118654752f))));
  else if constexpr (cfg::ACT == 2) {
    const float inner = __fmul_rn(
        0.79788456080286536f, __fadd_rn(x, __fmul_rn(__fmul_rn(__fmul_rn(0.044715f, x), x), x)));
    return __fmul_rn(__fmul_rn(0.5f, x), __fadd_rn(1.0f, tanhf(inner)));
  } else return __fdiv_rn(x, __fadd_rn(1.0f, expf(__fmul_rn(-1.702f, x))));
}

VLM_DEV float apply(float x, float y) {
#if VLM_OP == 0
  (void)y;
  return activate(x);
#elif VLM_OP == 3
  // GatedActivation: the activation rounded as Activation stores it, then Mul.
  return __fmul_rn(act_to_f32(f32_to_act(activate(x))), y);
#elif VLM_OP == 1
  return __fadd_rn(x, y);
#else
  return __fmul_rn(x, y);
#endif
}
)cuda";

const char *kElementwiseEntry = R"cuda(
{
  constexpr int VW = ACT_VEC;
  const i64 n = a.d[0];
  const i64 e0 = ((i64)blockIdx.x * 256 + threadIdx.x) * VW;
  if (e0 >= n) return;
  const act_t *x = (const act_t *)a.p[1];
  const act_t *b = (const act_t *)a.p[2]; // Add/Mul only
  act_t *y = (act_t *)a.p[0];
  if (e0 + VW <= n) {
    float xv[VW], bv[VW], r[VW];
    act_loadv<VW>(x + e0, xv);
#if VLM_OP != 0
    act_loadv<VW>(b + e0, bv);
#endif
#pragma unroll
    for (int e = 0; e < VW; ++e) r[e] = apply(xv[e], VLM_OP != 0 ? bv[e] : 0.0f);
    act_storev<VW>(y + e0, r);
  } else {
    for (i64 e = e0; e < n; ++e)
      y[e] = f32_to_act(apply(act_to_f32(x[e]), VLM_OP != 0 ? act_to_f32(b[e]) : 0.0f));
  }
}
)cuda";

const char *kKvWriteEntry = R"cuda(
{
  // p[1] update [S, H, D], p[2] cache [T, H, D] (== p[0]), p[3] offset.
  constexpr i64 ROW = cfg::ROW;
  constexpr int VW = cfg::VW;
  const i64 S = a.d[0], T = a.d[1];
  const i64 e = ((i64)blockIdx.x * 256 + threadIdx.x) * VW;
  if (e >= S * ROW) return;
  const i64 off = a.d[2] ? *(const i64 *)a.p[3] : (i64)*(const int *)a.p[3];
  const i64 dst = off + e / ROW;
  if (dst < 0 || dst >= T) return; // overflow: the runtime checks offsets on the host
  float v[VW];
  act_loadv<VW>((const act_t *)a.p[1] + e, v);
  act_storev<VW>((act_t *)a.p[0] + off * ROW + e, v);
}
)cuda";

const char *kPixelShuffleEntry = R"cuda(
{
  // x [T, G*G, C] -> y [T, (G/s)^2, C*s*s]:
  //   y[t, i*(G/s) + j, (dy*s + dx)*C + c] = x[t, (i*s + dy)*G + j*s + dx, c]
  constexpr int C = cfg::C, S = cfg::SCALE, VW = cfg::VW;
  const i64 images = a.d[0], G = a.d[1], g = G / S;
  const i64 e = ((i64)blockIdx.x * 256 + threadIdx.x) * VW;
  if (e >= images * G * G * C) return;
  const i64 oc = e % (C * S * S), rest = e / (C * S * S);
  const i64 cell = rest % (g * g), t = rest / (g * g);
  const i64 c = oc % C, sub = oc / C, dy = sub / S, dx = sub % S;
  const i64 i = cell / g, j = cell % g;
  const i64 src = (t * G * G + (i * S + dy) * G + j * S + dx) * C + c;
  float v[VW];
  act_loadv<VW>((const act_t *)a.p[1] + src, v);
  act_storev<VW>((act_t *)a.p[0] + e, v);
}
)cuda";

int64_t pow2Divisor(int64_t v, int64_t cap) {
  int64_t p = 1;
  while (p * 2 <= cap && v % (p * 2) == 0)
    p *= 2;
  return p;
}

const char *activationName(int64_t kind) {
  switch (kind) {
  case 0: return "silu";
  case 1: return "gelu";
  case 2: return "gelu_tanh";
  case 3: return "quick_gelu";
  default: return nullptr;
  }
}

} // namespace

Result<KernelSource> generateElementwise(const OpDesc &desc) {
  VLMC_RETURN_IF_ERROR(requireDtype(desc));
  const bool bf16 = desc.dtype == fb::DType::BF16;
  int op = 0;
  int64_t act = 0;
  std::string base;
  if (desc.code == fb::OpCode::Activation || desc.code == fb::OpCode::GatedActivation) {
    act = desc.i64Attrs.empty() ? 0 : desc.i64Attrs[0];
    if (!activationName(act))
      return invalidArgument(std::string("codegen: ") + fb::EnumNameOpCode(desc.code) +
                             ": unknown activation kind " + std::to_string(act) +
                             " (0 silu, 1 gelu, 2 gelu_tanh, 3 quick_gelu)");
    const bool gated = desc.code == fb::OpCode::GatedActivation;
    op = gated ? 3 : 0;
    base = std::string(gated ? "vlm_gated_" : "vlm_") + activationName(act);
  } else {
    op = desc.code == fb::OpCode::Add ? 1 : 2;
    base = op == 1 ? "vlm_add" : "vlm_mul";
  }
  KernelSource ks;
  ks.grid = fb::GridKind::Elements;
  ks.block = kBlock;
  ks.rowsPerBlock = bf16 ? 8 : 4; // elements per thread (ACT_VEC)
  ks.name = base + "_" + dtypeTag(desc.dtype);
  std::string s = prelude(desc.dtype);
  s += "#define VLM_OP " + std::to_string(op) + "\n";
  s += "namespace cfg {\n" + constant("int", "ACT", act) + "} // namespace cfg\n";
  s += kElementwiseText;
  s += entry(ks.name, ks.block);
  s += kElementwiseEntry;
  ks.source = std::move(s);
  return ks;
}

Result<KernelSource> generateKvCacheWrite(const OpDesc &desc) {
  VLMC_RETURN_IF_ERROR(requireDtype(desc));
  VLMC_RETURN_IF_ERROR(requirePositive(desc, "kv heads", desc.kvHeads));
  VLMC_RETURN_IF_ERROR(requirePositive(desc, "head dim", desc.headDim));
  const int64_t row = desc.kvHeads * desc.headDim;
  const int64_t vw = pow2Divisor(row, desc.dtype == fb::DType::BF16 ? 8 : 4);
  KernelSource ks;
  ks.grid = fb::GridKind::Elements;
  ks.block = kBlock;
  ks.rowsPerBlock = static_cast<int>(vw);
  ks.name = "vlm_kv_cache_write_h" + std::to_string(desc.kvHeads) + "_d" +
            std::to_string(desc.headDim) + "_" + dtypeTag(desc.dtype);
  std::string s = prelude(desc.dtype);
  s += "namespace cfg {\n" + constant("i64", "ROW", row) + constant("int", "VW", vw) +
       "} // namespace cfg\n";
  s += entry(ks.name, ks.block);
  s += kKvWriteEntry;
  ks.source = std::move(s);
  return ks;
}

Result<KernelSource> generatePixelShuffle(const OpDesc &desc) {
  VLMC_RETURN_IF_ERROR(requireDtype(desc));
  VLMC_RETURN_IF_ERROR(requirePositive(desc, "width (channels)", desc.width));
  const int64_t scale = desc.i64Attrs.empty() ? 1 : desc.i64Attrs[0];
  VLMC_RETURN_IF_ERROR(requirePositive(desc, "scale", scale));
  const int64_t vw = pow2Divisor(desc.width, desc.dtype == fb::DType::BF16 ? 8 : 4);
  KernelSource ks;
  ks.grid = fb::GridKind::Elements;
  ks.block = kBlock;
  ks.rowsPerBlock = static_cast<int>(vw);
  ks.name = "vlm_pixel_shuffle_c" + std::to_string(desc.width) + "_s" + std::to_string(scale) +
            "_" + dtypeTag(desc.dtype);
  std::string s = prelude(desc.dtype);
  s += "namespace cfg {\n" + constant("int", "C", desc.width) + constant("int", "SCALE", scale) +
       constant("int", "VW", vw) + "} // namespace cfg\n";
  s += entry(ks.name, ks.block);
  s += kPixelShuffleEntry;
  ks.source = std::move(s);
  return ks;
}

} // namespace vlmc::codegen::detail
