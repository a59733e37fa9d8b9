// The launch ABI of vlmc's generated CUDA kernels (compiler/codegen): how the
// runtime passes an op's operands to its kernel and sizes the launch.
//
// Every kernel is
//
//   extern "C" __global__ void <Kernel.name>(KernelArgs args)
//
// with KernelArgs (below) passed by value. The source is self-contained (no
// toolkit header) and must be compiled for sm_90a with NVRTC's default
// floating-point options (no --use_fast_math, -ftz=false, -prec-div=true,
// -prec-sqrt=true): the quantization helpers rely on IEEE division and on
// subnormals being kept, as the CPU reference does.
//
// Static shapes (K, N, head dim, heads, widths, quant mode/bits/group, dtype,
// flags) are compile-time constants of the kernel; KernelArgs carries only
// what may change between calls: pointers, dynamic sizes, float attributes.
//
// Pointers (args.p)
//   p[0]      the output (for KVCacheWrite and RopeKVCacheWrite: the cache,
//             updated in place)
//   p[1 + i]  op input i, in the order of the op's inputs (docs/dialect.md and
//             runtime/schema/vlmc.fbs); for an absent optional input (input
//             id -1) whatever the caller passed, never read. No op has more
//             than 6 inputs.
//   p[6]      the second output of an op that has two (AddRmsNorm: p[0] the
//             sum, p[6] the normalized rows)
//   p[7]      the workspace, when Launch::workspaceBytes > 0 (see below)
// Every pointer must be 16-byte aligned (planLaunch checks): kernels use
// 16-byte vector loads. Activations are bf16 or f32 (the kernel's dtype),
// ids/positions/segment starts int32, the scalars kv_length and the KV write
// offset int32 or int64 device scalars (read on the device, so a captured
// CUDA graph stays valid while they change).
//
// Dims (args.d) and floats (args.f), per op code:
//   Matmul, QMatmul, QQMatmul   d[0] = M (rows of x = numel(x) / K)
//   Embedding, QEmbedding       d[0] = number of ids, d[1] = table rows
//   RmsNorm, LayerNorm,
//   AddRmsNorm                  d[0] = rows;  f[0] = epsilon
//   Rope                        d[0] = S (tokens);  f[0] = theta (informative:
//                               the inverse frequencies are compiled in)
//   Attention                   d[0] = Sq, d[1] = T (rows of k/v), d[2] = number
//                               of segment starts (0 without segments),
//                               d[3] = key splits (decode path), d[4] = 1 when
//                               kv_length is int64; f[0] = scale
//   KVCacheWrite                d[0] = S (update rows), d[1] = T (cache rows),
//                               d[2] = 1 when the offset is int64
//   RopeKVCacheWrite            as Rope and KVCacheWrite: d[0] = S, d[1] = T,
//                               d[2] = 1 when the offset is int64; f[0] = theta;
//                               p[0] = the cache (input 2), updated in place
//   RopeKVPairCacheWrite        as RopeKVCacheWrite for the keys; the values
//                               (p[5], input 4) go unrotated into the value
//                               cache (p[6], input 5), updated in place
//   Activation, Add, Mul,
//   GatedActivation             d[0] = number of elements
//   PixelShuffle                d[0] = images, d[1] = G (grid side)
//   SpliceImageTokens           d[0] = L (tokens), d[1] = image rows,
//                               d[2] = image_token_id
//   ArgMax                      d[0] = rows; p[0] int32 indices (the kernel's
//                               row length is compiled in); also the artifact's
//                               greedy_kernel, run by the runtime on logits
//   Sample                      p[1] logits (the last row is sampled), p[2]
//                               int32 penalized ids; d[0] = rows, d[1] =
//                               top-k, d[2] = number of ids, d[3] = the draw
//                               (53 bits); f[0] = temperature, f[1] = top-p,
//                               f[2] = min-p, f[3] = repetition penalty (from
//                               the op's attrs; an op without them leaves
//                               these to setSamplingArgs); p[0] one
//                               int32, the token (cpu::sampleToken's rule);
//                               a workspace of 4 bytes per token (rounded up
//                               to 1024 tokens); the artifact's sample_kernel
//   Parameter, Reshape          no kernel (views)
//
// Launch shapes, per GridKind (block = Kernel.block threads, dynamic shared
// memory = Kernel.shared_bytes, never above 48 KiB so no attribute is needed):
//   Rows        grid.x = ceil(rows / rows_per_block)
//   Elements    grid.x = ceil(elements / (block * elements per thread)), the
//               elements per thread being Kernel.rows_per_block (Rope: the
//               elements are S x D/2 slots, times the heads when tile_n = 1)
//   Tiles       the matmul family. M > kGemvMaxRows: grid = (ceil(N / tile_n),
//               ceil(M / tile_m)); M <= kGemvMaxRows (decode): the kernel's
//               GEMV path, grid.x = ceil(N / rows_per_block)
//   QueryHeads  attention. Sq > kAttentionDecodeMaxQueries: grid =
//               (ceil(Sq / tile_m), Hq); otherwise the decode path, one block
//               per (key split, tile_n query heads, query): grid = (splits,
//               Hq / tile_n, Sq) (tile_n = 0: a kv head's whole group, grid
//               (splits, Hkv, Sq)) with splits = ceil(T / kAttentionSplitKeys) planned over the
//               cache rows T (so a captured graph stays valid as kv_length
//               grows); blocks of splits without visible keys return at once
//
// Workspace: some launches need device scratch (attention's split-key
// partials, the per-call activation global scale of QQMatmul nvfp4 with a
// global scale). planLaunch then sets Launch::workspaceBytes and the caller
// puts a buffer of at least that size in args.p[7]. The buffer's first
// kWorkspaceCounterBytes must be zero before its first use; every kernel
// leaves them zero when it finishes, so one buffer (of the largest size) can
// serve all ops of a stream, and graph replays need no memset.
#pragma once

