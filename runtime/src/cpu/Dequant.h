// Row dequantization of MLX-packed weights, bit-identical to
// quant::dequantize (same fp32 operations: q*scale + bias for affine,
// scale * value(q) for the fp modes), but row by row and fast enough to run
// inside the matmul loops.
#pragma once

#include "vlmc/quant/Quant.h"
#include "vlmc/support/Status.h"

#include <cstdint>

namespace vlmc::cpu::detail {

// Checks everything quant::dequantize checks about a view (spec, shape,
// scale dtype, biases, global scale, null buffers), with `tag` as the error
// prefix.
Status validateView(const quant::QuantizedWeightView &w, const char *tag);

class RowDequantizer {
public:
  // w must have passed validateView.
  explicit RowDequantizer(const quant::QuantizedWeightView &w);

  int64_t cols() const { return w_.cols; }
  // out[0, cols) = row r of dequant(W).
  void row(int64_t r, float *out) const { rowFn_(*this, r, out); }

  // Per-row decoders (Dequant.cpp), one per element format.
  using RowFn = void (*)(const RowDequantizer &self, int64_t r, float *out);

  quant::QuantizedWeightView w_;
  int64_t rowBytes_ = 0;   // packed bytes per row (whole uint32 words)
  int64_t groups_ = 0;     // groups per row
  float globalFactor_ = 1; // nvfp4 with a global scale: g / 2688
  RowFn rowFn_ = nullptr;
};

// Fake-quantizes one row of K floats (K a multiple of spec.groupSize;
// mxfp8/nvfp4) into out, bit-identical to quant::fakeQuantizeRows. enc is
// 1, or 2688/g for nvfp4 with a global scale g (decodeFactor = g / 2688).
void fakeQuantizeRow(const float *x, int64_t K, const quant::QuantSpec &spec,
                     float enc, float decodeFactor, float *out);

} // namespace vlmc::cpu::detail
