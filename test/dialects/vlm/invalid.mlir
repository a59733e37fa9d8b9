// RUN: vlm-opt %s -split-input-file -verify-diagnostics

func.func @affine_bits(%x: tensor<1x64xf32>, %w: tensor<8x14xui32>, %s: tensor<8x1xf32>) {
  // expected-error @+1 {{affine quantization does not support 7 bits; the supported bits are 2, 3, 4, 5, 6 and 8}}
  %0 = vlm.qmatmul %x, %w scales(%s) biases(%s) quant<affine, bits = 7> : (tensor<1x64xf32>, tensor<8x14xui32>, tensor<8x1xf32>, tensor<8x1xf32>) -> tensor<1x8xf32>
  return
}

// -----

func.func @affine_group(%x: tensor<1x64xf32>, %w: tensor<8x8xui32>, %s: tensor<8x4xf32>) {
  // expected-error @+1 {{affine quantization does not support group size 16; the supported group sizes are 32, 64 and 128}}
  %0 = vlm.qmatmul %x, %w scales(%s) biases(%s) quant<affine, group_size = 16> : (tensor<1x64xf32>, tensor<8x8xui32>, tensor<8x4xf32>, tensor<8x4xf32>) -> tensor<1x8xf32>
  return
}

// -----

func.func @mxfp4_group(%x: tensor<1x64xf32>, %w: tensor<8x8xui32>, %s: tensor<8x1xui8>) {
  // expected-error @+1 {{mxfp4 quantization requires group size 32 but got 64}}
  %0 = vlm.qmatmul %x, %w scales(%s) quant<mxfp4, group_size = 64> : (tensor<1x64xf32>, tensor<8x8xui32>, tensor<8x1xui8>) -> tensor<1x8xf32>
  return
}

// -----

func.func @nvfp4_bits(%x: tensor<1x64xf32>, %w: tensor<8x16xui32>, %s: tensor<8x4xui8>) {
  // expected-error @+1 {{nvfp4 quantization requires bits to be 4 but got 8}}
  %0 = vlm.qmatmul %x, %w scales(%s) quant<nvfp4, bits = 8> : (tensor<1x64xf32>, tensor<8x16xui32>, tensor<8x4xui8>) -> tensor<1x8xf32>
  return
}

// -----

func.func @mxfp8_bits(%x: tensor<1x64xf32>, %w: tensor<8x8xui32>, %s: tensor<8x2xui8>) {
  // expected-error @+1 {{mxfp8 quantization requires bits to be 8 but got 4}}
  %0 = vlm.qmatmul %x, %w scales(%s) quant<mxfp8, bits = 4> : (tensor<1x64xf32>, tensor<8x8xui32>, tensor<8x2xui8>) -> tensor<1x8xf32>
  return
}

// -----

func.func @global_scale_not_nvfp4() attributes {
  // expected-error @+1 {{a global scale is only supported for nvfp4, not mxfp8}}
  spec = #vlm.quant<mxfp8, global_scale>} {
  return
}

// -----

func.func @unknown_mode() attributes {
  // expected-error @+1 {{unknown quantization mode 'int4'; expected affine, mxfp4, mxfp8 or nvfp4}}
  spec = #vlm.quant<int4>} {
  return
}

// -----

func.func @unknown_key() attributes {
  // expected-error @+1 {{unknown quant spec key 'group'; expected bits, group_size or global_scale}}
  spec = #vlm.quant<affine, group = 64>} {
  return
}

// -----

func.func @unknown_mode_enum() attributes {
  // expected-error @+2 {{expected ::mlir::vlm::QuantMode to be one of: affine, mxfp4, mxfp8, nvfp4}}
  // expected-error @+1 {{failed to parse Vlm_QuantModeAttr parameter 'value'}}
  mode = #vlm.quant_mode<fp8>} {
  return
}

// -----

func.func @k_not_divisible(%x: tensor<1x48xf32>, %w: tensor<8x12xui32>, %s: tensor<8x1xui8>) {
  // expected-error @+1 {{'vlm.qmatmul' op K = 48 is not divisible by the group size 32 of mxfp8 quantization}}
  %0 = vlm.qmatmul %x, %w scales(%s) quant<mxfp8> : (tensor<1x48xf32>, tensor<8x12xui32>, tensor<8x1xui8>) -> tensor<1x8xf32>
  return
}

