// Device code for quantized operands, shared by the matmul and embedding
// kernels: weight decoding (quant::dequantize's fp32 operations, bit for
// bit) and activation fake-quantization (quant::fakeQuantizeRows).
#include "Internal.h"

namespace vlmc::codegen::detail {

namespace {

// Needs namespace qc (MODE, BITS, GROUP, GLOBAL, SCALE, COLS, GROUPS, MASK).
const char *kWeightText = R"cuda(
// A quantized [rows, qc::COLS] matrix in MLX layout: each row a little-endian
// bitstream of BITS-bit codes in u32 words, one scale (+ bias) per GROUP.
struct QMat {
  const u32 *w;
  const void *scales;
  const void *biases; // affine only
  float wfac;         // nvfp4 with a global scale g: g / 2688, else 1
};
constexpr i64 Q_ROW_WORDS = (i64)qc::COLS * qc::BITS / 32;

// Scales and biases travel as raw bits (loaded early, decoded late so that
// load latency hides behind other work).
VLM_DEV u32 q_raw(const void *p, i64 i) {
  if constexpr (qc::SCALE == 0) return ((const u8 *)p)[i];
  else if constexpr (qc::SCALE == 1) return ((const u32 *)p)[i];
  else return ((const u16 *)p)[i];
}
VLM_DEV float q_scale(u32 raw, float wfac) {
  if constexpr (qc::MODE == 1) {
    if constexpr (qc::SCALE == 1) return __uint_as_float(raw);
    else if constexpr (qc::SCALE == 2) return f16_to_f32(raw);
    else return bf16_to_f32(raw);
  } else if constexpr (qc::MODE == 4) {
    if constexpr (qc::GLOBAL) return __fmul_rn(e4m3_value(raw), wfac); // E4M3(s) * (g / 2688)
    else return e4m3_value(raw);
  } else {
    return e8m0_value(raw);
  }
}
// The affine per-group term (0 for the fp modes).
VLM_DEV float q_bias(u32 raw) {
  if constexpr (qc::MODE == 1) return q_scale(raw, 1.0f);
  else return 0.0f;
}
VLM_DEV u32 q_raw_bias(const QMat &q, i64 gi) {
  if constexpr (qc::MODE == 1) return q_raw(q.biases, gi);
  else return 0u;
}

// Scale multiplier and additive term of group gi (row * GROUPS + group).
VLM_DEV void q_group(const QMat &q, i64 gi, float &s, float &b) {
  s = q_scale(q_raw(q.scales, gi), q.wfac);
  b = q_bias(q_raw_bias(q, gi));
}

// One weight: q*scale + bias (affine), scale * value(q) (fp modes), each a
// separately rounded fp32 operation as in quant::dequantize.
VLM_DEV float q_value(u32 code, float s, float b) {
  if constexpr (qc::MODE == 1) return __fadd_rn(__fmul_rn((float)code, s), b);
  else if constexpr (qc::MODE == 3) return __fmul_rn(s, e4m3_value(code));
  else return __fmul_rn(s, e2m1_value(code));
}

// Weights [e, e + 8) of `row` (e a multiple of 8): 8 codes start on a byte
// and, for every supported width, fit in the two words from the one holding
// their first bit. Split in a load and a decode step.
struct QRaw8 {
  u64 win; // the 8 codes from bit 0
  u32 s, b; // raw scale and bias bits of their group
};
VLM_DEV QRaw8 q_load8(const QMat &q, i64 row, i64 e) {
  const u32 *w = q.w + row * Q_ROW_WORDS;
  const i64 bit = e * qc::BITS;
  const i64 wi = bit >> 5;
  const u32 off = (u32)(bit & 31);
  QRaw8 r;
  r.win = w[wi];
  if (off + 8u * qc::BITS > 32u) r.win |= (u64)w[wi + 1] << 32;
  r.win >>= off;
  const i64 gi = row * qc::GROUPS + e / qc::GROUP;
  r.s = q_raw(q.scales, gi);
  r.b = q_raw_bias(q, gi);
  return r;
}
VLM_DEV void q_decode8(const QRaw8 &r, float wfac, float *out) {
  const float s = q_scale(r.s, wfac), b = q_bias(r.b);
#pragma unroll
  for (int i = 0; i < 8; ++i) out[i] = q_value((u32)(r.win >> (i * qc::BITS)) & qc::MASK, s, b);
}
VLM_DEV void q_dequant8(const QMat &q, i64 row, i64 e, float *out) {
  q_decode8(q_load8(q, row, e), q.wfac, out);
}

// ---- bf16x2 decoding for the tensor-core paths ------------------------------
// fp modes are exact (E2M1/E4M3 values times E8M0/E4M3 scales fit bf16);
// affine weights and global-scale nvfp4 are rounded to bf16 once, as MLX's
// bf16 kernels do. NaN codes (E4M3 0x7F/0xFF) are not preserved here.
VLM_DEV u32 bf2_fma(u32 a, u32 b, u32 c) {
  u32 d;
  asm("fma.rn.bf16x2 %0, %1, %2, %3;" : "=r"(d) : "r"(a), "r"(b), "r"(c));
  return d;
}
VLM_DEV u32 bf2_mul(u32 a, u32 b) { return bf2_fma(a, b, 0x80008000u); } // + (-0)
VLM_DEV u32 bf2_pack(float lo, float hi) {
  u32 d;
  asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(d) : "f"(hi), "f"(lo));
  return d;
}
// Four E2M1 codes (16 bits) -> {v0, v1}, {v2, v3}: the two high bytes of
// each value come from 8-entry byte tables (prmt), the sign from bit 3.
VLM_DEV void e2m1x4_bf16(u32 w16, u32 &p0, u32 &p1) {
  const u32 sel = w16 & 0x7777u;
  const u32 hi = __byte_perm(0x3F3F3F00u, 0x40404040u, sel);
  const u32 lo = __byte_perm(0xC0800000u, 0xC0804000u, sel);
  p0 = __byte_perm(lo, hi, 0x5140u) | ((w16 << 12) & 0x8000u) | ((w16 << 24) & 0x80000000u);
  p1 = __byte_perm(lo, hi, 0x7362u) | ((w16 << 4) & 0x8000u) | ((w16 << 16) & 0x80000000u);
}
// Two E4M3 bytes -> bf16x2: the 7 magnitude bits land in the bf16 exponent
// and mantissa as value * 2^-120 (subnormals included), then * 2^120.
VLM_DEV u32 e4m3x2_bf16(u32 w16) {
  const u32 t = __byte_perm(w16, 0u, 0x4140u); // [b0, 0, b1, 0]
  return bf2_mul(((t & 0x007F007Fu) << 4) | ((t & 0x00800080u) << 8), 0x7B807B80u);
}
// 8 codes of a QRaw8 as 4 bf16x2 words (pairs of consecutive weights).
VLM_DEV void q_decode8_bf16(const QRaw8 &r, float wfac, u32 *o) {
  if constexpr (qc::MODE == 2 || qc::MODE == 4) {
    const u32 w = (u32)r.win;
    e2m1x4_bf16(w & 0xFFFFu, o[0], o[1]);
    e2m1x4_bf16(w >> 16, o[2], o[3]);
    const float s = q_scale(r.s, wfac);
    const u32 s2 = bf2_pack(s, s);
#pragma unroll
    for (int i = 0; i < 4; ++i) o[i] = bf2_mul(o[i], s2);
  } else if constexpr (qc::MODE == 3) {
    const u32 w0 = (u32)r.win, w1 = (u32)(r.win >> 32);
    o[0] = e4m3x2_bf16(w0 & 0xFFFFu);
    o[1] = e4m3x2_bf16(w0 >> 16);
    o[2] = e4m3x2_bf16(w1 & 0xFFFFu);
    o[3] = e4m3x2_bf16(w1 >> 16);
    const float s = q_scale(r.s, wfac);
    const u32 s2 = bf2_pack(s, s);
#pragma unroll
    for (int i = 0; i < 4; ++i) o[i] = bf2_mul(o[i], s2);
  } else if constexpr (qc::BITS == 4) {
    // {128 + q0, 128 + q1} are exact bf16 bit patterns; minus 128, then
    // q * scale + bias in one bf16 rounding.
    const u32 w = (u32)r.win;
    const float s = q_scale(r.s, wfac), b = q_bias(r.b);
    const u32 s2 = bf2_pack(s, s), b2 = bf2_pack(b, b);
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const u32 byte = (w >> (8 * i)) & 0xFFu;
      const u32 t = (byte & 0xFu) | ((byte & 0xF0u) << 12) | 0x43004300u;
      o[i] = bf2_fma(bf2_fma(t, 0x3F803F80u, 0xC300C300u), s2, b2);
    }
  } else {
    float v[8];
    q_decode8(r, wfac, v);
#pragma unroll
    for (int i = 0; i < 4; ++i) o[i] = bf2_pack(v[2 * i], v[2 * i + 1]);
  }
}

