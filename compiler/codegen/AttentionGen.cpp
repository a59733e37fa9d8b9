// Attention: out[Sq, Hq, D] = softmax(q . k^T * scale) . v per query and
// head, GQA (head h reads kv head h / (Hq / Hkv)), keys limited to the
// kv_length prefix of a preallocated cache, causal and/or block-diagonal
// (segment starts) masks -- cpu::attention's semantics. Two paths chosen by
// the run-time Sq (KernelAbi.h, QueryHeads):
//
// * Sq <= 16 (decode): a block per (key split of 128, GB query heads, query),
//   GB = Kernel.tile_n dividing the kv head's group (1 today: the blocks of
//   a group read the same K/V rows, mostly from L2). Each warp takes 32 keys
//   at a time with the lanes splitting the head dim: the V rows go to shared
//   memory by cp.async while the K rows come into registers, so a batch
//   costs one DRAM round trip (a lane per key, with dependent V loads after
//   the scores, took several). A transposing butterfly leaves key j's score
//   in lane j. Warps and splits
//   combine their (max, sum, output) online-softmax states; the last split
//   block to finish (an atomic ticket in the workspace) merges the splits in
//   split order, so results are deterministic. Splits are planned over the
//   cache rows T, not kv_length, so a captured graph stays valid as the
//   context grows; only the splits holding visible keys (derived on the
//   device from kv_length) take part, the others return at once.
// * Sq > 16 (prefill): flash-attention style. A block holds 32 queries of one
//   head (4 threads per query, each owning a quarter of the head dim), walks
//   the block's visible key range in tiles of 32 keys staged in shared
//   memory as f32, and keeps an online softmax per query. In bf16 with a head
//   dim of whole 16-element MMA steps (up to 128) the prefill runs on tensor
//   cores instead (kMmaPrefillText; 64 queries per block).
//
// fp32 throughout (scores, softmax, accumulation; the tensor-core prefill
// rounds P to bf16 for P.V); expf for the exponentials. Output = acc * (1 / sum) as in the reference.
#include "Internal.h"

#include <algorithm>

namespace vlmc::codegen::detail {
namespace {

const char *kCommonText = R"cuda(
#define VLM_NEG_INF __uint_as_float(0xFF800000u)

VLM_DEV float ld_cg(const float *p) {
  float v;
  asm volatile("ld.global.cg.f32 %0, [%1];" : "=f"(v) : "l"(p));
  return v;
}

VLM_DEV i64 read_scalar(const void *p, bool is64) {
  return is64 ? *(const i64 *)p : (i64)*(const int *)p;
}

// Visible keys [lo, hi) of query i (cpu::attention).
VLM_DEV void key_range(i64 i, i64 Sq, i64 kvLen, const int *seg, i64 nseg, i64 &lo, i64 &hi) {
  lo = 0;
  hi = kvLen;
  if constexpr (cfg::SEGMENTS) {
    // The segment holding i: the last start <= i.
    i64 l = 0, r = nseg;
    while (l < r) {
      const i64 mid = (l + r) >> 1;
      if ((i64)seg[mid] <= i) l = mid + 1;
      else r = mid;
    }
    lo = l > 0 ? seg[l - 1] : 0;
    hi = l == nseg ? kvLen : seg[l];
  }
  if constexpr (cfg::CAUSAL) {
    const i64 c = kvLen - Sq + i + 1;
    if (c < hi) hi = c;
  }
}

VLM_DEV i64 kv_length(const KernelArgs &a) {
  if constexpr (cfg::KVLEN) return read_scalar(a.p[5], a.d[4] != 0);
  else return a.d[1];
}
)cuda";

const char *kDecodeText = R"cuda(
// ---- decode path (Sq <= 16) ------------------------------------------------------
namespace ad {
constexpr int NW = 4, SK = 128; // warps; keys per split (== kAttentionSplitKeys): a batch of 32 per warp
constexpr int E2 = cfg::E2, DL = cfg::DL; // lane dims: (lane + 32 dl) * E2 + [0, E2)
// G here: the query heads of one block (cfg::GB), a share of the kv head's
// group of cfg::G.
constexpr int G = cfg::GB, D = cfg::D;
// K rows loaded per round into registers (raw, KG * DL * E2 activations per
// lane, at most 256 bytes); V rows staged per round into the warp's shared
// chunk (cp.async). Both are 32 for bf16 head dims up to 128: one round.
constexpr int KG = cfg::KG, VC = cfg::VC;
constexpr int P_FLOATS = NW * G * 32, ML_FLOATS = NW * G * 2, O_FLOATS = NW * G * D;
constexpr int PIECE = cfg::PIECE, PIECES = D * (int)sizeof(act_t) / PIECE; // per V row
}

VLM_DEV void cp_async_piece(void *dst, const void *src) {
  const u32 s = (u32)__cvta_generic_to_shared(dst);
  if constexpr (ad::PIECE == 16)
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(s), "l"(src));
  else
    asm volatile("cp.async.ca.shared.global [%0], [%1], %2;\n" ::"r"(s), "l"(src), "n"(ad::PIECE));
}

