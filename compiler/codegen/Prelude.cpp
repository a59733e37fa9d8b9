// The device helpers every generated kernel starts with. Self-contained on
// purpose: NVRTC compiles the source with no toolkit header, so bf16 and the
// fp8/fp4/e8m0 codecs are written with bit operations here. Each codec is a
// port of vlmc_quant's (runtime/src/quant/Codecs.cpp), bit-identical to the
// CPU reference (vlmc-kernel-check tests every code); arithmetic
// that must round exactly as the reference does uses the _rn intrinsics,
// which nvcc never contracts into FMAs.
#include "Internal.h"

namespace vlmc::codegen::detail {

namespace {

const char *kPreludeText = R"cuda(
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;
typedef long long i64;
typedef unsigned long long u64;

struct KernelArgs { void *p[8]; long long d[8]; float f[4]; };
struct alignas(16) U4 { u32 x, y, z, w; };
struct alignas(8) U2 { u32 x, y; };
struct alignas(16) F4 { float x, y, z, w; };
struct alignas(8) F2 { float x, y; };

#define VLM_DEV __device__ __forceinline__

// ---- bf16 / f16 -------------------------------------------------------------
VLM_DEV float bf16_to_f32(u32 h) { return __uint_as_float(h << 16); }
// Round to nearest even; NaN stays a quiet NaN (quant::floatToBf16).
VLM_DEV u32 f32_to_bf16(float f) {
  u32 x = __float_as_uint(f);
  if ((x & 0x7FFFFFFFu) > 0x7F800000u) return ((x >> 16) | 0x40u) & 0xFFFFu;
  x += 0x7FFFu + ((x >> 16) & 1u);
  return x >> 16;
}
VLM_DEV float f16_to_f32(u32 h) {
  float f;
  asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"((u16)h));
  return f;
}

// ---- activations: bf16 or f32 storage, f32 math -----------------------------
#if VLM_ACT_BF16
typedef u16 act_t;
VLM_DEV float act_to_f32(act_t v) { return bf16_to_f32(v); }
VLM_DEV act_t f32_to_act(float v) { return (act_t)f32_to_bf16(v); }
// Floats held by one 32-bit word of activations.
#define VLM_ACT_PER_WORD 2
VLM_DEV void act_unpack_word(u32 w, float *v) {
  v[0] = __uint_as_float(w << 16);
  v[1] = __uint_as_float(w & 0xFFFF0000u);
}
VLM_DEV u32 act_pack_word(const float *v) { return f32_to_bf16(v[0]) | (f32_to_bf16(v[1]) << 16); }
#else
typedef float act_t;
VLM_DEV float act_to_f32(act_t v) { return v; }
VLM_DEV act_t f32_to_act(float v) { return v; }
#define VLM_ACT_PER_WORD 1
VLM_DEV void act_unpack_word(u32 w, float *v) { v[0] = __uint_as_float(w); }
VLM_DEV u32 act_pack_word(const float *v) { return __float_as_uint(v[0]); }
#endif
// Activations per 16-byte vector.
constexpr int ACT_VEC = 16 / (int)sizeof(act_t);

// Loads NV consecutive activations (NV * sizeof(act_t) bytes, naturally
// aligned) with the widest vector loads that fit.
template <int NV> VLM_DEV void act_loadv(const act_t *p, float *v) {
  constexpr int BYTES = NV * (int)sizeof(act_t);
  if constexpr (BYTES >= 16) {
#pragma unroll
    for (int q = 0; q < BYTES / 16; ++q) {
      const U4 u = ((const U4 *)p)[q];
      float *o = v + q * ACT_VEC;
      act_unpack_word(u.x, o);
      act_unpack_word(u.y, o + VLM_ACT_PER_WORD);
      act_unpack_word(u.z, o + 2 * VLM_ACT_PER_WORD);
      act_unpack_word(u.w, o + 3 * VLM_ACT_PER_WORD);
    }
  } else if constexpr (BYTES == 8) {
    const U2 u = *(const U2 *)p;
    act_unpack_word(u.x, v);
    act_unpack_word(u.y, v + VLM_ACT_PER_WORD);
  } else if constexpr (BYTES == 4) {
    act_unpack_word(*(const u32 *)p, v);
  } else {
    v[0] = act_to_f32(p[0]);
  }
}

template <int NV> VLM_DEV void act_storev(act_t *p, const float *v) {
  constexpr int BYTES = NV * (int)sizeof(act_t);
  if constexpr (BYTES >= 16) {
#pragma unroll
    for (int q = 0; q < BYTES / 16; ++q) {
      const float *s = v + q * ACT_VEC;
      U4 u;
      u.x = act_pack_word(s);
      u.y = act_pack_word(s + VLM_ACT_PER_WORD);
      u.z = act_pack_word(s + 2 * VLM_ACT_PER_WORD);
      u.w = act_pack_word(s + 3 * VLM_ACT_PER_WORD);
      ((U4 *)p)[q] = u;
    }
  } else if constexpr (BYTES == 8) {
    U2 u;
    u.x = act_pack_word(v);
    u.y = act_pack_word(v + VLM_ACT_PER_WORD);
    *(U2 *)p = u;
  } else if constexpr (BYTES == 4) {
    *(u32 *)p = act_pack_word(v);
  } else {
    p[0] = f32_to_act(v[0]);
  }
}

// ---- element and scale codecs (quant::decode*/encode*) ----------------------
// Decoders place the code's magnitude bits into an fp32's exponent/mantissa
// and rescale by a power of two: exact for normal and subnormal codes alike
// (fp32 subnormals are kept: NVRTC's default -ftz=false is part of the ABI).
// E2M1: s e1 e0 m -> magnitudes 0 .5 1 1.5 2 3 4 6.
VLM_DEV float e2m1_value(u32 c) {
  const float mag = __uint_as_float((c & 7u) << 22) * 0x1p126f;
  return __uint_as_float(__float_as_uint(mag) | ((c & 8u) << 28));
}
// E4M3 fn: (8+m) 2^(e-10), subnormals m 2^-9, 0x7F/0xFF NaN.
VLM_DEV float e4m3_value(u32 c) {
  const u32 m = c & 0x7Fu;
  float mag = __uint_as_float(m << 20) * 0x1p120f;
  if (m == 0x7Fu) mag = __uint_as_float(0x7FC00000u);
  return __uint_as_float(__float_as_uint(mag) | ((c & 0x80u) << 24));
}
// E8M0: 2^(b-127); 0 -> 2^-127 (an fp32 subnormal), 255 -> NaN.
VLM_DEV float e8m0_value(u32 b) {
  b &= 0xFFu;
  return b == 0u ? __uint_as_float(0x00400000u)
                 : (b == 0xFFu ? __uint_as_float(0x7FC00000u) : __uint_as_float(b << 23));
}
// RNE, saturating at +-6, sign kept; NaN -> 7 (quant::encodeE2M1).
VLM_DEV u32 e2m1_encode(float v) {
  if (v != v) return 7u;
  const u32 sign = (__float_as_uint(v) >> 28) & 8u;
  const float a = fabsf(v);
  const u32 code = (u32)(a > 0.25f) + (u32)(a >= 0.75f) + (u32)(a > 1.25f) +
                   (u32)(a >= 1.75f) + (u32)(a > 2.5f) + (u32)(a >= 3.5f) + (u32)(a > 5.0f);
  return sign | code;
}
// RNE, saturating at +-448 (Inf too); NaN -> 0x7F (quant::encodeE4M3).
VLM_DEV u32 e4m3_encode(float v) {
  const u32 x = __float_as_uint(v);
  const u32 sign = (x >> 24) & 0x80u;
  const u32 ax = x & 0x7FFFFFFFu;
  if (ax > 0x7F800000u) return 0x7Fu;
  if (ax >= 0x43E00000u) return sign | 0x7Eu;
  if (ax < 0x3C800000u) return sign | (u32)rintf(__uint_as_float(ax) * 512.0f);
  const u32 r = ax + 0x7FFFFu + ((ax >> 20) & 1u);
  const u32 code = (((r >> 23) - 127u + 7u) << 3) | ((r >> 20) & 7u);
  return sign | (code > 0x7Eu ? 0x7Eu : code);
}
// ceil(log2 v) + 127, clamped to [0, 254]; v <= 0 -> 0, NaN -> 255
// (quant::encodeE8M0Ceil).
VLM_DEV u32 e8m0_encode_ceil(float v) {
  if (v != v) return 0xFFu;
  if (!(v > 0.0f)) return 0u;
  const u32 x = __float_as_uint(v);
  const u32 e = x >> 23, mant = x & 0x7FFFFFu;
  if (e == 0xFFu) return 0xFEu;
  if (e == 0u) return mant > 0x400000u ? 1u : 0u;
  const u32 b = e + (mant != 0u ? 1u : 0u);
  return b > 0xFEu ? 0xFEu : b;
}

// ---- reductions ---------------------------------------------------------------
VLM_DEV float warp_sum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xFFFFFFFFu, v, o);
  return v;
}
VLM_DEV float warp_max(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xFFFFFFFFu, v, o));
  return v;
}
// Block-wide sum/max for blockDim.x == NT (a multiple of 32); every thread
// gets the result. `red` is NT/32 floats of shared memory.
template <int NT> VLM_DEV float block_sum(float v, float *red) {
  v = warp_sum(v);
  if constexpr (NT > 32) {
    __syncthreads();
    if ((threadIdx.x & 31) == 0) red[threadIdx.x >> 5] = v;
    __syncthreads();
    v = 0.0f;
#pragma unroll
    for (int w = 0; w < NT / 32; ++w) v += red[w];
  }
  return v;
}
template <int NT> VLM_DEV float block_max(float v, float *red) {
  v = warp_max(v);
  if constexpr (NT > 32) {
    __syncthreads();
    if ((threadIdx.x & 31) == 0) red[threadIdx.x >> 5] = v;
    __syncthreads();
    v = red[0];
#pragma unroll
    for (int w = 1; w < NT / 32; ++w) v = fmaxf(v, red[w]);
  }
  return v;
}
)cuda";

} // namespace

std::string prelude(fb::DType dtype) {
  std::string s = "// Generated by vlmc codegen; launch ABI: vlmc/cuda/KernelAbi.h.\n";
  s += dtype == fb::DType::BF16 ? "#define VLM_ACT_BF16 1\n" : "#define VLM_ACT_BF16 0\n";
  s += kPreludeText;
  return s;
}

} // namespace vlmc::codegen::detail
