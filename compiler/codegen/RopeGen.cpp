// Rope: rotate-half RoPE on x [S, H, D] (1-D, M-RoPE sections, axial 2-D);
// RopeKVCacheWrite: the same, written into a KV cache at an offset;
// RopeKVPairCacheWrite: also the values, unrotated, into the value cache.
//
// The inverse frequencies are computed here, on the host, with exactly the
// CPU backend's expression (1 / pow(theta, float(2j) / float(n)) in fp32)
// and compiled in as exact hex literals: a device powf differing by one ulp
// would move large-position angles by more than the 1e-5 tolerance. Each
// thread owns VS slots of one head of one token and computes their cos/sin
// (accurate sincosf): every head recomputes the same angles, which costs a
// few instructions and keeps a decode step's one token spread over H times
// more threads (a loop over heads made it a chain of H dependent loads).
#include "Internal.h"

#include <cmath>
#include <cstdio>
#include <cstring>

namespace vlmc::codegen::detail {
namespace {

const char *kRopeText = R"cuda(
{
  constexpr int HALF = cfg::D / 2, VS = cfg::VS, UNITS = HALF / VS;
  const i64 S = a.d[0];
  const i64 u = (i64)blockIdx.x * 256 + threadIdx.x;
  if (u >= S * cfg::H * UNITS) return;
  const i64 row = u / UNITS; // token * H + head
  const i64 tok = row / cfg::H;
  const int i0 = (int)(u % UNITS) * VS;
  const int *pos = (const int *)a.p[2];
  float c[VS], s[VS];
#pragma unroll
  for (int e = 0; e < VS; ++e) {
    const int i = i0 + e;
    const float p = (float)pos[cfg::STREAM[i] * S + tok];
    sincosf(__fmul_rn(p, cfg::INV[i]), &s[e], &c[e]);
  }
  const act_t *x = (const act_t *)a.p[1];
#if VLM_CACHE
  // RopeKVCacheWrite: the rotated rows land in the cache (p[0] == p[3]) at
  // the device-side offset p[4]; d[1] = cache rows, d[2] = 1 for an i64 offset.
  const i64 off = a.d[2] ? *(const i64 *)a.p[4] : (i64)*(const int *)a.p[4];
  if (off + tok < 0 || off + tok >= a.d[1]) return; // the runtime checks offsets on the host
  act_t *y = (act_t *)a.p[0] + off * (i64)cfg::H * cfg::D;
#else
  act_t *y = (act_t *)a.p[0];
#endif
  const i64 base = row * cfg::D + i0;
  float xa[VS], xb[VS], ya[VS], yb[VS];
  act_loadv<VS>(x + base, xa); // both halves read before writing: y may be x
  act_loadv<VS>(x + base + HALF, xb);
#pragma unroll
  for (int e = 0; e < VS; ++e) {
    ya[e] = __fsub_rn(__fmul_rn(xa[e], c[e]), __fmul_rn(xb[e], s[e]));
    yb[e] = __fadd_rn(__fmul_rn(xb[e], c[e]), __fmul_rn(xa[e], s[e]));
  }
  act_storev<VS>(y + base, ya);
  act_storev<VS>(y + base + HALF, yb);
#if VLM_PAIR
  // RopeKVPairCacheWrite: the same slots of the values (p[5]) go as they are
  // into the value cache (p[6]) at the same offset.
  const act_t *vx = (const act_t *)a.p[5];
  act_t *vy = (act_t *)a.p[6] + off * (i64)cfg::H * cfg::D;
  float va[VS], vb[VS];
  act_loadv<VS>(vx + base, va);
  act_loadv<VS>(vx + base + HALF, vb);
  act_storev<VS>(vy + base, va);
  act_storev<VS>(vy + base + HALF, vb);
#endif
}
)cuda";

} // namespace

