// Quantization numerics shared by the runtime, the compiler and the tests.
//
// The bytes produced here must match what MLX writes (see
// shared/reference/mlx-quant.md). Where MLX's backends disagree we follow the
// CUDA backend, which is also where MLX's Metal/CPU backends are heading:
//   * affine: hi = max(0, max(G)), lo = min(G), anchor/zero snapping, rounding
//     half away from zero, all math in fp32, scale/bias stored in w's dtype;
//   * mxfp4/mxfp8: E8M0 scale = ceil(log2(amax / M)) (never saturates an
//     element), all-zero group -> scale byte 0;
//   * elements: E2M1 / E4M3 round-to-nearest-even and saturating;
//   * nvfp4: E4M3 scale of amax/6 (times 2688/g with a global scale g).
// Decoding accepts any stored bytes, so checkpoints made on Apple hardware
// (nearest-rounded E8M0 scales, CPU-kernel affine bytes) decode correctly.
//
// Nothing here throws or aborts on bad input: every fallible call returns a
// Status whose message reproduces MLX's error text where MLX has one.
#pragma once

#include "vlmc/support/Status.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace vlmc::quant {

//===----------------------------------------------------------------------===//
// Modes, dtypes, specs
//===----------------------------------------------------------------------===//

enum class Mode { kAffine, kMxfp4, kMxfp8, kNvfp4 };

// "affine", "mxfp4", "mxfp8", "nvfp4".
const char *modeName(Mode mode);
// Inverse of modeName; anything else gives MLX's
// "[<tag>] Invalid quantization mode 'xyz'." error.
Result<Mode> parseMode(std::string_view name, const char *tag = "quantize");

enum class DType { kF32, kF16, kBF16, kU8, kU32 };

// Element size in bytes.
size_t dtypeSize(DType type);
// MLX spelling: "float32", "float16", "bfloat16", "uint8", "uint32".
const char *dtypeName(DType type);
Result<DType> parseDType(std::string_view name);
bool isFloatDType(DType type);

// bfloat16: round-to-nearest-even; NaN stays NaN (quiet), Inf stays Inf.
uint16_t floatToBf16(float v);
float bf16ToFloat(uint16_t bits);
// IEEE binary16: round-to-nearest-even, overflow -> Inf, subnormals kept.
uint16_t floatToF16(float v);
float f16ToFloat(uint16_t bits);

// Bulk conversions between float and F32/F16/BF16 buffers (others rejected).
Status convertToFloat(const void *src, DType srcType, int64_t count, float *dst);
Status convertFromFloat(const float *src, int64_t count, DType dstType,
                        void *dst);

struct QuantSpec {
  Mode mode = Mode::kAffine;
  int bits = 4;
  int groupSize = 64;
  // nvfp4 only: the tensor carries a per-tensor fp32 global scale (two-level
  // nvfp4). The value itself is passed next to the spec, never stored in it.
  bool globalScale = false;
};

// MLX defaults: affine 4/64, mxfp4 4/32, mxfp8 8/32, nvfp4 4/16.
QuantSpec defaultSpec(Mode mode);
// Checks bits/groupSize/globalScale against the mode, with MLX's messages,
// e.g. "[quantize] The requested group size 16 is not supported. ...".
Status validateSpec(const QuantSpec &spec, const char *tag = "quantize");
// cols must be a non-negative multiple of the group size (MLX's divisibility
// message, which prints the shape as "(rows, cols)", or "(..., cols)" when
// rows < 0). Also validates the spec.
Status validateShape(const QuantSpec &spec, int64_t cols,
                     const char *tag = "quantize", int64_t rows = -1);

// Sizes of one quantized row of `cols` elements (spec assumed valid).
int64_t packedWordsPerRow(const QuantSpec &spec, int64_t cols);
int64_t groupsPerRow(const QuantSpec &spec, int64_t cols);
// affine: the weight's dtype; fp modes: kU8.
DType scaleDType(const QuantSpec &spec, DType weightDType);
// Largest element magnitude of the fp formats (6 for E2M1, 448 for E4M3);
// 0 for affine.
float elementMax(Mode mode);

//===----------------------------------------------------------------------===//
// Element and scale codecs
//===----------------------------------------------------------------------===//