// Rows [j0, j0 + n) of the kv head's V into the warp's chunk (row-major).
VLM_DEV void stage_v(act_t *dst, const act_t *v, i64 j0, int n, int kvh, int lane) {
  using namespace ad;
  for (int u = lane; u < n * PIECES; u += 32) {
    const int r = u / PIECES, c = u % PIECES;
    cp_async_piece((char *)(dst + r * D) + c * PIECE,
                   (const char *)(v + ((j0 + r) * cfg::HKV + kvh) * D) + c * PIECE);
  }
  asm volatile("cp.async.commit_group;\n" ::: "memory");
}

template <int N> VLM_DEV void act_copyv(const act_t *src, act_t *dst) {
  constexpr int BYTES = N * (int)sizeof(act_t);
  if constexpr (BYTES >= 16) {
#pragma unroll
    for (int q = 0; q < BYTES / 16; ++q) ((U4 *)dst)[q] = ((const U4 *)src)[q];
  } else if constexpr (BYTES == 8) {
    *(U2 *)dst = *(const U2 *)src;
  } else if constexpr (BYTES == 4) {
    *(u32 *)dst = *(const u32 *)src;
  } else {
    dst[0] = src[0];
  }
}

// One butterfly step of transpose_sum: lanes with bit W set keep the upper
// W of their 2W values, the others the lower W, and add the partner's.
template <int W> VLM_DEV void transpose_step(float (&v)[32], int lane) {
  // A bit mask, not a conditional: the compiler turns a conditional over
  // the array elements into an address select and the array into local
  // memory.
  const u32 upper = (lane & W) != 0 ? 0xFFFFFFFFu : 0u;
#pragma unroll
  for (int r = 0; r < W; ++r) {
    const u32 x = __float_as_uint(v[r]), y = __float_as_uint(v[r + W]);
    const float send = __uint_as_float((x & upper) | (y & ~upper));
    const float keep = __uint_as_float((y & upper) | (x & ~upper));
    v[r] = keep + __shfl_xor_sync(0xFFFFFFFFu, send, W);
  }
  if constexpr (W > 1) transpose_step<W / 2>(v, lane);
}

// Lane l holds v[0..32) of its own; returns the sum over the warp of v[lane]
// (31 shuffles: each step halves the values a lane keeps).
VLM_DEV float transpose_sum(float (&v)[32], int lane) {
  transpose_step<16>(v, lane);
  return v[0];
}

