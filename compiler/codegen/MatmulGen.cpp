// Matmul, QMatmul, QQMatmul: y[M, N] = x[M, K] . W[N, K]^T (+ bias), one
// kernel with two paths chosen by the run-time M (KernelAbi.h, Tiles):
//
// * M <= 16 (decode, memory-bound): the weights are read once for all M
//   rows, decoded in registers, accumulated in fp32.
//   - bf16, K % 32 == 0, not QQMatmul: tensor-core GEMV (gemv_mma). Warps
//     own 8 output features x a share of K; each lane streams 32 consecutive
//     weights (16-byte loads), decodes them to bf16 pairs with a few integer
//     ops (q_decode8_bf16) and mma.sync does the products with the M rows
//     padded to 16.
//   - otherwise (f32, odd K): gemv_direct, a warp per 2 output features,
//     lanes stream 32-weight chunks and FMA them with x read from global
//     memory (L1 hits), no shared memory and no barrier.
//   - QQMatmul: gemv_staged; x is fake-quantized once per block into shared
//     memory (K tiles of 1024) instead of once per output feature.
// * M > 16 (prefill): a shared-memory tiled GEMM, double-buffered with
//   register prefetch. bf16: tensor cores (mma.sync m16n8k16 fed by
//   ldmatrix, fp32 accumulation), weights dequantized to bf16 while being
//   staged; f32: a 64x64 FFMA tile (4x4 outputs per thread).
//
// Numerics: the f32 paths decode every weight exactly as quant::dequantize
// does, and QQMatmul fake-quantizes x exactly as quant::fakeQuantizeRows (same
// scale rules, RNE saturating elements), so only the accumulation order
// differs from the CPU reference. The tensor-core paths use bf16 operands:
// exact for bf16 weights and the fp modes without a global scale; affine
// and global-scale nvfp4 weights (and QQ x-hat with a global scale) are
// rounded to bf16 once, as MLX's bf16 kernels do.
#include "Internal.h"

