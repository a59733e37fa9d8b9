// CUDA kernel generation: one self-contained CUDA C++ source per op,
// specialized on the op's static shapes, quantization and dtype. The launch
// ABI (argument layout per op, grid kinds, workspace) is documented in
// runtime/include/vlmc/cuda/KernelAbi.h; planLaunch there is the runtime side.
//
// Plain C++ (no MLIR): the compiler links this with -fno-exceptions, so
// nothing here throws; invalid descriptions come back as a Status.
#pragma once

#include "vlmc/artifact/vlmc_generated.h"
#include "vlmc/support/Status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace vlmc::codegen {

struct QuantDesc {
  fb::QuantMode mode = fb::QuantMode::None;
  int bits = 0;
  int groupSize = 0;
  bool globalScale = false; // nvfp4: a global-scale operand is present
  // Affine scales/biases: F32, F16 or BF16. The fp modes always use U8.
  fb::DType scaleDtype = fb::DType::U8;
};

// What the generator needs to know about one op. Dims that are dynamic at
// run time (rows, tokens, keys) are not here: they travel in KernelArgs.
struct OpDesc {
  fb::OpCode code = fb::OpCode::Parameter;
  // Activations and every float operand of the op (weights of Matmul and
  // Embedding, norm weights, Linear biases): BF16 (the product) or F32 (to
  // compare with the CPU backend).
  fb::DType dtype = fb::DType::BF16;

  // Matmul, QMatmul, QQMatmul: x [..., k] . W [n, k]^T.
  int64_t k = 0, n = 0;
  // Embedding, QEmbedding: table [vocab, width]; for Embedding a negative
  // vocab means the table's rows are known at run time only (a gather over
  // activations, like Qwen2.5-VL's window order).
  // RmsNorm, LayerNorm: width = normalized dim. PixelShuffle: width = C
  // (channels). SpliceImageTokens: width = E. ArgMax, Sample: width = the row length.
  // Activation/Add/Mul: unused.
  int64_t vocab = 0, width = 0;
  // Attention: q [Sq, heads, headDim], k/v [T, kvHeads, headDim].
  // Rope, RopeKVCacheWrite, RopeKVPairCacheWrite: x [S, heads, headDim]. KVCacheWrite:
  // [*, kvHeads, headDim].
  int64_t heads = 0, kvHeads = 0, headDim = 0;

  QuantDesc quant;             // QMatmul, QQMatmul, QEmbedding
  std::vector<float> f32Attrs; // as in the artifact's Op
  std::vector<int64_t> i64Attrs;
  uint32_t flags = 0;

  bool hasBias = false;     // Matmul family: the Linear bias operand
  bool hasSegments = false; // Attention: segment starts operand
  bool hasKvLength = false; // Attention: kv_length operand
};

struct KernelSource {
  std::string name;   // unique per specialization (a C identifier)
  std::string source; // empty when grid == None
  fb::GridKind grid = fb::GridKind::None;
  int block = 0;
  int rowsPerBlock = 0; // Rows: rows per block; Elements: elements per thread;
                        // Tiles: output features per block of the GEMV path
  int tileM = 0;        // Tiles: GEMM tile; QueryHeads: queries per prefill block
  int tileN = 0;
  int sharedBytes = 0;  // dynamic shared memory per block
};

Result<KernelSource> generateKernel(const OpDesc &desc);

// The largest vocabulary the Sample kernel takes (its penalty bitmap lives in
// shared memory).
int64_t maxSampleVocabulary();

// A generated kernel compiled ahead of time for one GPU architecture.
struct KernelCubin {
  std::string arch; // as the runtime names the device's arch, e.g. "sm_90a"
  std::string image;
};

// The artifact's Kernel table for a generated kernel: its source (the
// runtime's JIT fallback) and any precompiled cubins.
flatbuffers::Offset<fb::Kernel> serializeKernel(flatbuffers::FlatBufferBuilder &fbb,
                                                const KernelSource &kernel,
                                                const std::vector<KernelCubin> &cubins = {});

} // namespace vlmc::codegen