// -----

func.func @packed_width(%x: tensor<1x64xf32>, %w: tensor<8x16xui32>, %s: tensor<8x2xui8>) {
  // expected-error @+1 {{'vlm.qmatmul' op packed weight dim 1 is 16 but must be 8 (K * bits / 32 uint32 words per row)}}
  %0 = vlm.qmatmul %x, %w scales(%s) quant<mxfp4> : (tensor<1x64xf32>, tensor<8x16xui32>, tensor<8x2xui8>) -> tensor<1x8xf32>
  return
}

// -----

func.func @packed_rank(%x: tensor<1x64xf32>, %w: tensor<128xui32>, %s: tensor<8x2xui8>) {
  // expected-error @+1 {{packed weight must be 2-D [N, K*bits/32], got rank 1}}
  %0 = vlm.qmatmul %x, %w scales(%s) quant<mxfp8> : (tensor<1x64xf32>, tensor<128xui32>, tensor<8x2xui8>) -> tensor<1x8xf32>
  return
}

// -----

func.func @scale_groups(%x: tensor<1x64xf32>, %w: tensor<8x8xui32>, %s: tensor<8x2xui8>) {
  // expected-error @+1 {{'vlm.qmatmul' op scales dim 1 is 2 but must be 4 (K / group_size groups per row)}}
  %0 = vlm.qmatmul %x, %w scales(%s) quant<nvfp4> : (tensor<1x64xf32>, tensor<8x8xui32>, tensor<8x2xui8>) -> tensor<1x8xf32>
  return
}

// -----

func.func @scale_rows(%x: tensor<1x64xf32>, %w: tensor<8x8xui32>, %s: tensor<4x4xui8>) {
  // expected-error @+1 {{'vlm.qmatmul' op scales dim 0 is 4 but must be 8 (one scale row per weight row)}}
  %0 = vlm.qmatmul %x, %w scales(%s) quant<nvfp4> : (tensor<1x64xf32>, tensor<8x8xui32>, tensor<4x4xui8>) -> tensor<1x8xf32>
  return
}

// -----

func.func @affine_needs_biases(%x: tensor<1x64xf32>, %w: tensor<8x8xui32>, %s: tensor<8x1xf32>) {
  // expected-error @+1 {{'vlm.qmatmul' op affine quantization requires per-group biases}}
  %0 = vlm.qmatmul %x, %w scales(%s) quant<affine> : (tensor<1x64xf32>, tensor<8x8xui32>, tensor<8x1xf32>) -> tensor<1x8xf32>
  return
}

// -----

func.func @affine_byte_scales(%x: tensor<1x64xf32>, %w: tensor<8x8xui32>, %s: tensor<8x1xui8>, %b: tensor<8x1xf32>) {
  // expected-error @+1 {{'vlm.qmatmul' op affine scales must be f32, f16 or bf16, got 'ui8'}}
  %0 = vlm.qmatmul %x, %w scales(%s) biases(%b) quant<affine> : (tensor<1x64xf32>, tensor<8x8xui32>, tensor<8x1xui8>, tensor<8x1xf32>) -> tensor<1x8xf32>
  return
}

// -----

func.func @affine_biases_mismatch(%x: tensor<1x64xf32>, %w: tensor<8x8xui32>, %s: tensor<8x1xf32>, %b: tensor<8x1xbf16>) {
  // expected-error @+1 {{'vlm.qmatmul' op affine biases 'tensor<8x1xbf16>' must match the scales 'tensor<8x1xf32>'}}
  %0 = vlm.qmatmul %x, %w scales(%s) biases(%b) quant<affine> : (tensor<1x64xf32>, tensor<8x8xui32>, tensor<8x1xf32>, tensor<8x1xbf16>) -> tensor<1x8xf32>
  return
}

// -----