namespace vlmc::codegen::detail {
namespace {

const char *kGemvText = R"cuda(
// ---- GEMV path (M <= 16) ------------------------------------------------------
namespace gv {
constexpr int WARPS = 8, R = 2, ROWS = WARPS * R; // output features per block
constexpr int C = cfg::GEMV_C;                    // weights per lane chunk
constexpr int CPL = C >= 32 ? 1 : 32 / C;         // chunks per lane per tile
constexpr int KT = 32 * C * CPL;                  // K tile (1024)
constexpr int NT = (cfg::K + KT - 1) / KT;
constexpr i64 NCH = cfg::K / C;                   // chunks per weight row
constexpr int MS = 8;                             // activation rows per stage
constexpr int XV = C < 4 ? C : 4;                 // floats per shared vector
constexpr int SV = cfg::GEMV_SV;                  // activations per staging load
constexpr int UPR = KT / SV;
// Element i of chunk (j, lane) of row m: lanes interleaved at every vector,
// so a warp reading "vector v of its chunk" touches consecutive words.
VLM_DEV int xs_index(int m, int j, int i, int lane) {
  return (((m * CPL + j) * (C / XV) + i / XV) * 32 + lane) * XV + i % XV;
}
#if VLM_QUANT
constexpr int NWC = C * qc::BITS / 32;           // packed words per chunk
constexpr int NG = C > qc::GROUP ? C / qc::GROUP : 1;
struct Chunk {
  u32 w[NWC];
  float s[NG], b[NG];
};
template <int NW, int AL> VLM_DEV void load_words(const u32 *p, u32 *d) {
  if constexpr (AL == 4) {
#pragma unroll
    for (int q = 0; q < NW / 4; ++q) {
      const U4 u = ((const U4 *)p)[q];
      d[4 * q] = u.x; d[4 * q + 1] = u.y; d[4 * q + 2] = u.z; d[4 * q + 3] = u.w;
    }
  } else if constexpr (AL == 2) {
#pragma unroll
    for (int q = 0; q < NW / 2; ++q) {
      const U2 u = ((const U2 *)p)[q];
      d[2 * q] = u.x; d[2 * q + 1] = u.y;
    }
  } else {
#pragma unroll
    for (int q = 0; q < NW; ++q) d[q] = p[q];
  }
}
VLM_DEV void load_chunk(Chunk &c, const QMat &q, i64 row, i64 gc, bool ok) {
  if (!ok) {
#pragma unroll
    for (int i = 0; i < NWC; ++i) c.w[i] = 0u;
#pragma unroll
    for (int g = 0; g < NG; ++g) { c.s[g] = 0.0f; c.b[g] = 0.0f; }
    return;
  }
  load_words<NWC, cfg::GEMV_AL>(q.w + row * Q_ROW_WORDS + gc * NWC, c.w);
#pragma unroll
  for (int g = 0; g < NG; ++g)
    q_group(q, row * qc::GROUPS + (gc * C) / qc::GROUP + g, c.s[g], c.b[g]);
}
// Code i of the chunk (i is a compile-time constant once unrolled).
VLM_DEV u32 chunk_code(const Chunk &c, int i) {
  const int bit = i * qc::BITS, wi = bit >> 5, sh = bit & 31;
  u32 v = c.w[wi] >> sh;
  if (sh + qc::BITS > 32) v |= c.w[wi + 1] << (32 - sh);
  return v & qc::MASK;
}
// Weight i, dequantized exactly as quant::dequantize.
VLM_DEV float chunk_value(const Chunk &c, int i) {
  const int g = NG > 1 ? i / qc::GROUP : 0;
  return q_value(chunk_code(c, i), c.s[g], c.b[g]);
}
// The fp modes' scale is a common factor of its group: chunk_raw is the
// element value and chunk_scale(g) multiplies the group's partial sum (for
// E8M0 scales exactly the same as scaling each weight; for E4M3 scales one
// more rounding per group). Affine weights are dequantized in chunk_raw.
VLM_DEV float chunk_raw(const Chunk &c, int i) {
  if constexpr (qc::MODE == 1) return chunk_value(c, i);
  else if constexpr (qc::MODE == 3) return e4m3_value(chunk_code(c, i));
  else return e2m1_value(chunk_code(c, i));
}
VLM_DEV float chunk_scale(const Chunk &c, int g) {
  if constexpr (qc::MODE == 1) return 1.0f;
  else return c.s[g];
}
#else
constexpr int NG = 1;
struct Chunk {
  float v[C];
};
VLM_DEV void load_chunk(Chunk &c, const act_t *w, i64 row, i64 gc, bool ok) {
  if (!ok) {
#pragma unroll
    for (int i = 0; i < C; ++i) c.v[i] = 0.0f;
    return;
  }
  act_loadv<C>(w + row * cfg::K + gc * C, c.v);
}
VLM_DEV float chunk_value(const Chunk &c, int i) { return c.v[i]; }
VLM_DEV float chunk_raw(const Chunk &c, int i) { return c.v[i]; }
VLM_DEV float chunk_scale(const Chunk &, int) { return 1.0f; }
#endif

// Stages activation rows [m0, m0 + MSR) x columns [k0, k0 + KT) into xs as
// f32 (fake-quantized for QQMatmul). Whole warps are in or out of range, so
// the group shuffles of fake_quant_group always see 32 lanes.
template <int MSR>
VLM_DEV void stage(const act_t *x, i64 M, int m0, int k0, float *xs, float enc, float dfac) {
  constexpr int UNITS = MSR * UPR;
#pragma unroll 1
  for (int base = 0; base < UNITS; base += 256) {
    const int u = base + (int)threadIdx.x;
    const bool in = u < UNITS;
    const int m = u / UPR, kk = (u % UPR) * SV;
    const i64 row = (i64)m0 + m;
    const int k = k0 + kk;
    float v[SV];
    if (in && row < M && k < cfg::K) {
      act_loadv<SV>(x + row * cfg::K + k, v);
    } else {
#pragma unroll
      for (int e = 0; e < SV; ++e) v[e] = 0.0f;
    }
#if VLM_QQ
    fake_quant_group<SV, qc::GROUP / SV>(v, enc, dfac);
#endif
    if (in) {
#pragma unroll
      for (int e = 0; e < SV; ++e) {
        const int kl = kk + e, qd = kl / C, i = kl % C;
        xs[xs_index(m, qd / 32, i, qd % 32)] = v[e];
      }
    }
  }
}
} // namespace gv

#if VLM_QQ
// QQMatmul: x is fake-quantized once per block into shared memory (K tiles
// of 1024, 8 rows at a time) and read from there by every warp.
template <int MR>
__device__ void gemv_staged(const KernelArgs &a, float *xs, float enc, float dfac) {
  using namespace gv;
  constexpr int MSR = MR < MS ? MR : MS;
  constexpr int STAGES = (MR + MS - 1) / MS;
  const act_t *x = (const act_t *)a.p[1];
  act_t *y = (act_t *)a.p[0];
  const i64 M = a.d[0];
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const i64 n0 = (i64)blockIdx.x * ROWS + warp * R;
#if VLM_QUANT
  const QMat wsrc = q_matrix(a, 2);
#else
  const act_t *wsrc = (const act_t *)a.p[2];
#endif
  float acc[MR][R];
#pragma unroll
  for (int m = 0; m < MR; ++m)
#pragma unroll
    for (int r = 0; r < R; ++r) acc[m][r] = 0.0f;

#pragma unroll 1
  for (int t = 0; t < NT; ++t) {
    // This tile's weight chunks go straight to registers; their loads are
    // in flight while the activations are staged.
    Chunk ch[R][CPL];
    bool valid[CPL];
#pragma unroll
    for (int j = 0; j < CPL; ++j) {
      const i64 gc = (i64)t * (32 * CPL) + j * 32 + lane;
      valid[j] = gc < NCH;
#pragma unroll
      for (int r = 0; r < R; ++r) load_chunk(ch[r][j], wsrc, n0 + r, gc, valid[j] && n0 + r < cfg::N);
    }
#pragma unroll
    for (int st = 0; st < STAGES; ++st) {
      __syncthreads(); // the previous stage's readers are done with xs
      stage<MSR>(x, M, st * MS, t * KT, xs, enc, dfac);
      __syncthreads();
#pragma unroll
      for (int j = 0; j < CPL; ++j) {
        if (!valid[j]) continue; // only in the last tile
#pragma unroll
        for (int ib = 0; ib < C / XV; ++ib) {
          float wv[R][XV];
#pragma unroll
          for (int r = 0; r < R; ++r)
#pragma unroll
            for (int e = 0; e < XV; ++e) wv[r][e] = chunk_value(ch[r][j], ib * XV + e);
#pragma unroll
          for (int m = 0; m < MSR; ++m) {
            float xv[XV];
            const float *src = xs + xs_index(m, j, ib * XV, lane);
            if constexpr (XV == 4) {
              const F4 f = *(const F4 *)src;
              xv[0] = f.x; xv[1] = f.y; xv[2] = f.z; xv[3] = f.w;
            } else if constexpr (XV == 2) {
              const F2 f = *(const F2 *)src;
              xv[0] = f.x; xv[1] = f.y;
            } else {
              xv[0] = src[0];
            }
#pragma unroll
            for (int r = 0; r < R; ++r)
#pragma unroll
              for (int e = 0; e < XV; ++e)
                acc[st * MS + m][r] = fmaf(xv[e], wv[r][e], acc[st * MS + m][r]);
          }
        }
      }
    }
  }

  const act_t *bias = (const act_t *)a.p[cfg::BIAS_P];
#pragma unroll
  for (int m = 0; m < MR; ++m)
#pragma unroll
    for (int r = 0; r < R; ++r) {
      float v = warp_sum(acc[m][r]);
      const i64 n = n0 + r;
      if (lane == ((m * R + r) & 31) && m < M && n < cfg::N) {
        if constexpr (cfg::HAS_BIAS) v += act_to_f32(bias[n]);
        y[m * cfg::N + n] = f32_to_act(v);
      }
    }
}
#endif // VLM_QQ

// Matmul/QMatmul: no shared memory and no barrier. Each lane keeps U chunks
// per weight row in flight and reads the matching activations straight from
// global memory (16-byte loads, L1 hits after the first warp: every warp of
// every block reads the same x).
template <int MR>
__device__ void gemv_direct(const KernelArgs &a) {
  using namespace gv;
  constexpr int U = 2;
  constexpr int XVD = C < ACT_VEC ? C : ACT_VEC; // activations per load
  constexpr int GE = C / NG;                      // weights per scale group in a chunk
  const act_t *x = (const act_t *)a.p[1];
  act_t *y = (act_t *)a.p[0];
  const i64 M = a.d[0];
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const i64 n0 = (i64)blockIdx.x * ROWS + warp * R;
#if VLM_QUANT
  const QMat wsrc = q_matrix(a, 2);
#else
  const act_t *wsrc = (const act_t *)a.p[2];
#endif
  float acc[MR][R];
#pragma unroll
  for (int m = 0; m < MR; ++m)
#pragma unroll
    for (int r = 0; r < R; ++r) acc[m][r] = 0.0f;

#pragma unroll 1
  for (i64 base = 0; base < NCH; base += 32 * U) {
    Chunk ch[U][R];
    bool ok[U];
#pragma unroll
    for (int u = 0; u < U; ++u) {
      const i64 gc = base + u * 32 + lane;
      ok[u] = gc < NCH;
#pragma unroll
      for (int r = 0; r < R; ++r) load_chunk(ch[u][r], wsrc, n0 + r, gc, ok[u] && n0 + r < cfg::N);
    }
#pragma unroll
    for (int u = 0; u < U; ++u) {
      if (!ok[u]) continue;
      const act_t *xc = x + (base + u * 32 + lane) * C;
#pragma unroll
      for (int g = 0; g < NG; ++g) {
        float part[MR][R];
#pragma unroll
        for (int m = 0; m < MR; ++m)
#pragma unroll
          for (int r = 0; r < R; ++r) part[m][r] = 0.0f;
#pragma unroll
        for (int ib = 0; ib < GE / XVD; ++ib) {
          const int i0 = g * GE + ib * XVD;
          float wv[R][XVD];
#pragma unroll
          for (int r = 0; r < R; ++r)
#pragma unroll
            for (int e = 0; e < XVD; ++e) wv[r][e] = chunk_raw(ch[u][r], i0 + e);
#pragma unroll
          for (int m = 0; m < MR; ++m) {
            if (MR > 1 && m >= M) break;
            float xv[XVD];
            act_loadv<XVD>(xc + m * cfg::K + i0, xv);
#pragma unroll
            for (int r = 0; r < R; ++r)
#pragma unroll
              for (int e = 0; e < XVD; ++e) part[m][r] = fmaf(xv[e], wv[r][e], part[m][r]);
          }
        }
#pragma unroll
        for (int m = 0; m < MR; ++m)
#pragma unroll
          for (int r = 0; r < R; ++r)
            acc[m][r] = fmaf(chunk_scale(ch[u][r], g), part[m][r], acc[m][r]);
      }
    }
  }

  const act_t *bias = (const act_t *)a.p[cfg::BIAS_P];
#pragma unroll
  for (int m = 0; m < MR; ++m)
#pragma unroll
    for (int r = 0; r < R; ++r) {
      float v = warp_sum(acc[m][r]);
      const i64 n = n0 + r;
      if (lane == ((m * R + r) & 31) && m < M && n < cfg::N) {
        if constexpr (cfg::HAS_BIAS) v += act_to_f32(bias[n]);
        y[m * cfg::N + n] = f32_to_act(v);
      }
    }
}
)cuda";

// Tensor-core GEMM for bf16 activations.
const char *kGemmMmaText = R"cuda(
// ---- GEMM path (M > 16): tensor cores -------------------------------------------
namespace gm {
constexpr int TM = cfg::TM, TN = cfg::TN, TK = cfg::TK;
constexpr int LDS = TK + 8;     // bf16 per shared row (80/144 bytes): conflict-free ldmatrix
constexpr int UPR = TK / 8;     // 8-element units per tile row
constexpr int WM = TM / 2, WN = TN / 4; // 8 warps as 2 x 4
constexpr int MI = WM / 16, NI = WN / 8;
constexpr int NKT = (cfg::K + TK - 1) / TK;
constexpr int AU = TM * TK / 8 / 256; // 8-element units per thread
constexpr int BU = TN * TK / 8 / 256;
constexpr int A_BYTES = 2 * TM * LDS * 2;

// Four 8x8 b16 matrices; lane l gives the address of row l % 8 of matrix l / 8.
VLM_DEV void ldsm_x4(u32 *r, const u16 *p) {
  const u32 addr = (u32)__cvta_generic_to_shared(p);
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}

VLM_DEV void mma16816(float *d, const u32 *a, const u32 *b) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, "
      "{%8,%9}, {%0,%1,%2,%3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

// 8 bf16 activations (or weights) of a row as 4 words; zeros outside.
VLM_DEV void load8_bf16(const act_t *row, i64 k, bool ok, u32 *r) {
  if (!ok) { r[0] = r[1] = r[2] = r[3] = 0u; return; }
  if constexpr (cfg::K % 8 == 0) {
    const U4 u = *(const U4 *)(row + k);
    r[0] = u.x; r[1] = u.y; r[2] = u.z; r[3] = u.w;
  } else {
    u32 h[8];
#pragma unroll
    for (int e = 0; e < 8; ++e) h[e] = k + e < cfg::K ? (u32)row[k + e] : 0u;
#pragma unroll
    for (int q = 0; q < 4; ++q) r[q] = h[2 * q] | (h[2 * q + 1] << 16);
  }
}

struct Stage {
  u32 a[AU][4];
#if VLM_QUANT
  QRaw8 b[BU];
  bool bok[BU];
#else
  u32 b[BU][4];
#endif
};

template <typename WSrc>
VLM_DEV void load_stage(Stage &s, const act_t *x, const WSrc &w, i64 M, i64 bm, i64 bn, int k0) {
#pragma unroll
  for (int i = 0; i < AU; ++i) {
    const int u = threadIdx.x + 256 * i, row = u / UPR, kc = (u % UPR) * 8;
    const i64 m = bm + row;
    load8_bf16(x + m * cfg::K, k0 + kc, m < M && k0 + kc < cfg::K, s.a[i]);
  }
#pragma unroll
  for (int i = 0; i < BU; ++i) {
    const int u = threadIdx.x + 256 * i, row = u / UPR, kc = (u % UPR) * 8;
    const i64 n = bn + row;
    const bool ok = n < cfg::N && k0 + kc < cfg::K;
#if VLM_QUANT
    s.bok[i] = ok;
    if (ok) s.b[i] = q_load8(w, n, k0 + kc);
#else
    load8_bf16(w + n * cfg::K, k0 + kc, ok, s.b[i]);
#endif
  }
}

template <typename WSrc>
VLM_DEV void store_stage(const Stage &s, const WSrc &w, u16 *As, u16 *Bs, float enc, float dfac) {
#pragma unroll
  for (int i = 0; i < AU; ++i) {
    const int u = threadIdx.x + 256 * i, row = u / UPR, kc = (u % UPR) * 8;
    U4 o;
#if VLM_QQ
    float v[8];
#pragma unroll
    for (int q = 0; q < 4; ++q) act_unpack_word(s.a[i][q], v + 2 * q);
    fake_quant_group<8, qc::GROUP / 8>(v, enc, dfac);
    o.x = act_pack_word(v); o.y = act_pack_word(v + 2);
    o.z = act_pack_word(v + 4); o.w = act_pack_word(v + 6);
#else
    o.x = s.a[i][0]; o.y = s.a[i][1]; o.z = s.a[i][2]; o.w = s.a[i][3];
#endif
    *(U4 *)(As + row * LDS + kc) = o;
  }
#pragma unroll
  for (int i = 0; i < BU; ++i) {
    const int u = threadIdx.x + 256 * i, row = u / UPR, kc = (u % UPR) * 8;
    U4 o;
#if VLM_QUANT
    if (s.bok[i]) {
      u32 v[4];
      q_decode8_bf16(s.b[i], w.wfac, v);
      o.x = v[0]; o.y = v[1]; o.z = v[2]; o.w = v[3];
    } else {
      o.x = o.y = o.z = o.w = 0u;
    }
#else
    o.x = s.b[i][0]; o.y = s.b[i][1]; o.z = s.b[i][2]; o.w = s.b[i][3];
#endif
    *(U4 *)(Bs + row * LDS + kc) = o;
  }
}
} // namespace gm

__device__ void gemm_run(const KernelArgs &a, unsigned char *smem, float enc, float dfac) {
  using namespace gm;
  u16 *As = (u16 *)smem;             // [2][TM][LDS]
  u16 *Bs = (u16 *)(smem + A_BYTES); // [2][TN][LDS]
  const act_t *x = (const act_t *)a.p[1];
  act_t *y = (act_t *)a.p[0];
  const i64 M = a.d[0];
  const i64 bm = (i64)blockIdx.y * TM, bn = (i64)blockIdx.x * TN;
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int wm = warp >> 2, wn = warp & 3, g = lane >> 2, tq = lane & 3;
#if VLM_QUANT
  const QMat w = q_matrix(a, 2);
#else
  const act_t *w = (const act_t *)a.p[2];
#endif
  float acc[MI][NI][4];
#pragma unroll
  for (int mi = 0; mi < MI; ++mi)
#pragma unroll
    for (int ni = 0; ni < NI; ++ni)
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[mi][ni][e] = 0.0f;

  Stage s;
  load_stage(s, x, w, M, bm, bn, 0);
  store_stage(s, w, As, Bs, enc, dfac);
  __syncthreads();
#pragma unroll 1
  for (int kt = 0; kt < NKT; ++kt) {
    const int cur = kt & 1;
    // Next tile's global loads fly while this one is multiplied; one barrier
    // per tile suffices with two buffers.
    if (kt + 1 < NKT) load_stage(s, x, w, M, bm, bn, (kt + 1) * TK);
    const u16 *A = As + cur * TM * LDS;
    const u16 *B = Bs + cur * TN * LDS;
#pragma unroll
    for (int kk = 0; kk < TK; kk += 16) {
      // A: rows 0-7/8-15 x k 0-7/8-15 are a0..a3. B (stored n-major): for
      // n8 tiles ni and ni+1, k 0-7/8-15 are b[ni][0..1], b[ni+1][0..1].
      u32 af[MI][4], bfr[NI][2];
#pragma unroll
      for (int mi = 0; mi < MI; ++mi)
        ldsm_x4(af[mi], A + (wm * WM + mi * 16 + (lane & 15)) * LDS + kk + (lane >> 4) * 8);
#pragma unroll
      for (int ni = 0; ni < NI; ni += 2) {
        u32 t[4];
        ldsm_x4(t, B + (wn * WN + ni * 8 + (lane & 7) + ((lane >> 4) << 3)) * LDS + kk +
                       ((lane >> 3) & 1) * 8);
        bfr[ni][0] = t[0];
        bfr[ni][1] = t[1];
        bfr[ni + 1][0] = t[2];
        bfr[ni + 1][1] = t[3];
      }
#pragma unroll
      for (int mi = 0; mi < MI; ++mi)
#pragma unroll
        for (int ni = 0; ni < NI; ++ni) mma16816(acc[mi][ni], af[mi], bfr[ni]);
    }
    if (kt + 1 < NKT)
      store_stage(s, w, As + (cur ^ 1) * TM * LDS, Bs + (cur ^ 1) * TN * LDS, enc, dfac);
    __syncthreads();
  }

  const act_t *bias = (const act_t *)a.p[cfg::BIAS_P];
#pragma unroll
  for (int mi = 0; mi < MI; ++mi)
#pragma unroll
    for (int ni = 0; ni < NI; ++ni)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const i64 m = bm + wm * WM + mi * 16 + g + (e >> 1) * 8;
        const i64 n = bn + wn * WN + ni * 8 + 2 * tq + (e & 1);
        if (m < M && n < cfg::N) {
          float v = acc[mi][ni][e];
          if constexpr (cfg::HAS_BIAS) v += act_to_f32(bias[n]);
          y[m * cfg::N + n] = f32_to_act(v);
        }
      }
}
)cuda";