__device__ void attn_decode(const KernelArgs &a, float *sm) {
  using namespace ad;
  float *ps = sm, *mls = ps + P_FLOATS, *os = mls + ML_FLOATS;
  act_t *vs = (act_t *)(os + O_FLOATS) + (threadIdx.x >> 5) * VC * D;
  __shared__ int s_last;
  const i64 Sq = a.d[0], nseg = a.d[2], splits = a.d[3];
  const float scale = a.f[0];
  // Block y takes query heads [hb * G, hb * G + G), all of one kv head.
  const int split = blockIdx.x, hb = blockIdx.y, kvh = hb * G / cfg::G;
  const i64 i = blockIdx.z;
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const act_t *q = (const act_t *)a.p[1], *k = (const act_t *)a.p[2], *v = (const act_t *)a.p[3];
  act_t *out = (act_t *)a.p[0];
  i64 lo, hi;
  key_range(i, Sq, kv_length(a), (const int *)a.p[4], nseg, lo, hi);
  // Only the splits holding visible keys take part (every block derives
  // the same range from kv_length); the others leave at once, so short
  // contexts in a large cache cost what they read.
  i64 sFirst = lo / SK, sEnd = (hi + SK - 1) / SK;
  if (sEnd <= sFirst) { // no visible key: split sFirst writes zeros
    sEnd = sFirst + 1;
  }
  if (split < sFirst || split >= sEnd || split >= splits) return;
  const i64 active = (sEnd < splits ? sEnd : splits) - sFirst;
  const i64 s0 = lo > (i64)split * SK ? lo : (i64)split * SK;
  const i64 s1 = hi < (i64)split * SK + SK ? hi : (i64)split * SK + SK;
  // The group's heads are consecutive in q's row; each lane keeps its dims.
  const i64 qbase = (i * cfg::HQ + (i64)hb * G) * D;
  float qv[G][DL][E2], m[G], l[G], o[G][DL][E2];
#pragma unroll
  for (int hh = 0; hh < G; ++hh) {
    m[hh] = VLM_NEG_INF;
    l[hh] = 0.0f;
#pragma unroll
    for (int dl = 0; dl < DL; ++dl) {
      const int d = (lane + 32 * dl) * E2;
      if (D % (32 * E2) == 0 || d < D) {
        act_loadv<E2>(q + qbase + hh * D + d, qv[hh][dl]);
      } else {
#pragma unroll
        for (int e = 0; e < E2; ++e) qv[hh][dl][e] = 0.0f;
      }
#pragma unroll
      for (int e = 0; e < E2; ++e) o[hh][dl][e] = 0.0f;
    }
  }

  // A warp takes 32 keys at a time. Its V rows are copied to shared memory
  // asynchronously while the K rows come into registers with the lanes
  // splitting the head dim (coalesced rows); all of it is in flight at once,
  // so a batch costs about one DRAM round trip.
  for (i64 kb = s0 + warp * 32; kb < s1; kb += NW * 32) {
    const int nk = s1 - kb < 32 ? (int)(s1 - kb) : 32;
    stage_v(vs, v, kb, nk < VC ? nk : VC, kvh, lane);
    float part[G][32];
#pragma unroll
    for (int g0 = 0; g0 < 32; g0 += KG) {
      act_t kr[KG][DL][E2];
#pragma unroll
      for (int r = 0; r < KG; ++r)
#pragma unroll
        for (int dl = 0; dl < DL; ++dl) {
          const int d = (lane + 32 * dl) * E2;
          if (g0 + r < nk && (D % (32 * E2) == 0 || d < D)) {
            act_copyv<E2>(k + ((kb + g0 + r) * cfg::HKV + kvh) * D + d, kr[r][dl]);
          } else {
#pragma unroll
            for (int e = 0; e < E2; ++e) kr[r][dl][e] = (act_t)0;
          }
        }
#pragma unroll
      for (int r = 0; r < KG; ++r)
#pragma unroll
        for (int hh = 0; hh < G; ++hh) {
          float s = 0.0f;
#pragma unroll
          for (int dl = 0; dl < DL; ++dl)
#pragma unroll
            for (int e = 0; e < E2; ++e) s = fmaf(qv[hh][dl][e], act_to_f32(kr[r][dl][e]), s);
          part[hh][g0 + r] = s;
        }
    }
    // Online softmax per head over the warp's 32 keys: lane j owns key kb + j.
    const bool ok = lane < nk;
#pragma unroll
    for (int hh = 0; hh < G; ++hh) {
      const float sc = transpose_sum(part[hh], lane);
      const float sv = ok ? __fmul_rn(sc, scale) : VLM_NEG_INF;
      const float mn = fmaxf(m[hh], warp_max(sv));
      float p = 0.0f, alpha = 1.0f;
      if (mn != VLM_NEG_INF) {
        alpha = expf(m[hh] - mn);
        p = expf(sv - mn);
      }
      l[hh] = fmaf(l[hh], alpha, warp_sum(p));
      m[hh] = mn;
#pragma unroll
      for (int dl = 0; dl < DL; ++dl)
#pragma unroll
        for (int e = 0; e < E2; ++e) o[hh][dl][e] *= alpha;
      ps[(warp * G + hh) * 32 + lane] = p;
    }
    // P.V over the staged rows, keys in order; lanes split the head dim.
    for (int c0 = 0; c0 < nk; c0 += VC) {
      const int nc = nk - c0 < VC ? nk - c0 : VC;
      if (c0 > 0) {
        __syncwarp(); // the previous chunk is consumed
        stage_v(vs, v, kb + c0, nc, kvh, lane);
      }
      asm volatile("cp.async.wait_all;\n" ::: "memory");
      __syncwarp();
#pragma unroll 8
      for (int rr = 0; rr < nc; ++rr) {
#pragma unroll
        for (int dl = 0; dl < DL; ++dl) {
          const int d = (lane + 32 * dl) * E2;
          if (D % (32 * E2) == 0 || d < D) {
            float vv[E2];
            act_loadv<E2>(vs + rr * D + d, vv);
#pragma unroll
            for (int hh = 0; hh < G; ++hh) {
              const float p = ps[(warp * G + hh) * 32 + c0 + rr];
#pragma unroll
              for (int e = 0; e < E2; ++e) o[hh][dl][e] = fmaf(p, vv[e], o[hh][dl][e]);
            }
          }
        }
      }
    }
    __syncwarp();
  }

  // Combine the warps (fixed order).
#pragma unroll
  for (int hh = 0; hh < G; ++hh) {
    if (lane == 0) {
      mls[(warp * G + hh) * 2] = m[hh];
      mls[(warp * G + hh) * 2 + 1] = l[hh];
    }
#pragma unroll
    for (int dl = 0; dl < DL; ++dl)
#pragma unroll
      for (int e = 0; e < E2; ++e) {
        const int d = (lane + 32 * dl) * E2 + e;
        if (D % (32 * E2) == 0 || d < D) os[(warp * G + hh) * D + d] = o[hh][dl][e];
      }
  }
  __syncthreads();
  const bool single = active == 1;
  float *part = (float *)((char *)a.p[7] + 4096); // after the counters
  for (int u = threadIdx.x; u < G * D; u += NW * 32) {
    const int hh = u / D, d = u % D;
    float M = VLM_NEG_INF;
#pragma unroll
    for (int w = 0; w < NW; ++w) M = fmaxf(M, mls[(w * G + hh) * 2]);
    float O = 0.0f, L = 0.0f;
    if (M != VLM_NEG_INF) {
#pragma unroll
      for (int w = 0; w < NW; ++w) {
        const float f = expf(mls[(w * G + hh) * 2] - M);
        O = fmaf(os[(w * G + hh) * D + d], f, O);
        L = fmaf(mls[(w * G + hh) * 2 + 1], f, L);
      }
    }
    if (single) {
      out[qbase + u] = f32_to_act(L > 0.0f ? __fmul_rn(O, __fdiv_rn(1.0f, L)) : 0.0f);
    } else {
      float *pp = part + ((i * cfg::HQ + (i64)hb * G + hh) * splits + split) * (D + 2);
      pp[2 + d] = O;
      if (d == 0) {
        pp[0] = M;
        pp[1] = L;
      }
    }
  }
  if (single) return;

  // The last split block of this (query, kv head) merges all splits.
  __threadfence();
  __syncthreads();
  u32 *counter = (u32 *)a.p[7] + 8 + i * (cfg::HQ / G) + hb;
  if (threadIdx.x == 0) s_last = atomicAdd(counter, 1u) == (u32)(active - 1);
  __syncthreads();
  if (!s_last) return;
  __threadfence();
  // Partials of other blocks: L2 loads (ld.global.cg, never a stale L1
  // line), 8 splits per step so the loads overlap, merged in one pass with
  // online rescaling (a typical context is one step).
  for (int u = threadIdx.x; u < G * D; u += NW * 32) {
    const int hh = u / D, d = u % D;
    const float *pp = part + (i * cfg::HQ + (i64)hb * G + hh) * splits * (D + 2);
    float M = VLM_NEG_INF, O = 0.0f, L = 0.0f;
    for (i64 s = sFirst; s < sFirst + active; s += 8) {
      float m8[8], l8[8], o8[8];
#pragma unroll
      for (int q = 0; q < 8; ++q) {
        const bool in = s + q < sFirst + active;
        const float *ps = pp + (s + q) * (D + 2);
        m8[q] = in ? ld_cg(ps) : VLM_NEG_INF;
        l8[q] = in ? ld_cg(ps + 1) : 0.0f;
        o8[q] = in ? ld_cg(ps + 2 + d) : 0.0f;
      }
      float mc = M;
#pragma unroll
      for (int q = 0; q < 8; ++q) mc = fmaxf(mc, m8[q]);
      if (mc == VLM_NEG_INF) continue;
      const float r = expf(M - mc);
      O *= r;
      L *= r;
#pragma unroll
      for (int q = 0; q < 8; ++q) {
        const float f = expf(m8[q] - mc);
        O = fmaf(o8[q], f, O);
        L = fmaf(l8[q], f, L);
      }
      M = mc;
    }
    out[qbase + u] = f32_to_act(L > 0.0f ? __fmul_rn(O, __fdiv_rn(1.0f, L)) : 0.0f);
  }
  if (threadIdx.x == 0) *counter = 0u; // ready for the next launch
}
)cuda";