VLM_DEV QMat q_matrix(const KernelArgs &a, int first) {
  // Operands first..first+3: packed weights, scales, biases?, global scale?.
  QMat q;
  q.w = (const u32 *)a.p[first];
  q.scales = a.p[first + 1];
  q.biases = a.p[first + 2];
  q.wfac = 1.0f;
  if constexpr (qc::GLOBAL) q.wfac = __fdiv_rn(*(const float *)a.p[first + 3], 448.0f * 6.0f);
  return q;
}
)cuda";

// Needs namespace qc. Fake quantization of activation groups held by LG
// consecutive lanes with NV values each; all 32 lanes must call it.
const char *kActivationText = R"cuda(
constexpr float QQ_EMAX = qc::MODE == 4 ? 6.0f : 448.0f;

// quant::fakeQuantizeRows on one group: absmax, scale byte from (amax / M) *
// enc, elements encoded with multiplier enc / S (0 when S underflowed) and
// decoded as (S * dfac) * value. enc = 2688 / g and dfac = g / 2688 for nvfp4
// with a global scale g, else 1.
template <int NV, int LG> VLM_DEV void fake_quant_group(float *v, float enc, float dfac) {
  float amax = 0.0f;
#pragma unroll
  for (int i = 0; i < NV; ++i) amax = fmaxf(amax, fabsf(v[i])); // NaN skipped
#pragma unroll
  for (int o = 1; o < LG; o <<= 1) amax = fmaxf(amax, __shfl_xor_sync(0xFFFFFFFFu, amax, o));
  const float t = __fmul_rn(__fdiv_rn(amax, QQ_EMAX), enc);
  float scale;
  if constexpr (qc::MODE == 4) scale = e4m3_value(e4m3_encode(t));
  else scale = e8m0_value(e8m0_encode_ceil(t));
  const float mult = scale == 0.0f ? 0.0f : __fdiv_rn(enc, scale);
  const float ds = __fmul_rn(scale, dfac);
#pragma unroll
  for (int i = 0; i < NV; ++i) {
    const float y = __fmul_rn(v[i], mult);
    if constexpr (qc::MODE == 4) v[i] = __fmul_rn(ds, e2m1_value(e2m1_encode(y)));
    else v[i] = __fmul_rn(ds, e4m3_value(e4m3_encode(y)));
  }
}
)cuda";