const char *kGemvMmaText = R"cuda(// ---- tensor-core GEMV (bf16, M <= 16, K % 32 == 0) ---------------------------
// mma.sync m16n8k16 with the M activation rows padded to 16: a warp owns 8
// output features (one n8 tile) and a share of K. The k order inside a
// 128-wide k block is permuted so that each lane reads 32 consecutive
// weights of its row (one 16-byte load for 4-bit weights) and the same 32
// activations: for mma j, lane (g, t) supplies logical k slots {2t, 2t+1,
// 2t+8, 2t+9} as physical k 32t + 4j + {0, 1, 2, 3}, identically for A and B,
// and the sum over k does not care. Weights are decoded to bf16 pairs with
// a few integer ops per pair (q_decode8_bf16); the tensor cores do the
// products and the fp32 accumulation. WN warps split N, WK = 8 / WN split
// the k blocks (chosen from N so the grid fills the GPU); the WK partial
// tiles are summed in shared memory in warp order.
namespace tv {
constexpr int WN = cfg::TC_WN, WK = 8 / WN;
constexpr int KB = 128;
constexpr int NKB = (int)((cfg::K + KB - 1) / KB);
// k blocks in flight per warp (their raw weights in registers).
#if VLM_QUANT
constexpr int U = qc::BITS <= 4 ? 6 : 4;
#else
constexpr int U = 4;
#endif
#if VLM_QUANT
struct Run {
  u32 w[qc::BITS];  // 32 codes
  u32 s[2], b[2];   // raw scale/bias of their one or two groups
  bool ok;
};
VLM_DEV void run_load(Run &r, const QMat &q, i64 n, i64 k0, bool ok) {
  r.ok = ok;
  if (!ok) return;
  const u32 *p = q.w + n * Q_ROW_WORDS + k0 * qc::BITS / 32;
  if constexpr (qc::BITS % 4 == 0 && Q_ROW_WORDS % 4 == 0) {
#pragma unroll
    for (int i = 0; i < qc::BITS / 4; ++i) {
      const U4 u = ((const U4 *)p)[i];
      r.w[4 * i] = u.x; r.w[4 * i + 1] = u.y; r.w[4 * i + 2] = u.z; r.w[4 * i + 3] = u.w;
    }
  } else {
#pragma unroll
    for (int i = 0; i < qc::BITS; ++i) r.w[i] = p[i];
  }
  const i64 gi = n * qc::GROUPS + k0 / qc::GROUP;
  r.s[0] = q_raw(q.scales, gi);
  r.b[0] = q_raw_bias(q, gi);
  if constexpr (qc::GROUP < 32) {
    r.s[1] = q_raw(q.scales, gi + 1);
    r.b[1] = q_raw_bias(q, gi + 1);
  }
}
VLM_DEV void run_decode(const Run &r, float wfac, u32 *o) {
  if (!r.ok) {
#pragma unroll
    for (int i = 0; i < 16; ++i) o[i] = 0u;
    return;
  }
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    QRaw8 q8;
    const int bit = i * 8 * qc::BITS, wi = bit >> 5, off = bit & 31;
    u64 win = r.w[wi];
    if (wi + 1 < qc::BITS) win |= (u64)r.w[wi + 1] << 32;
    q8.win = win >> off;
    const int g = qc::GROUP < 32 ? i / 2 : 0;
    q8.s = r.s[g];
    q8.b = r.b[g];
    q_decode8_bf16(q8, wfac, o + 4 * i);
  }
}
#else
struct Run {
  u32 w[16]; // 32 bf16 weights
};
VLM_DEV void run_load(Run &r, const act_t *w, i64 n, i64 k0, bool ok) {
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    U4 u = {0u, 0u, 0u, 0u};
    if (ok) u = ((const U4 *)(w + n * cfg::K + k0))[i];
    r.w[4 * i] = u.x; r.w[4 * i + 1] = u.y; r.w[4 * i + 2] = u.z; r.w[4 * i + 3] = u.w;
  }
}
VLM_DEV void run_decode(const Run &r, float, u32 *o) {
#pragma unroll
  for (int i = 0; i < 16; ++i) o[i] = r.w[i];
}
#endif
// 32 activations of row m from k0 as 16 bf16x2 words (zeros outside).
VLM_DEV void x_load(const act_t *x, i64 m, i64 k0, bool ok, u32 *o) {
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    U4 u = {0u, 0u, 0u, 0u};
    if (ok) u = ((const U4 *)(x + m * cfg::K + k0))[i];
    o[4 * i] = u.x; o[4 * i + 1] = u.y; o[4 * i + 2] = u.z; o[4 * i + 3] = u.w;
  }
}
} // namespace tv