const char *kPrefillText = R"cuda(
// ---- prefill path (Sq > 16) --------------------------------------------------------
namespace ap {
constexpr int BQ = 32, BK = cfg::BK, D = cfg::D;
constexpr int ND4 = D / 4;            // float4 slots of a head row
constexpr int SPL = (ND4 + 3) / 4;    // slots per thread: part p owns p, p+4, ...
constexpr int UPR = D / cfg::VW;      // staging vectors per key row
}

__device__ void attn_prefill(const KernelArgs &a, float *sm) {
  using namespace ap;
  float *Ks = sm, *Vs = sm + BK * D;
  const i64 Sq = a.d[0], nseg = a.d[2];
  const float scale = a.f[0];
  const int h = blockIdx.y, kvh = h / cfg::G;
  const i64 q0 = (i64)blockIdx.x * BQ;
  const int qi = threadIdx.x >> 2, part = threadIdx.x & 3;
  const i64 i = q0 + qi;
  const bool qok = i < Sq;
  const act_t *q = (const act_t *)a.p[1], *k = (const act_t *)a.p[2], *v = (const act_t *)a.p[3];
  const int *seg = (const int *)a.p[4];
  const i64 kvLen = kv_length(a);
  i64 lo = 0, hi = 0, blo, bhi, unused;
  if (qok) key_range(i, Sq, kvLen, seg, nseg, lo, hi);
  // lo and hi never decrease with i: the block's keys span from its first
  // query's lo to its last query's hi.
  key_range(q0, Sq, kvLen, seg, nseg, blo, unused);
  key_range((q0 + BQ < Sq ? q0 + BQ : Sq) - 1, Sq, kvLen, seg, nseg, unused, bhi);

  float qv[SPL][4], o[SPL][4];
#pragma unroll
  for (int s = 0; s < SPL; ++s) {
    const int slot = part + 4 * s;
    if (qok && (ND4 % 4 == 0 || slot < ND4)) {
      act_loadv<4>(q + (i * cfg::HQ + h) * D + slot * 4, qv[s]);
    } else {
#pragma unroll
      for (int e = 0; e < 4; ++e) qv[s][e] = 0.0f;
    }
#pragma unroll
    for (int e = 0; e < 4; ++e) o[s][e] = 0.0f;
  }
  float m = VLM_NEG_INF, l = 0.0f;

  for (i64 kb = blo; kb < bhi; kb += BK) {
    __syncthreads(); // the previous tile is consumed
    for (int u = threadIdx.x; u < BK * UPR; u += 128) {
      const int r = u / UPR, c = (u % UPR) * cfg::VW;
      const i64 j = kb + r;
      float kv[cfg::VW], vv[cfg::VW];
      if (j < bhi) {
        act_loadv<cfg::VW>(k + (j * cfg::HKV + kvh) * D + c, kv);
        act_loadv<cfg::VW>(v + (j * cfg::HKV + kvh) * D + c, vv);
      } else {
#pragma unroll
        for (int e = 0; e < cfg::VW; ++e) kv[e] = vv[e] = 0.0f;
      }
#pragma unroll
      for (int e = 0; e < cfg::VW; ++e) {
        Ks[r * D + c + e] = kv[e];
        Vs[r * D + c + e] = vv[e];
      }
    }
    __syncthreads();

    float s[BK];
    float mt = VLM_NEG_INF;
#pragma unroll
    for (int r = 0; r < BK; ++r) {
      float d = 0.0f;
#pragma unroll
      for (int sl = 0; sl < SPL; ++sl) {
        const int slot = part + 4 * sl;
        if (ND4 % 4 == 0 || slot < ND4) {
          const F4 kf = *(const F4 *)(Ks + r * D + slot * 4);
          d = fmaf(qv[sl][0], kf.x, d);
          d = fmaf(qv[sl][1], kf.y, d);
          d = fmaf(qv[sl][2], kf.z, d);
          d = fmaf(qv[sl][3], kf.w, d);
        }
      }
      d += __shfl_xor_sync(0xFFFFFFFFu, d, 1);
      d += __shfl_xor_sync(0xFFFFFFFFu, d, 2);
      const i64 j = kb + r;
      s[r] = j >= lo && j < hi ? __fmul_rn(d, scale) : VLM_NEG_INF;
      mt = fmaxf(mt, s[r]);
    }
    const float mn = fmaxf(m, mt);
    if (mn != VLM_NEG_INF) {
      const float alpha = expf(m - mn);
      l *= alpha;
#pragma unroll
      for (int sl = 0; sl < SPL; ++sl)
#pragma unroll
        for (int e = 0; e < 4; ++e) o[sl][e] *= alpha;
#pragma unroll
      for (int r = 0; r < BK; ++r) {
        const float p = expf(s[r] - mn);
        l += p;
#pragma unroll
        for (int sl = 0; sl < SPL; ++sl) {
          const int slot = part + 4 * sl;
          if (ND4 % 4 == 0 || slot < ND4) {
            const F4 vf = *(const F4 *)(Vs + r * D + slot * 4);
            o[sl][0] = fmaf(p, vf.x, o[sl][0]);
            o[sl][1] = fmaf(p, vf.y, o[sl][1]);
            o[sl][2] = fmaf(p, vf.z, o[sl][2]);
            o[sl][3] = fmaf(p, vf.w, o[sl][3]);
          }
        }
      }
      m = mn;
    }
  }
  if (!qok) return;
  const float inv = l > 0.0f ? __fdiv_rn(1.0f, l) : 0.0f;
  act_t *out = (act_t *)a.p[0] + (i * cfg::HQ + h) * D;
#pragma unroll
  for (int sl = 0; sl < SPL; ++sl) {
    const int slot = part + 4 * sl;
    if (ND4 % 4 == 0 || slot < ND4) {
      float r[4];
#pragma unroll
      for (int e = 0; e < 4; ++e) r[e] = __fmul_rn(o[sl][e], inv);
      act_storev<4>(out + slot * 4, r);
    }
  }
}
)cuda";

