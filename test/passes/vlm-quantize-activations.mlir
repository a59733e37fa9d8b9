// RUN: vlm-opt %s -split-input-file -allow-unregistered-dialect -vlm-quantize-activations -verify-diagnostics | FileCheck %s
// RUN: vlm-opt %s -split-input-file -allow-unregistered-dialect -vlm-quantize-activations -verify-diagnostics -mlir-print-debuginfo | FileCheck %s --check-prefix=LOC

// CHECK-LABEL: func.func @mxfp8
// CHECK-SAME: (%[[X:.+]]: tensor<4x64xbf16>, %[[W:.+]]: tensor<32x16xui32>, %[[S:.+]]: tensor<32x2xui8>)
// CHECK-NOT: vlm.qmatmul
// CHECK: %[[Y:.+]] = vlm.qqmatmul %[[X]], %[[W]] scales(%[[S]]) quant<mxfp8, bits = 8, group_size = 32> : (tensor<4x64xbf16>, tensor<32x16xui32>, tensor<32x2xui8>) -> tensor<4x32xbf16>
// CHECK: return %[[Y]]
func.func @mxfp8(%x: tensor<4x64xbf16>, %w: tensor<32x16xui32>, %s: tensor<32x2xui8>) -> tensor<4x32xbf16> {
  %0 = vlm.qmatmul %x, %w scales(%s) quant<mxfp8> : (tensor<4x64xbf16>, tensor<32x16xui32>, tensor<32x2xui8>) -> tensor<4x32xbf16>
  return %0 : tensor<4x32xbf16>
}

// -----

// A Linear bias survives the rewrite (MLX's QQLinear would refuse this layer;
// Qwen2-VL's q/k/v projections have one).
// CHECK-LABEL: func.func @nvfp4_bias
// CHECK-SAME: (%[[X:.+]]: tensor<1x64xf32>, %[[W:.+]]: tensor<32x8xui32>, %[[S:.+]]: tensor<32x4xf8E4M3FN>, %[[B:.+]]: tensor<32xf32>)
// CHECK: vlm.qqmatmul %[[X]], %[[W]] scales(%[[S]]) bias(%[[B]]) quant<nvfp4, bits = 4, group_size = 16>
// CHECK-NOT: vlm.qmatmul
func.func @nvfp4_bias(%x: tensor<1x64xf32>, %w: tensor<32x8xui32>, %s: tensor<32x4xf8E4M3FN>, %b: tensor<32xf32>) -> tensor<1x32xf32> {
  %0 = vlm.qmatmul %x, %w scales(%s) bias(%b) quant<nvfp4> : (tensor<1x64xf32>, tensor<32x8xui32>, tensor<32x4xf8E4M3FN>, tensor<32xf32>) -> tensor<1x32xf32>
  return %0 : tensor<1x32xf32>
}

// -----

// The global scale operand and flag carry over unchanged.
// CHECK-LABEL: func.func @nvfp4_global_scale
// CHECK: vlm.qqmatmul %{{.+}}, %{{.+}} scales(%{{.+}}) global_scale(%{{.+}}) quant<nvfp4, bits = 4, group_size = 16, global_scale>
func.func @nvfp4_global_scale(%x: tensor<1x64xf32>, %w: tensor<32x8xui32>, %s: tensor<32x4xui8>, %g: tensor<1xf32>) -> tensor<1x32xf32> {
  %0 = vlm.qmatmul %x, %w scales(%s) global_scale(%g) quant<nvfp4, global_scale> : (tensor<1x64xf32>, tensor<32x8xui32>, tensor<32x4xui8>, tensor<1xf32>) -> tensor<1x32xf32>
  return %0 : tensor<1x32xf32>
}

// -----