template <int MR> // 8: rows 0-7 only; 16: rows 0-15
__device__ void gemv_mma(const KernelArgs &a, float *red) {
  using namespace tv;
  const act_t *x = (const act_t *)a.p[1];
  act_t *y = (act_t *)a.p[0];
  const i64 M = a.d[0];
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  const int wn = warp % WN, wk = warp / WN;
  const i64 n0 = ((i64)blockIdx.x * WN + wn) * 8;
  const i64 n = n0 + g;
#if VLM_QUANT
  const QMat wsrc = q_matrix(a, 2);
  const float wfac = wsrc.wfac;
#else
  const act_t *wsrc = (const act_t *)a.p[2];
  const float wfac = 1.0f;
#endif
  // One accumulator per k block in flight: independent mma chains.
  float cu[U][4];
#pragma unroll
  for (int u = 0; u < U; ++u)
#pragma unroll
    for (int e = 0; e < 4; ++e) cu[u][e] = 0.0f;
#pragma unroll 1
  for (int kb0 = wk; kb0 < NKB; kb0 += WK * U) {
    // The weights of U k blocks are in flight together (they come from
    // DRAM); the activations, shared by all warps, are L1/L2 hits.
    Run run[U];
#pragma unroll
    for (int u = 0; u < U; ++u) {
      const int kb = kb0 + u * WK;
      const i64 k0 = (i64)kb * KB + 32 * t;
      run_load(run[u], wsrc, n, k0, kb < NKB && k0 < cfg::K && n < cfg::N);
    }
#pragma unroll
    for (int u = 0; u < U; ++u) {
      const int kb = kb0 + u * WK;
      const i64 k0 = (i64)kb * KB + 32 * t;
      const bool ok = kb < NKB && k0 < cfg::K;
      u32 xa[16], xb[16], b[16];
      x_load(x, g, k0, ok && g < M, xa);
      if constexpr (MR > 8) x_load(x, g + 8, k0, ok && g + 8 < M, xb);
      run_decode(run[u], wfac, b);
#pragma unroll
      for (int j = 0; j < 8; ++j) {
        u32 af[4], bf[2];
        af[0] = xa[2 * j];
        af[1] = MR > 8 ? xb[2 * j] : 0u;
        af[2] = xa[2 * j + 1];
        af[3] = MR > 8 ? xb[2 * j + 1] : 0u;
        bf[0] = b[2 * j];
        bf[1] = b[2 * j + 1];
        gm::mma16816(cu[u], af, bf);
      }
    }
  }
  float c[4];
#pragma unroll
  for (int e = 0; e < 4; ++e) {
    c[e] = cu[0][e];
#pragma unroll
    for (int u = 1; u < U; ++u) c[e] += cu[u][e];
  }
  // c: (row g, col 2t), (g, 2t+1), (g+8, 2t), (g+8, 2t+1).
#pragma unroll
  for (int e = 0; e < 4; ++e) red[(warp * 32 + lane) * 4 + e] = c[e];
  __syncthreads();
  const act_t *bias = (const act_t *)a.p[cfg::BIAS_P];
  for (int i = threadIdx.x; i < WN * 128; i += 256) {
    const int tile = i >> 7, m = (i >> 3) & 15, nn = i & 7;
    const int l = (m & 7) * 4 + (nn >> 1), e = (m >> 3) * 2 + (nn & 1);
    float v = 0.0f;
#pragma unroll
    for (int k = 0; k < WK; ++k) v += red[((k * WN + tile) * 32 + l) * 4 + e];
    const i64 col = ((i64)blockIdx.x * WN + tile) * 8 + nn;
    if (m < M && col < cfg::N) {
      if constexpr (cfg::HAS_BIAS) v += act_to_f32(bias[col]);
      y[m * cfg::N + col] = f32_to_act(v);
    }
  }
}
)cuda";