// Prefill on tensor cores (bf16, D % 16 == 0, D <= 128): a block holds 64
// queries of one head, a warp 16 of them. S = Q.K^T and O += P.V are
// m16n8k16 bf16 MMAs with fp32 accumulation (the products of bf16 inputs are
// exact); P is rounded to bf16 for the second product, as flash attention
// does. K tiles of 64 keys are staged row-major and V tiles transposed, rows
// padded by 8 elements so the fragment loads hit 32 distinct banks. The
// score fragment of S is the A fragment of P.V, so P never leaves registers.
const char *kMmaPrefillText = R"cuda(
// ---- prefill path on tensor cores -------------------------------------------------
namespace am {
constexpr int BQ = 64, BK = 64, D = cfg::D;
constexpr int KS = D / 16;  // k-steps of q.k
constexpr int NT = BK / 8;  // 8-key tiles of the scores
constexpr int DT = D / 8;   // 8-column tiles of the output
constexpr int KROW = D + 8; // padded K tile row (bf16 elements)
constexpr int VROW = BK + 8; // padded transposed-V tile row
constexpr int VPR = D / 8;  // 16-byte vectors per key row
}

VLM_DEV void mma_bf16(float *c, const u32 *a, u32 b0, u32 b1) {
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
               "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
               : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

VLM_DEV u32 pack_bf16(float lo, float hi) { return f32_to_bf16(lo) | (f32_to_bf16(hi) << 16); }

__device__ void attn_prefill_mma(const KernelArgs &a, float *sm) {
  using namespace am;
  u16 *Ks = (u16 *)sm, *Vt = Ks + BK * KROW;
  const i64 Sq = a.d[0], nseg = a.d[2];
  const float scale = a.f[0];
  const int h = blockIdx.y, kvh = h / cfg::G;
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, c = lane & 3;
  const i64 q0 = (i64)blockIdx.x * BQ;
  const i64 r0 = q0 + warp * 16 + g, r1 = r0 + 8; // this thread's two query rows
  const u16 *q = (const u16 *)a.p[1], *k = (const u16 *)a.p[2], *v = (const u16 *)a.p[3];
  const int *seg = (const int *)a.p[4];
  const i64 kvLen = kv_length(a);
  i64 lo0 = 0, hi0 = 0, lo1 = 0, hi1 = 0, blo, bhi, unused;
  if (r0 < Sq) key_range(r0, Sq, kvLen, seg, nseg, lo0, hi0);
  if (r1 < Sq) key_range(r1, Sq, kvLen, seg, nseg, lo1, hi1);
  key_range(q0, Sq, kvLen, seg, nseg, blo, unused);
  key_range((q0 + BQ < Sq ? q0 + BQ : Sq) - 1, Sq, kvLen, seg, nseg, unused, bhi);

  u32 qa[KS][4];
#pragma unroll
  for (int ks = 0; ks < KS; ++ks) {
    const int col = ks * 16 + 2 * c;
    const u16 *q0row = q + (r0 * cfg::HQ + h) * D + col, *q1row = q + (r1 * cfg::HQ + h) * D + col;
    qa[ks][0] = r0 < Sq ? *(const u32 *)q0row : 0u;
    qa[ks][1] = r1 < Sq ? *(const u32 *)q1row : 0u;
    qa[ks][2] = r0 < Sq ? *(const u32 *)(q0row + 8) : 0u;
    qa[ks][3] = r1 < Sq ? *(const u32 *)(q1row + 8) : 0u;
  }
  float o[DT][4];
#pragma unroll
  for (int t = 0; t < DT; ++t) o[t][0] = o[t][1] = o[t][2] = o[t][3] = 0.0f;
  float m0 = VLM_NEG_INF, m1 = VLM_NEG_INF, l0 = 0.0f, l1 = 0.0f;

  for (i64 kb = blo; kb < bhi; kb += BK) {
    __syncthreads(); // the previous tile is consumed
    for (int u = threadIdx.x; u < BK * VPR; u += 128) {
      const int r = u / VPR, col = (u % VPR) * 8;
      const i64 j = kb + r;
      U4 kv = {0u, 0u, 0u, 0u};
      if (j < bhi) kv = *(const U4 *)(k + (j * cfg::HKV + kvh) * D + col);
      *(U4 *)(Ks + r * KROW + col) = kv;
    }
    // V transposed; consecutive threads take consecutive keys, so the 2-byte
    // stores of a warp fill 16 distinct words.
    for (int u = threadIdx.x; u < BK * VPR; u += 128) {
      const int r = u % BK, col = (u / BK) * 8;
      const i64 j = kb + r;
      U4 vv = {0u, 0u, 0u, 0u};
      if (j < bhi) vv = *(const U4 *)(v + (j * cfg::HKV + kvh) * D + col);
      const u16 *ve = (const u16 *)&vv;
#pragma unroll
      for (int e = 0; e < 8; ++e) Vt[(col + e) * VROW + r] = ve[e];
    }
    __syncthreads();

    float s[NT][4];
#pragma unroll
    for (int nt = 0; nt < NT; ++nt) {
      s[nt][0] = s[nt][1] = s[nt][2] = s[nt][3] = 0.0f;
#pragma unroll
      for (int ks = 0; ks < KS; ++ks) {
        const u16 *kr = Ks + (nt * 8 + g) * KROW + ks * 16 + 2 * c;
        mma_bf16(s[nt], qa[ks], *(const u32 *)kr, *(const u32 *)(kr + 8));
      }
    }
    float mx0 = VLM_NEG_INF, mx1 = VLM_NEG_INF;
#pragma unroll
    for (int nt = 0; nt < NT; ++nt)
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        const i64 j = kb + nt * 8 + 2 * c + e;
        s[nt][e] = j >= lo0 && j < hi0 ? __fmul_rn(s[nt][e], scale) : VLM_NEG_INF;
        s[nt][2 + e] = j >= lo1 && j < hi1 ? __fmul_rn(s[nt][2 + e], scale) : VLM_NEG_INF;
        mx0 = fmaxf(mx0, s[nt][e]);
        mx1 = fmaxf(mx1, s[nt][2 + e]);
      }
#pragma unroll
    for (int o2 = 1; o2 <= 2; o2 <<= 1) {
      mx0 = fmaxf(mx0, __shfl_xor_sync(0xFFFFFFFFu, mx0, o2));
      mx1 = fmaxf(mx1, __shfl_xor_sync(0xFFFFFFFFu, mx1, o2));
    }
    const float mn0 = fmaxf(m0, mx0), mn1 = fmaxf(m1, mx1);
    const float al0 = mn0 == VLM_NEG_INF ? 1.0f : expf(m0 - mn0);
    const float al1 = mn1 == VLM_NEG_INF ? 1.0f : expf(m1 - mn1);
    l0 *= al0;
    l1 *= al1;
#pragma unroll
    for (int t = 0; t < DT; ++t) {
      o[t][0] *= al0;
      o[t][1] *= al0;
      o[t][2] *= al1;
      o[t][3] *= al1;
    }
#pragma unroll
    for (int nt = 0; nt < NT; ++nt)
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        s[nt][e] = mn0 == VLM_NEG_INF ? 0.0f : expf(s[nt][e] - mn0);
        s[nt][2 + e] = mn1 == VLM_NEG_INF ? 0.0f : expf(s[nt][2 + e] - mn1);
        l0 += s[nt][e];
        l1 += s[nt][2 + e];
      }
    m0 = mn0;
    m1 = mn1;
#pragma unroll
    for (int t = 0; t < NT / 2; ++t) {
      const u32 pa[4] = {pack_bf16(s[2 * t][0], s[2 * t][1]), pack_bf16(s[2 * t][2], s[2 * t][3]),
                         pack_bf16(s[2 * t + 1][0], s[2 * t + 1][1]),
                         pack_bf16(s[2 * t + 1][2], s[2 * t + 1][3])};
#pragma unroll
      for (int dt = 0; dt < DT; ++dt) {
        const u16 *vr = Vt + (dt * 8 + g) * VROW + t * 16 + 2 * c;
        mma_bf16(o[dt], pa, *(const u32 *)vr, *(const u32 *)(vr + 8));
      }
    }
  }