// E2M1 (fp4): nibble s e1 e0 m, magnitudes 0 .5 1 1.5 2 3 4 6; 8 = -0.
// RNE, saturating at +-6, sign kept (tiny negatives -> 8). NaN -> 7 (+6), as
// Metal/CPU do and as PTX cvt.satfinite does for formats without NaN.
uint8_t encodeE2M1(float v);
float decodeE2M1(uint8_t code); // uses the low 4 bits

// E4M3 "fn" (bias 7, max 448, 0x7F/0xFF NaN, subnormals m*2^-9).
// RNE, saturating at +-448 (Inf too); NaN -> 0x7F (cvt.rn.satfinite on CUDA).
uint8_t encodeE4M3(float v);
float decodeE4M3(uint8_t code);

// E8M0 (unsigned power of two, byte = e + 127).
// Ceil rule (MLX CUDA, cutlass float_ue8m0_t / cvt.rp.satfinite):
// byte = clamp(ceil(log2 v) + 127, 0, 254); v <= 0 -> 0; +Inf -> 254; NaN -> 255.
uint8_t encodeE8M0Ceil(float v);
// Apple rule at MLX 0.32.2 (Metal fp8_e8m0): round(log2 v) half away from
// zero, clamped to [-127, 127]; v <= 0 -> 0; non-finite -> 255. Provided so
// Apple-made bytes can be reproduced; quantize() never uses it.
uint8_t encodeE8M0Nearest(float v);
// 2^(byte-127); byte 0 -> 2^-127; 255 -> NaN.
float decodeE8M0(uint8_t byte);

//===----------------------------------------------------------------------===//
// Bit packing: each row is a little-endian bitstream, element j occupying
// bits [j*bits, (j+1)*bits); word k holds bits [32k, 32k+32). 3/5/6-bit codes
// straddle word boundaries.
//===----------------------------------------------------------------------===//

// Number of uint32 words holding `count` codes of `bits` bits (rounded up).
int64_t packedWordCount(int64_t count, int bits);
// bits in {2,3,4,5,6,8}. Overwrites packedWordCount(count, bits) words; unused
// trailing bits are zero. Codes are masked to `bits`.
Status packCodes(const uint8_t *codes, int64_t count, int bits,
                 uint32_t *words);
Status unpackCodes(const uint32_t *words, int64_t count, int bits,
                   uint8_t *codes);
// Single code at `index`; bits in [1, 8]. Reads words[index*bits/32] and, if
// the code straddles, the next word.
inline uint32_t extractCode(const uint32_t *words, int64_t index, int bits) {
  const uint64_t bit = static_cast<uint64_t>(index) * static_cast<uint64_t>(bits);
  const uint64_t word = bit >> 5;
  const unsigned shift = static_cast<unsigned>(bit & 31u);
  uint64_t window = words[word] >> shift;
  if (shift + static_cast<unsigned>(bits) > 32u)
    window |= static_cast<uint64_t>(words[word + 1]) << (32u - shift);
  return static_cast<uint32_t>(window & ((1u << bits) - 1u));
}

//===----------------------------------------------------------------------===//
// Quantize / dequantize
//===----------------------------------------------------------------------===//

// Non-owning view of a quantized [rows, cols] matrix (rows = N, cols = K).
struct QuantizedWeightView {
  const uint32_t *packed = nullptr;
  const void *scales = nullptr;
  const void *biases = nullptr; // affine only
  DType scaleType = DType::kU8;
  int64_t rows = 0;
  int64_t cols = 0;
  QuantSpec spec;
  std::optional<float> globalScale;
};

struct QuantizedMatrix {
  QuantSpec spec;
  int64_t rows = 0;
  int64_t cols = 0;
  DType scaleType = DType::kU8;
  std::vector<uint32_t> packed;
  std::vector<uint8_t> scales; // raw bytes of scaleType
  std::vector<uint8_t> biases; // affine only
  std::optional<float> globalScale;

  QuantizedWeightView view() const {
    QuantizedWeightView v;
    v.packed = packed.data();
    v.scales = scales.data();
    v.biases = biases.empty() ? nullptr : biases.data();
    v.scaleType = scaleType;
    v.rows = rows;
    v.cols = cols;
    v.spec = spec;
    v.globalScale = globalScale;
    return v;
  }
};

// Per-tensor global scale convention for two-level nvfp4: max |w| over the
// tensor (NaN ignored). Returns 0 for null/empty input or a non-float dtype.
float computeGlobalScale(const void *w, DType wType, int64_t count);