// FFMA GEMM for f32 activations (exact operands; the comparison target).
const char *kGemmFmaText = R"cuda(
// ---- GEMM path (M > 16): FFMA ------------------------------------------------------
namespace gm {
constexpr int TM = cfg::TM, TN = cfg::TN, TK = 32, PAD = 4;
constexpr int NKT = (cfg::K + TK - 1) / TK;
constexpr int AU = TM * TK / 4 / 256; // 4-element units per thread
#if VLM_QUANT
constexpr int BU = TN * TK / 8 / 256; // 8-element units
#else
constexpr int BU = TN * TK / 4 / 256;
#endif
constexpr int A_FLOATS = 2 * TK * (TM + PAD);

VLM_DEV void load4(const act_t *row, i64 k, bool ok, float *v) {
  if (!ok) { v[0] = v[1] = v[2] = v[3] = 0.0f; return; }
  if constexpr (cfg::K % 4 == 0) {
    act_loadv<4>(row + k, v);
  } else {
#pragma unroll
    for (int e = 0; e < 4; ++e) v[e] = k + e < cfg::K ? act_to_f32(row[k + e]) : 0.0f;
  }
}

struct Stage {
  float a[AU][4];
#if VLM_QUANT
  QRaw8 b[BU];
  bool bok[BU];
#else
  float b[BU][4];
#endif
};

template <typename WSrc>
VLM_DEV void load_stage(Stage &s, const act_t *x, const WSrc &w, i64 M, i64 bm, i64 bn, int k0) {
#pragma unroll
  for (int i = 0; i < AU; ++i) {
    const int u = threadIdx.x + 256 * i, row = u >> 3, kc = (u & 7) * 4;
    const i64 m = bm + row;
    load4(x + m * cfg::K, k0 + kc, m < M && k0 + kc < cfg::K, s.a[i]);
  }
#pragma unroll
  for (int i = 0; i < BU; ++i) {
#if VLM_QUANT
    const int u = threadIdx.x + 256 * i, row = u >> 2, kc = (u & 3) * 8;
    const i64 n = bn + row;
    s.bok[i] = n < cfg::N && k0 + kc < cfg::K;
    if (s.bok[i]) s.b[i] = q_load8(w, n, k0 + kc);
#else
    const int u = threadIdx.x + 256 * i, row = u >> 3, kc = (u & 7) * 4;
    const i64 n = bn + row;
    load4(w + n * cfg::K, k0 + kc, n < cfg::N && k0 + kc < cfg::K, s.b[i]);
#endif
  }
}

template <typename WSrc>
VLM_DEV void store_stage(Stage &s, const WSrc &w, float *As, float *Bs, float enc, float dfac) {
#pragma unroll
  for (int i = 0; i < AU; ++i) {
    const int u = threadIdx.x + 256 * i, row = u >> 3, kc = (u & 7) * 4;
#if VLM_QQ
    fake_quant_group<4, qc::GROUP / 4>(s.a[i], enc, dfac);
#endif
#pragma unroll
    for (int e = 0; e < 4; ++e) As[(kc + e) * (TM + PAD) + row] = s.a[i][e];
  }
#pragma unroll
  for (int i = 0; i < BU; ++i) {
#if VLM_QUANT
    const int u = threadIdx.x + 256 * i, row = u >> 2, kc = (u & 3) * 8;
    float v[8];
    if (s.bok[i]) {
      q_decode8(s.b[i], w.wfac, v);
    } else {
#pragma unroll
      for (int e = 0; e < 8; ++e) v[e] = 0.0f;
    }
#pragma unroll
    for (int e = 0; e < 8; ++e) Bs[(kc + e) * (TN + PAD) + row] = v[e];
#else
    const int u = threadIdx.x + 256 * i, row = u >> 3, kc = (u & 7) * 4;
#pragma unroll
    for (int e = 0; e < 4; ++e) Bs[(kc + e) * (TN + PAD) + row] = s.b[i][e];
#endif
  }
}
} // namespace gm