#pragma unroll
  for (int o2 = 1; o2 <= 2; o2 <<= 1) {
    l0 += __shfl_xor_sync(0xFFFFFFFFu, l0, o2);
    l1 += __shfl_xor_sync(0xFFFFFFFFu, l1, o2);
  }
  const float inv0 = l0 > 0.0f ? __fdiv_rn(1.0f, l0) : 0.0f;
  const float inv1 = l1 > 0.0f ? __fdiv_rn(1.0f, l1) : 0.0f;
  u16 *out = (u16 *)a.p[0];
#pragma unroll
  for (int dt = 0; dt < DT; ++dt) {
    const int col = dt * 8 + 2 * c;
    if (r0 < Sq)
      *(u32 *)(out + (r0 * cfg::HQ + h) * D + col) =
          pack_bf16(__fmul_rn(o[dt][0], inv0), __fmul_rn(o[dt][1], inv0));
    if (r1 < Sq)
      *(u32 *)(out + (r1 * cfg::HQ + h) * D + col) =
          pack_bf16(__fmul_rn(o[dt][2], inv1), __fmul_rn(o[dt][3], inv1));
  }
}
)cuda";

const char *kEntryText = R"cuda(
{
  extern __shared__ U4 vlm_smem[];
  float *sm = (float *)vlm_smem;
  if (a.d[0] <= 16) attn_decode(a, sm);
  else VLM_ATTN_PREFILL(a, sm);
}
)cuda";