// The per-call activation global scale of nvfp4 QQMatmul: absmax of the
// whole input, computed cooperatively through the workspace.
const char *kGlobalAmaxText = R"cuda(
// Workspace words: [0] next work item, [1] items done, [2] absmax bits,
// [3] blocks finished. All zero between kernels: the last block resets them.
//
// Blocks claim chunks of kAmaxChunk elements until none is left, fold each
// chunk's absmax in with atomicMax (non-negative floats order like their
// bits) and count it done; then wait until every chunk is done. Only blocks
// that are running claim chunks, so the wait cannot deadlock however many
// blocks the grid has.
constexpr i64 AMAX_CHUNK = 8192; // == vlmc::cuda::kAmaxChunk

template <int NT> __device__ float global_amax(const act_t *x, i64 count, u32 *ws) {
  __shared__ u32 s_item;
  __shared__ float s_red[NT / 32];
  const u32 items = (u32)((count + AMAX_CHUNK - 1) / AMAX_CHUNK);
  for (;;) {
    if (threadIdx.x == 0) s_item = atomicAdd(&ws[0], 1u);
    __syncthreads();
    const u32 item = s_item;
    __syncthreads();
    if (item >= items) break;
    const i64 b = (i64)item * AMAX_CHUNK;
    const i64 e = b + AMAX_CHUNK < count ? b + AMAX_CHUNK : count;
    float m = 0.0f;
    for (i64 i = b + threadIdx.x; i < e; i += NT) m = fmaxf(m, fabsf(act_to_f32(x[i])));
    m = block_max<NT>(m, s_red);
    if (threadIdx.x == 0) {
      atomicMax(&ws[2], __float_as_uint(m));
      __threadfence();
      atomicAdd(&ws[1], 1u);
    }
  }
  if (threadIdx.x == 0) {
    while (*(volatile u32 *)&ws[1] < items) {
    }
    __threadfence();
    s_item = *(volatile u32 *)&ws[2];
  }
  __syncthreads();
  return __uint_as_float(s_item);
}

// Called by every block at its very end.
VLM_DEV void global_amax_exit(u32 *ws) {
  __syncthreads();
  if (threadIdx.x == 0) {
    __threadfence();
    const u32 total = gridDim.x * gridDim.y * gridDim.z;
    if (atomicAdd(&ws[3], 1u) == total - 1u) {
      ws[0] = 0u;
      ws[1] = 0u;
      ws[2] = 0u;
      __threadfence();
      ws[3] = 0u;
    }
  }
}
)cuda";

int scaleKind(const QuantDesc &q) {
  if (q.mode != fb::QuantMode::Affine)
    return 0;
  switch (q.scaleDtype) {
  case fb::DType::F32: return 1;
  case fb::DType::F16: return 2;
  default: return 3;
  }
}

} // namespace

std::string quantHelpers(const OpDesc &desc, int64_t cols) {
  const QuantDesc &q = desc.quant;
  std::string s = "namespace qc {\n";
  s += constant("int", "MODE", static_cast<int>(q.mode)); // 1 affine 2 mxfp4 3 mxfp8 4 nvfp4
  s += constant("int", "BITS", q.bits);
  s += constant("int", "GROUP", q.groupSize);
  s += constant("GLOBAL", q.globalScale);
  s += constant("int", "SCALE", scaleKind(q)); // 0 u8, 1 f32, 2 f16, 3 bf16
  s += constant("i64", "COLS", cols);
  s += constant("i64", "GROUPS", cols / q.groupSize);
  s += "constexpr u32 MASK = (1u << BITS) - 1u;\n";
  s += "} // namespace qc\n";
  s += kWeightText;
  return s;
}

std::string activationQuantHelpers(const OpDesc &desc) {
  std::string s = kActivationText;
  if (desc.quant.globalScale)
    s += kGlobalAmaxText;
  return s;
}

} // namespace vlmc::codegen::detail