__device__ void gemm_run(const KernelArgs &a, unsigned char *smem, float enc, float dfac) {
  using namespace gm;
  float *As = (float *)smem;            // [2][TK][TM + PAD]
  float *Bs = (float *)smem + A_FLOATS; // [2][TK][TN + PAD]
  const act_t *x = (const act_t *)a.p[1];
  act_t *y = (act_t *)a.p[0];
  const i64 M = a.d[0];
  const i64 bm = (i64)blockIdx.y * TM, bn = (i64)blockIdx.x * TN;
  const int ty = threadIdx.x >> 4, tx = threadIdx.x & 15;
#if VLM_QUANT
  const QMat w = q_matrix(a, 2);
#else
  const act_t *w = (const act_t *)a.p[2];
#endif
  float acc[4][4];
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j) acc[i][j] = 0.0f;

  Stage s;
  load_stage(s, x, w, M, bm, bn, 0);
  store_stage(s, w, As, Bs, enc, dfac);
  __syncthreads();
#pragma unroll 1
  for (int kt = 0; kt < NKT; ++kt) {
    const int cur = kt & 1;
    if (kt + 1 < NKT) load_stage(s, x, w, M, bm, bn, (kt + 1) * TK);
    const float *A = As + cur * TK * (TM + PAD);
    const float *B = Bs + cur * TK * (TN + PAD);
#pragma unroll 8
    for (int k = 0; k < TK; ++k) {
      const F4 av = *(const F4 *)(A + k * (TM + PAD) + ty * 4);
      const F4 bv = *(const F4 *)(B + k * (TN + PAD) + tx * 4);
      const float ar[4] = {av.x, av.y, av.z, av.w}, br[4] = {bv.x, bv.y, bv.z, bv.w};
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(ar[i], br[j], acc[i][j]);
    }
    if (kt + 1 < NKT)
      store_stage(s, w, As + (cur ^ 1) * TK * (TM + PAD), Bs + (cur ^ 1) * TK * (TN + PAD), enc,
                  dfac);
    __syncthreads();
  }

  const act_t *bias = (const act_t *)a.p[cfg::BIAS_P];
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const i64 m = bm + ty * 4 + i, n = bn + tx * 4 + j;
      if (m < M && n < cfg::N) {
        float v = acc[i][j];
        if constexpr (cfg::HAS_BIAS) v += act_to_f32(bias[n]);
        y[m * cfg::N + n] = f32_to_act(v);
      }
    }
}
)cuda";