func.func @fp_with_biases(%x: tensor<1x64xf32>, %w: tensor<8x16xui32>, %s: tensor<8x2xui8>, %b: tensor<8x2xf32>) {
  // expected-error @+1 {{'vlm.qmatmul' op per-group biases are only used by affine quantization, not mxfp8}}
  %0 = vlm.qmatmul %x, %w scales(%s) biases(%b) quant<mxfp8> : (tensor<1x64xf32>, tensor<8x16xui32>, tensor<8x2xui8>, tensor<8x2xf32>) -> tensor<1x8xf32>
  return
}

// -----

func.func @fp_float_scales(%x: tensor<1x64xf32>, %w: tensor<8x16xui32>, %s: tensor<8x2xf32>) {
  // expected-error @+1 {{'vlm.qmatmul' op mxfp8 scales must be uint8 (or f8E8M0FNU), got 'f32'}}
  %0 = vlm.qmatmul %x, %w scales(%s) quant<mxfp8> : (tensor<1x64xf32>, tensor<8x16xui32>, tensor<8x2xf32>) -> tensor<1x8xf32>
  return
}

// -----

func.func @nvfp4_e8m0_scales(%x: tensor<1x64xf32>, %w: tensor<8x8xui32>, %s: tensor<8x4xf8E8M0FNU>) {
  // expected-error @+1 {{'vlm.qmatmul' op nvfp4 scales must be uint8 (or f8E4M3FN), got 'f8E8M0FNU'}}
  %0 = vlm.qmatmul %x, %w scales(%s) quant<nvfp4> : (tensor<1x64xf32>, tensor<8x8xui32>, tensor<8x4xf8E8M0FNU>) -> tensor<1x8xf32>
  return
}

// -----

func.func @global_scale_missing(%x: tensor<1x64xf32>, %w: tensor<8x8xui32>, %s: tensor<8x4xui8>) {
  // expected-error @+1 {{'vlm.qmatmul' op the quant spec has a global scale but no global_scale operand is given}}
  %0 = vlm.qmatmul %x, %w scales(%s) quant<nvfp4, global_scale> : (tensor<1x64xf32>, tensor<8x8xui32>, tensor<8x4xui8>) -> tensor<1x8xf32>
  return
}

// -----

func.func @global_scale_unexpected(%x: tensor<1x64xf32>, %w: tensor<8x8xui32>, %s: tensor<8x4xui8>, %g: tensor<1xf32>) {
  // expected-error @+1 {{'vlm.qmatmul' op a global_scale operand requires a quant spec with global_scale}}
  %0 = vlm.qmatmul %x, %w scales(%s) global_scale(%g) quant<nvfp4> : (tensor<1x64xf32>, tensor<8x8xui32>, tensor<8x4xui8>, tensor<1xf32>) -> tensor<1x8xf32>
  return
}

// -----

func.func @global_scale_shape(%x: tensor<1x64xf32>, %w: tensor<8x8xui32>, %s: tensor<8x4xui8>, %g: tensor<2xf32>) {
  // expected-error @+1 {{'vlm.qmatmul' op global_scale must hold one f32 value, got 'tensor<2xf32>'}}
  %0 = vlm.qmatmul %x, %w scales(%s) global_scale(%g) quant<nvfp4, global_scale> : (tensor<1x64xf32>, tensor<8x8xui32>, tensor<8x4xui8>, tensor<2xf32>) -> tensor<1x8xf32>
  return
}

// -----

func.func @bias_length(%x: tensor<1x64xf32>, %w: tensor<8x16xui32>, %s: tensor<8x2xui8>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'vlm.qmatmul' op bias length is 4 but must be 8 (one bias per output feature)}}
  %0 = vlm.qmatmul %x, %w scales(%s) bias(%b) quant<mxfp8> : (tensor<1x64xf32>, tensor<8x16xui32>, tensor<8x2xui8>, tensor<4xf32>) -> tensor<1x8xf32>
  return
}

// -----