// Quantizes a row-major [rows, cols] matrix along cols into caller buffers:
//   packedOut: rows * packedWordsPerRow(spec, cols) uint32 words;
//   scalesOut: rows * groupsPerRow(spec, cols) elements of
//              scaleDType(spec, wType);
//   biasesOut: affine only (same size/dtype as scales), else must be null.
// globalScale: nvfp4 only, must be given iff spec.globalScale; finite, > 0.
// numThreads: 0 = std::thread::hardware_concurrency(). The bytes never depend
// on the thread count.
//
// Special values (documented choices, no crash in any case):
//   * NaN elements do not take part in min/max/amax (CUDA's fminf/fmaxf);
//     an affine NaN gets code 2^bits-1 (CUDA's fminf(NaN, n_bins)); fp modes
//     encode NaN as E2M1 +6 / E4M3 NaN (0x7F).
//   * Inf and huge values saturate (fp modes) or produce non-finite affine
//     scale/bias; codes always stay in range.
//   * nvfp4 group whose E4M3 scale underflows to 0: element multiplier 0, so
//     each nibble is +-0 carrying w's sign (Metal's bytes; CUDA's would be
//     +-6), and dequantization gives exact zeros either way.
Status quantize(const void *w, DType wType, int64_t rows, int64_t cols,
                const QuantSpec &spec, uint32_t *packedOut, void *scalesOut,
                void *biasesOut, std::optional<float> globalScale = std::nullopt,
                int numThreads = 0);

// Owning result; with spec.globalScale and no value given, the global scale
// is computed (computeGlobalScale; 1.0 for an all-zero tensor, which yields
// the same bytes as any other value).
Result<QuantizedMatrix> quantize(const void *w, DType wType, int64_t rows,
                                 int64_t cols, const QuantSpec &spec,
                                 std::optional<float> globalScale = std::nullopt,
                                 int numThreads = 0);

// Decodes any stored bytes into `out` ([rows, cols] of outType: F32/F16/BF16).
//   affine: w = q*scale + bias (fp32; negative scales are fine);
//   mx:     w = E8M0(s) * value(q);
//   nvfp4:  w = (E4M3(s) * (g/2688)) * value(q), or E4M3(s) * value(q).
Status dequantize(const uint32_t *packed, const void *scales,
                  const void *biases, DType scaleType, int64_t rows,
                  int64_t cols, const QuantSpec &spec,
                  std::optional<float> globalScale, DType outType, void *out,
                  int numThreads = 0);

// Dequantizes a view to fp32 [rows, cols].
Status dequantize(const QuantizedWeightView &w, float *out, int numThreads = 0);

//===----------------------------------------------------------------------===//
// Reference matmuls (fp32 accumulation, k ascending): the ground truth for
// CPU/GPU kernels.
//===----------------------------------------------------------------------===//

// x [M, K] quantized row by row along K with `spec` (dynamic scales, the same
// encode rules as quantize), then dequantized back to fp32 into out [M, K].
// globalScale as for quantize (nvfp4 only, iff spec.globalScale).
// Differences from MLX's emulated qqmm: MLX rounds x-hat to x's dtype (we keep
// fp32, which is exact except with a global scale), and its CUDA fake-quant
// kernel decodes with S * (1 / (2688/g)) where dequantize uses S * (g/2688),
// which can differ in the last fp32 bit.
Status fakeQuantizeRows(const float *x, int64_t M, int64_t K,
                        const QuantSpec &spec, float *out,
                        std::optional<float> globalScale = std::nullopt);

// y [M, N] = x [M, K] . dequant(W [N, K])^T (+ bias [N]).
Status qmatmulRef(const float *x, int64_t M, int64_t K,
                  const QuantizedWeightView &w, const float *biasOrNull,
                  float *y);

// y = fakeQuantizeRows(x) . dequant(W)^T (+ bias): MLX's qqmm semantics,
// activations quantized with the weight's mode/bits/group size. For nvfp4,
// globalScaleX and w.globalScale must be both given or both absent. MLX only
// documents nvfp4/mxfp8 here; affine and mxfp4 are accepted and follow the
// same rule. (MLX's QQLinear has no bias; the bias is our extension.)
Status qqmatmulRef(const float *x, int64_t M, int64_t K,
                   const QuantizedWeightView &w,
                   std::optional<float> globalScaleX, const float *biasOrNull,
                   float *y);

} // namespace vlmc::quant