#include "vlmc/artifact/vlmc_generated.h"
#include "vlmc/cpu/Sampling.h"
#include "vlmc/support/Status.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace vlmc::cuda {

// The kernel parameter, identical on host and device (144 bytes).
struct KernelArgs {
  void *p[8];
  long long d[8];
  float f[4];
};
static_assert(sizeof(KernelArgs) == 144,
              "KernelArgs layout is part of the ABI");

inline constexpr int kSecondOutputPointer = 6;
inline constexpr int kWorkspacePointer = 7;

// The decode/prefill thresholds the kernels and planLaunch agree on.
inline constexpr int64_t kGemvMaxRows = 16;
inline constexpr int64_t kAttentionDecodeMaxQueries = 16;
// Keys one decode-attention block handles; more keys are split over blocks.
inline constexpr int64_t kAttentionSplitKeys = 128;
// Elements per work item of the cooperative absmax (QQMatmul global scale).
inline constexpr int64_t kAmaxChunk = 8192;
// Leading workspace bytes holding counters (zero between kernels).
inline constexpr size_t kWorkspaceCounterBytes = 4096;
// Most attention (query, kv head) pairs a decode launch may have: their
// arrival counters live in the counter bytes.
inline constexpr int64_t kAttentionMaxCounters =
    int64_t(kWorkspaceCounterBytes / 4) - 8;

// A device tensor as the executor holds it. `data` is a device pointer (never
// dereferenced here); empty tensors may have data == nullptr.
struct DeviceTensor {
  void *data = nullptr;
  fb::DType dtype = fb::DType::F32;
  std::vector<int64_t> shape;

  int64_t numel() const;
};

struct Launch {
  // Nothing to launch: Parameter/Reshape, or an empty output.
  bool skip = false;
  unsigned grid[3] = {1, 1, 1};
  unsigned block = 0;
  unsigned sharedBytes = 0;
  // > 0: args.p[7] must point to that much scratch (see above).
  size_t workspaceBytes = 0;
  KernelArgs args{};
};

// Fills the launch of `op` with `kernel` (the op's Artifact.kernels entry).
// `inputs` has one entry per op input (absent optional ones -- input id -1 --
// are ignored); `output` is the output tensor the caller allocated with the shape
// it computed (for KVCacheWrite, the cache itself); `secondOutput` is
// AddRmsNorm's normalized rows (null for every other op). Pure host logic: no CUDA
// call. Errors name the op and the rule (operand count, dtype, shape
// mismatch, misaligned pointer, grid too large).
Result<Launch> planLaunch(const fb::Op &op, const fb::Kernel &kernel,
                          const std::vector<DeviceTensor> &inputs,
                          const DeviceTensor &output,
                          const DeviceTensor *secondOutput = nullptr);

// A Sample launch's per-step arguments (d[1], d[3], f[0..3]), checked: the
// runtime plans the launch once and sets these before every step.
Status setSamplingArgs(KernelArgs &args, const cpu::SamplingSpec &spec, uint64_t draw);

} // namespace vlmc::cuda