func.func @result_width(%x: tensor<1x64xf32>, %w: tensor<8x16xui32>, %s: tensor<8x2xui8>) {
  // expected-error @+1 {{'vlm.qmatmul' op result last dim is 16 but must be 8 (N, the weight's row count)}}
  %0 = vlm.qmatmul %x, %w scales(%s) quant<mxfp8> : (tensor<1x64xf32>, tensor<8x16xui32>, tensor<8x2xui8>) -> tensor<1x16xf32>
  return
}

// -----

func.func @result_dtype(%x: tensor<1x64xf32>, %w: tensor<8x16xui32>, %s: tensor<8x2xui8>) {
  // expected-error @+1 {{'vlm.qmatmul' op result element type 'bf16' differs from input element type 'f32'}}
  %0 = vlm.qmatmul %x, %w scales(%s) quant<mxfp8> : (tensor<1x64xf32>, tensor<8x16xui32>, tensor<8x2xui8>) -> tensor<1x8xbf16>
  return
}

// -----

func.func @qqmatmul_affine(%x: tensor<1x64xf32>, %w: tensor<8x8xui32>, %s: tensor<8x1xf32>) {
  // expected-error @+1 {{'vlm.qqmatmul' op activation quantization is not supported for mode affine; supported modes: mxfp8, nvfp4}}
  %0 = vlm.qqmatmul %x, %w scales(%s) biases(%s) quant<affine> : (tensor<1x64xf32>, tensor<8x8xui32>, tensor<8x1xf32>, tensor<8x1xf32>) -> tensor<1x8xf32>
  return
}

// -----

func.func @qqmatmul_mxfp4(%x: tensor<1x64xf32>, %w: tensor<8x8xui32>, %s: tensor<8x2xui8>) {
  // expected-error @+1 {{'vlm.qqmatmul' op activation quantization is not supported for mode mxfp4; supported modes: mxfp8, nvfp4}}
  %0 = vlm.qqmatmul %x, %w scales(%s) quant<mxfp4> : (tensor<1x64xf32>, tensor<8x8xui32>, tensor<8x2xui8>) -> tensor<1x8xf32>
  return
}

// -----

func.func @qqmatmul_shapes_checked(%x: tensor<1x64xf32>, %w: tensor<8x8xui32>, %s: tensor<8x4xui8>) {
  // expected-error @+1 {{'vlm.qqmatmul' op packed weight dim 1 is 8 but must be 16 (K * bits / 32 uint32 words per row)}}
  %0 = vlm.qqmatmul %x, %w scales(%s) quant<mxfp8> : (tensor<1x64xf32>, tensor<8x8xui32>, tensor<8x4xui8>) -> tensor<1x8xf32>
  return
}

// -----

func.func @matmul_k(%x: tensor<1x64xf32>, %w: tensor<8x32xf32>) {
  // expected-error @+1 {{'vlm.matmul' op weight dim 1 is 32 but must be 64 (K, the input's last dim)}}
  %0 = vlm.matmul %x, %w : (tensor<1x64xf32>, tensor<8x32xf32>) -> tensor<1x8xf32>
  return
}

// -----

func.func @matmul_dtype(%x: tensor<1x64xf32>, %w: tensor<8x64xbf16>) {
  // expected-error @+1 {{'vlm.matmul' op weight element type 'bf16' differs from input element type 'f32'}}
  %0 = vlm.matmul %x, %w : (tensor<1x64xf32>, tensor<8x64xbf16>) -> tensor<1x8xf32>
  return
}

// -----

func.func @matmul_leading(%x: tensor<2x3x64xf32>, %w: tensor<8x64xf32>) {
  // expected-error @+1 {{'vlm.matmul' op result dim 1 is 4 but must be 3 (leading dims follow the input)}}
  %0 = vlm.matmul %x, %w : (tensor<2x3x64xf32>, tensor<8x64xf32>) -> tensor<2x4x8xf32>
  return
}

// -----

func.func @matmul_bias_rank(%x: tensor<1x64xf32>, %w: tensor<8x64xf32>, %b: tensor<1x8xf32>) {
  // expected-error @+1 {{'vlm.matmul' op bias must be 1-D [N], got rank 2}}
  %0 = vlm.matmul %x, %w bias(%b) : (tensor<1x64xf32>, tensor<8x64xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  return
}