const char *kEntryText = R"cuda(
{
  extern __shared__ U4 vlm_smem[];
  unsigned char *smem = (unsigned char *)vlm_smem;
  const i64 M = a.d[0];
  float enc = 1.0f, dfac = 1.0f;
#if VLM_QQ_GLOBAL
  // The activations' own global scale: their absmax (1 when all zero).
  u32 *ws = (u32 *)a.p[7];
  float g = global_amax<256>((const act_t *)a.p[1], M * cfg::K, ws);
  if (g == 0.0f) g = 1.0f;
  enc = __fdiv_rn(448.0f * 6.0f, g);
  dfac = __fdiv_rn(g, 448.0f * 6.0f);
#endif
  if (M <= 16) {
#if VLM_QQ
    float *xs = (float *)smem;
    if (M <= 1) gemv_staged<1>(a, xs, enc, dfac);
    else if (M <= 2) gemv_staged<2>(a, xs, enc, dfac);
    else if (M <= 4) gemv_staged<4>(a, xs, enc, dfac);
    else if (M <= 8) gemv_staged<8>(a, xs, enc, dfac);
    else gemv_staged<16>(a, xs, enc, dfac);
#elif VLM_TC_GEMV
    float *red = (float *)smem;
    if (M <= 8) gemv_mma<8>(a, red);
    else gemv_mma<16>(a, red);
#else
    if (M <= 1) gemv_direct<1>(a);
    else if (M <= 2) gemv_direct<2>(a);
    else if (M <= 4) gemv_direct<4>(a);
    else if (M <= 8) gemv_direct<8>(a);
    else gemv_direct<16>(a);
#endif
  } else {
    gemm_run(a, smem, enc, dfac);
  }
#if VLM_QQ_GLOBAL
  global_amax_exit(ws);
#endif
}
)cuda";

// Largest power of two <= cap dividing v.
int64_t pow2Divisor(int64_t v, int64_t cap) {
  int64_t p = 1;
  while (p * 2 <= cap && v % (p * 2) == 0)
    p *= 2;
  return p;
}

} // namespace