Result<KernelSource> generateRope(const OpDesc &desc) {
  VLMC_RETURN_IF_ERROR(requireDtype(desc));
  VLMC_RETURN_IF_ERROR(requirePositive(desc, "heads", desc.heads));
  VLMC_RETURN_IF_ERROR(requirePositive(desc, "head dim", desc.headDim));
  const int64_t D = desc.headDim, half = D / 2;
  if (D % 2 != 0)
    return invalidArgument("codegen: Rope: head dim " + std::to_string(D) + " is odd");
  if (desc.f32Attrs.empty())
    return invalidArgument("codegen: Rope: needs theta in f32_attrs[0]");
  const float theta = desc.f32Attrs[0];
  const std::vector<int64_t> &sections = desc.i64Attrs;
  const bool axial = (desc.flags & 2u) != 0; // artifact::kFlagAxial
  int64_t total = 0;
  for (int64_t sec : sections) {
    if (sec <= 0)
      return invalidArgument("codegen: Rope: non-positive section " + std::to_string(sec));
    total += sec;
  }
  if (!sections.empty() && total != half)
    return invalidArgument("codegen: Rope: sections sum to " + std::to_string(total) +
                           " but must sum to D/2 = " + std::to_string(half));
  if (axial && sections.empty())
    return invalidArgument("codegen: Rope: axial RoPE needs sections");

  // cpu::rope's tables, in its exact fp32 arithmetic.
  std::vector<float> inv(static_cast<size_t>(half));
  std::vector<int> stream(static_cast<size_t>(half), 0);
  int64_t start = 0;
  const size_t numStreams = sections.empty() ? 1 : sections.size();
  for (size_t sidx = 0; sidx < numStreams; ++sidx) {
    const int64_t size = sections.empty() ? half : sections[sidx];
    for (int64_t i = start; i < start + size; ++i) {
      const int64_t j = axial ? i - start : i;
      const float n = static_cast<float>(axial ? 2 * size : D);
      inv[size_t(i)] = 1.0f / std::pow(theta, static_cast<float>(2 * j) / n);
      stream[size_t(i)] = static_cast<int>(sidx);
    }
    start += size;
  }

  const int64_t vs = half % 4 == 0 ? 4 : (half % 2 == 0 ? 2 : 1);
  KernelSource ks;
  ks.grid = fb::GridKind::Elements;
  ks.block = kBlock;
  ks.rowsPerBlock = static_cast<int>(vs); // slots per thread
  ks.tileN = 1; // a thread per head (0, older kernels: a thread loops over heads)
  std::string secTag;
  for (int64_t sec : sections)
    secTag += "_" + std::to_string(sec);
  // theta goes into the name by its bits: it is compiled in.
  uint32_t thetaBits;
  static_assert(sizeof thetaBits == sizeof theta, "float is 32-bit");
  std::memcpy(&thetaBits, &theta, sizeof thetaBits);
  char thetaHex[16];
  std::snprintf(thetaHex, sizeof thetaHex, "%08x", thetaBits);
  const bool pair = desc.code == fb::OpCode::RopeKVPairCacheWrite;
  const bool cache = pair || desc.code == fb::OpCode::RopeKVCacheWrite;
  ks.name = std::string(pair ? "vlm_rope_kv_pair_write_h" : cache ? "vlm_rope_kv_write_h" : "vlm_rope_h") + std::to_string(desc.heads) + "_d" + std::to_string(D) + "_t" +
            thetaHex + (sections.empty() ? "" : (axial ? "_axial" : "_mrope") + secTag) + "_" +
            dtypeTag(desc.dtype);

  std::string s = prelude(desc.dtype);
  s += std::string("#define VLM_CACHE ") + (cache ? "1" : "0") + "\n";
  s += std::string("#define VLM_PAIR ") + (pair ? "1" : "0") + "\n";
  s += "namespace cfg {\n";
  s += constant("int", "H", desc.heads);
  s += constant("int", "D", D);
  s += constant("int", "VS", vs);
  s += "__device__ const float INV[" + std::to_string(half) + "] = {";
  for (int64_t i = 0; i < half; ++i)
    s += (i ? ", " : "") + floatLiteral(inv[size_t(i)]);
  s += "};\n__device__ const int STREAM[" + std::to_string(half) + "] = {";
  for (int64_t i = 0; i < half; ++i)
    s += (i ? ", " : "") + std::to_string(stream[size_t(i)]);
  s += "};\n} // namespace cfg\n";
  s += entry(ks.name, ks.block);
  s += kRopeText;
  ks.source = std::move(s);
  return ks;
}

} // namespace vlmc::codegen::detail