// Several layers in one function, chained, with unquantized matmuls left alone
// and the op's name location (the layer name) preserved.
// CHECK-LABEL: func.func @mlp
// CHECK: %[[UP:.+]] = vlm.qqmatmul %{{.+}} quant<mxfp8, bits = 8, group_size = 32>
// CHECK: %[[DOWN:.+]] = vlm.qqmatmul %[[UP]], {{.+}} quant<mxfp8, bits = 8, group_size = 32>
// CHECK: %[[HEAD:.+]] = vlm.matmul %[[DOWN]]
// CHECK: return %[[HEAD]]
// LOC-LABEL: func.func @mlp
// LOC: vlm.qqmatmul {{.+}} loc(#[[UP_LOC:.+]])
// LOC: #[[UP_LOC]] = loc("model.layers.0.mlp.up_proj")
func.func @mlp(%x: tensor<2x64xbf16>, %wu: tensor<128x16xui32>, %su: tensor<128x2xui8>,
               %wd: tensor<64x32xui32>, %sd: tensor<64x4xui8>, %head: tensor<10x64xbf16>) -> tensor<2x10xbf16> {
  %0 = vlm.qmatmul %x, %wu scales(%su) quant<mxfp8> : (tensor<2x64xbf16>, tensor<128x16xui32>, tensor<128x2xui8>) -> tensor<2x128xbf16> loc("model.layers.0.mlp.up_proj")
  %1 = vlm.qmatmul %0, %wd scales(%sd) quant<mxfp8> : (tensor<2x128xbf16>, tensor<64x32xui32>, tensor<64x4xui8>) -> tensor<2x64xbf16>
  %2 = vlm.matmul %1, %head : (tensor<2x64xbf16>, tensor<10x64xbf16>) -> tensor<2x10xbf16>
  return %2 : tensor<2x10xbf16>
}

// -----

// Ops inside nested regions are rewritten too, and mxfp8/nvfp4 may mix.
// CHECK-LABEL: func.func @nested
// CHECK: "test.region"
// CHECK: vlm.qqmatmul {{.+}} quant<nvfp4, bits = 4, group_size = 16>
// CHECK: vlm.qqmatmul {{.+}} quant<mxfp8, bits = 8, group_size = 32>
// CHECK-NOT: vlm.qmatmul
func.func @nested(%x: tensor<1x64xf32>, %w4: tensor<32x8xui32>, %s4: tensor<32x4xui8>,
                  %w8: tensor<32x16xui32>, %s8: tensor<32x2xui8>) -> tensor<1x32xf32> {
  %r = "test.region"() ({
    %0 = vlm.qmatmul %x, %w4 scales(%s4) quant<nvfp4> : (tensor<1x64xf32>, tensor<32x8xui32>, tensor<32x4xui8>) -> tensor<1x32xf32>
    "test.yield"(%0) : (tensor<1x32xf32>) -> ()
  }) : () -> tensor<1x32xf32>
  %1 = vlm.qmatmul %x, %w8 scales(%s8) quant<mxfp8> : (tensor<1x64xf32>, tensor<32x16xui32>, tensor<32x2xui8>) -> tensor<1x32xf32>
  return %1 : tensor<1x32xf32>
}

// -----

// Affine has no activation quantization: the pass fails on the op.
func.func @affine(%x: tensor<1x64xbf16>, %w: tensor<32x8xui32>, %s: tensor<32x1xbf16>) -> tensor<1x32xbf16> {
  // expected-error @+1 {{mode affine does not support activation quantization; supported modes: mxfp8, nvfp4}}
  %0 = vlm.qmatmul %x, %w scales(%s) biases(%s) quant<affine> : (tensor<1x64xbf16>, tensor<32x8xui32>, tensor<32x1xbf16>, tensor<32x1xbf16>) -> tensor<1x32xbf16>
  return %0 : tensor<1x32xbf16>
}

// -----

// mxfp4 is rejected the same way (MLX's QQLinear supports only mxfp8 and
// nvfp4), and every offending layer is reported, not just the first.
func.func @mxfp4_and_affine(%x: tensor<1x64xbf16>, %w: tensor<32x8xui32>, %s: tensor<32x2xui8>, %sa: tensor<32x1xbf16>) {
  // expected-error @+1 {{mode mxfp4 does not support activation quantization; supported modes: mxfp8, nvfp4}}
  %0 = vlm.qmatmul %x, %w scales(%s) quant<mxfp4> : (tensor<1x64xbf16>, tensor<32x8xui32>, tensor<32x2xui8>) -> tensor<1x32xbf16>
  // expected-error @+1 {{mode affine does not support activation quantization}}
  %1 = vlm.qmatmul %x, %w scales(%sa) biases(%sa) quant<affine> : (tensor<1x64xbf16>, tensor<32x8xui32>, tensor<32x1xbf16>, tensor<32x1xbf16>) -> tensor<1x32xbf16>
  return
}

// -----

// A model with only unquantized layers is left as is.
// CHECK-LABEL: func.func @float_only
// CHECK: vlm.matmul
// CHECK-NOT: vlm.qqmatmul
func.func @float_only(%x: tensor<1x64xf32>, %w: tensor<8x64xf32>) -> tensor<1x8xf32> {
  %0 = vlm.matmul %x, %w : (tensor<1x64xf32>, tensor<8x64xf32>) -> tensor<1x8xf32>
  return %0 : tensor<1x8xf32>
}