Result<KernelSource> generateMatmul(const OpDesc &desc) {
  VLMC_RETURN_IF_ERROR(requireDtype(desc));
  VLMC_RETURN_IF_ERROR(requirePositive(desc, "K", desc.k));
  VLMC_RETURN_IF_ERROR(requirePositive(desc, "N", desc.n));
  const bool quantized = desc.code != fb::OpCode::Matmul;
  const bool qq = desc.code == fb::OpCode::QQMatmul;
  const bool bf16 = desc.dtype == fb::DType::BF16;
  if (quantized)
    VLMC_RETURN_IF_ERROR(validateQuant(desc, desc.k));
  if (qq && desc.quant.mode != fb::QuantMode::Mxfp8 && desc.quant.mode != fb::QuantMode::Nvfp4)
    return invalidArgument(std::string("codegen: QQMatmul: activation quantization is not "
                                       "supported for mode ") +
                           quantModeName(desc.quant.mode) + " (supported: mxfp8, nvfp4)");
  if (desc.k >= (int64_t(1) << 31) || desc.n >= (int64_t(1) << 31))
    return invalidArgument("codegen: matmul dims must be below 2^31");

  const int64_t actVec = bf16 ? 8 : 4;
  // GEMV lane chunk: 32 quantized weights (16 for nvfp4 rows of 16k + 16),
  // or one 16-byte vector of float weights (smaller when K is odd-sized).
  int64_t chunk, align = 1;
  if (quantized) {
    chunk = desc.k % 32 == 0 ? 32 : 16;
    const int64_t words = chunk * desc.quant.bits / 32;
    const int64_t rowWords = desc.k * desc.quant.bits / 32;
    if (words % 4 == 0 && rowWords % 4 == 0)
      align = 4;
    else if (words % 2 == 0 && rowWords % 2 == 0)
      align = 2;
  } else {
    chunk = pow2Divisor(desc.k, actVec);
  }
  const int64_t stageVec = pow2Divisor(desc.k, actVec);

  // bf16 decode products (not QQMatmul, whose staged path fake-quantizes x
  // once per block) run on tensor cores when K is a multiple of 32: WN warps
  // along N, the others along K. WN is the largest that keeps >= 528 blocks
  // (measured on H200: the GEMV is issue-bound at the two blocks per SM the
  // shared register budget allows, and many short blocks beat one wave of
  // long ones).
  const bool tcGemv = bf16 && !qq && desc.k % 32 == 0;
  int tcWn = 8;
  const int64_t n8 = (desc.n + 7) / 8;
  while (tcWn > 1 && (n8 + tcWn - 1) / tcWn < 528)
    tcWn /= 2;

  KernelSource ks;
  ks.grid = fb::GridKind::Tiles;
  ks.block = kBlock;
  ks.rowsPerBlock = tcGemv ? 8 * tcWn : 16; // output features per GEMV block
  const bool mma = bf16;
  // 64x64 tiles (more blocks for narrow outputs) take K in steps of 64 so
  // that each barrier still covers enough tensor-core work.
  int tileK = 32;
  if (mma) {
    const int t = desc.n >= 2048 ? 128 : 64;
    ks.tileM = t;
    ks.tileN = t;
    tileK = t == 64 ? 64 : 32;
  } else {
    ks.tileM = 64;
    ks.tileN = 64;
  }
  // GEMV: gv::MS x gv::KT floats (staged path; the tensor-core GEMV's
  // reduction needs 4 KiB of it).
  const int gemvBytes = 8 * 1024 * 4;
  const int gemmBytes = mma ? 2 * (ks.tileM + ks.tileN) * (tileK + 8) * 2
                            : 2 * 32 * (ks.tileM + 4 + ks.tileN + 4) * 4;
  ks.sharedBytes = gemvBytes > gemmBytes ? gemvBytes : gemmBytes;

  const char *op = desc.code == fb::OpCode::Matmul    ? "matmul"
                   : desc.code == fb::OpCode::QMatmul ? "qmatmul"
                                                      : "qqmatmul";
  ks.name = std::string("vlm_") + op + (quantized ? "_" + quantTag(desc.quant) : "") + "_k" +
            std::to_string(desc.k) + "_n" + std::to_string(desc.n) +
            (desc.hasBias ? "_bias" : "") + "_" + dtypeTag(desc.dtype);

  std::string s = prelude(desc.dtype);
  s += std::string("#define VLM_QUANT ") + (quantized ? "1" : "0") + "\n";
  s += std::string("#define VLM_QQ ") + (qq ? "1" : "0") + "\n";
  s += std::string("#define VLM_QQ_GLOBAL ") + (qq && desc.quant.globalScale ? "1" : "0") + "\n";
  s += std::string("#define VLM_TC_GEMV ") + (tcGemv ? "1" : "0") + "\n";
  s += "namespace cfg {\n";
  s += constant("i64", "K", desc.k);
  s += constant("i64", "N", desc.n);
  s += constant("HAS_BIAS", desc.hasBias);
  // The Linear bias operand: Matmul (x, w, bias); quantized (x, w, scales,
  // biases, global_scale, bias).
  s += constant("int", "BIAS_P", quantized ? 6 : 3);
  s += constant("int", "GEMV_C", chunk);
  s += constant("int", "GEMV_AL", align);
  s += constant("int", "GEMV_SV", stageVec);
  s += constant("int", "TM", ks.tileM);
  s += constant("int", "TN", ks.tileN);
  s += constant("int", "TK", tileK);
  s += constant("int", "TC_WN", tcWn);
  s += "} // namespace cfg\n";
  if (quantized)
    s += quantHelpers(desc, desc.k);
  if (qq)
    s += activationQuantHelpers(desc);
  s += kGemvText;
  s += mma ? kGemmMmaText : kGemmFmaText;
  if (tcGemv)
    s += kGemvMmaText;
  // Two blocks per SM (<= 128 registers): the GEMV paths live on occupancy.
  s += entry(ks.name, ks.block, 2);
  s += kEntryText;
  ks.source = std::move(s);
  return ks;
}

} // namespace vlmc::codegen::detail