int64_t pow2Divisor(int64_t v, int64_t cap) {
  int64_t p = 1;
  while (p * 2 <= cap && v % (p * 2) == 0)
    p *= 2;
  return p;
}

} // namespace

Result<KernelSource> generateAttention(const OpDesc &desc) {
  VLMC_RETURN_IF_ERROR(requireDtype(desc));
  VLMC_RETURN_IF_ERROR(requirePositive(desc, "heads", desc.heads));
  VLMC_RETURN_IF_ERROR(requirePositive(desc, "kv heads", desc.kvHeads));
  VLMC_RETURN_IF_ERROR(requirePositive(desc, "head dim", desc.headDim));
  const int64_t D = desc.headDim;
  if (desc.heads % desc.kvHeads != 0)
    return invalidArgument("codegen: Attention: query heads " + std::to_string(desc.heads) +
                           " are not a multiple of key/value heads " +
                           std::to_string(desc.kvHeads));
  if (D % 4 != 0 || D > 256)
    return invalidArgument("codegen: Attention: head dim " + std::to_string(D) +
                           " must be a multiple of 4 and at most 256");
  const int64_t G = desc.heads / desc.kvHeads;
  const bool bf16 = desc.dtype == fb::DType::BF16;
  const int64_t vw = pow2Divisor(D, bf16 ? 8 : 4);
  int64_t e2 = 1;
  if (D % 32 == 0) {
    for (int64_t c : {4, 2, 1})
      if (D % (32 * c) == 0) {
        e2 = c;
        break;
      }
  } else {
    e2 = pow2Divisor(D, 4);
  }
  const int64_t dl = (D + 32 * e2 - 1) / (32 * e2);
  const int64_t bk = D <= 128 ? 32 : 16;

  // Tensor cores for the bf16 prefill when the head dim is whole MMA k-steps
  // and the tiles fit shared memory.
  const bool mma = bf16 && D % 16 == 0 && D <= 128;
  KernelSource ks;
  ks.grid = fb::GridKind::QueryHeads;
  ks.block = 128;
  ks.tileM = mma ? 64 : 32; // prefill queries per block
  // Decode blocks take one query head each: a kv head's group shares its K/V
  // rows through L2 instead of one block, for 6x the blocks at Qwen2-VL's
  // 12/2 heads (a decode step is latency-bound: few blocks left most SMs
  // idle).
  const int64_t GB = 1;
  const int64_t prefillBytes = mma ? (64 * (D + 8) + D * (64 + 8)) * 2 : 2 * bk * D * 4;
  // Decode: each warp stages VC V rows in shared memory, as many as keep the
  // kernel within the prefill's shared memory (which sets the block's
  // footprint); K rows come into registers KG at a time, at most 256 bytes a
  // lane.
  const int64_t actBytes = bf16 ? 2 : 4;
  auto decodeBytes = [&](int64_t vc) {
    return (4 * GB * 32 + 4 * GB * 2 + 4 * GB * D) * 4 + 4 * vc * D * actBytes;
  };
  int64_t vc = 32;
  while (vc > 1 && decodeBytes(vc) > std::max(prefillBytes, decodeBytes(1)))
    vc /= 2;
  int64_t kg = 32;
  while (kg > 1 && kg * dl * e2 * actBytes > 256)
    kg /= 2;
  const int64_t bytes = std::max(decodeBytes(vc), prefillBytes);
  if (bytes > kMaxSharedBytes)
    return invalidArgument("codegen: Attention: " + std::to_string(G) +
                           " query heads per kv head with head dim " + std::to_string(D) +
                           " need " + std::to_string(bytes) + " bytes of shared memory (max " +
                           std::to_string(kMaxSharedBytes) + ")");
  ks.sharedBytes = static_cast<int>(bytes);
  ks.tileN = static_cast<int>(GB); // decode: query heads per block
  const bool causal = (desc.flags & 1u) != 0; // artifact::kFlagCausal
  ks.name = "vlm_attention_hq" + std::to_string(desc.heads) + "_hkv" +
            std::to_string(desc.kvHeads) + "_d" + std::to_string(D) +
            (causal ? "_causal" : "") + (desc.hasSegments ? "_seg" : "") +
            (desc.hasKvLength ? "_kvlen" : "") + (mma ? "_tc" : "") + "_" +
            dtypeTag(desc.dtype);

  std::string s = prelude(desc.dtype);
  s += "namespace cfg {\n";
  s += constant("int", "HQ", desc.heads);
  s += constant("int", "HKV", desc.kvHeads);
  s += constant("int", "G", G);
  s += constant("int", "GB", GB);
  s += constant("int", "D", D);
  s += constant("int", "VW", vw);
  s += constant("int", "E2", e2);
  s += constant("int", "DL", dl);
  s += constant("int", "BK", bk);
  s += constant("int", "KG", kg);
  s += constant("int", "VC", vc);
  s += constant("int", "PIECE", pow2Divisor(D * actBytes, 16));
  s += constant("CAUSAL", causal);
  s += constant("SEGMENTS", desc.hasSegments);
  s += constant("KVLEN", desc.hasKvLength);
  s += "} // namespace cfg\n";
  s += kCommonText;
  s += kDecodeText;
  s += mma ? kMmaPrefillText : kPrefillText;
  s += mma ? "#define VLM_ATTN_PREFILL attn_prefill_mma\n" : "#define VLM_ATTN_PREFILL attn_prefill\n";
  s += entry(ks.name, ks.block);
  s += kEntryText;
  ks.source = std::move(s);
  return ks;
}

} // namespace vlmc::codegen::detail
