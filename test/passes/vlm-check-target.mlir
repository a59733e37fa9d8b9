// RUN: vlm-opt %s -split-input-file -vlm-check-target=target=cuda -verify-diagnostics | FileCheck %s --check-prefix=CUDA
// RUN: vlm-opt %s -split-input-file -vlm-check-target=target=cpu | FileCheck %s --check-prefix=CPU
// RUN: not vlm-opt %s -split-input-file -vlm-check-target=target=tpu 2>&1 | FileCheck %s --check-prefix=BAD

// On the cpu target every mode runs weight-only.
// CPU-LABEL: func.func @mxfp8_weight_only
// CPU: vlm.qmatmul {{.+}} quant<mxfp8
// BAD: unknown target 'tpu'; expected cuda or cpu
func.func @mxfp8_weight_only(%x: tensor<1x64xbf16>, %w: tensor<32x16xui32>, %s: tensor<32x2xui8>) -> tensor<1x32xbf16> {
  // A bare name location has no source position: the error is reported there.
  // expected-error @unknown {{layer 'model.layers.3.mlp.gate_proj' uses mxfp8 weights, which the cuda target runs only with activation quantization; pass -qa/--quantize-activations (or compile for the cpu target)}}
  %0 = vlm.qmatmul %x, %w scales(%s) quant<mxfp8> : (tensor<1x64xbf16>, tensor<32x16xui32>, tensor<32x2xui8>) -> tensor<1x32xbf16> loc("model.layers.3.mlp.gate_proj")
  return %0 : tensor<1x32xbf16>
}

// -----

// CPU-LABEL: func.func @nvfp4_weight_only
// CPU: vlm.qmatmul {{.+}} quant<nvfp4
func.func @nvfp4_weight_only(%x: tensor<1x64xbf16>, %w: tensor<32x8xui32>, %s: tensor<32x4xui8>) -> tensor<1x32xbf16> {
  // expected-error @unknown {{layer 'lm_head' uses nvfp4 weights}}
  %0 = vlm.qmatmul %x, %w scales(%s) quant<nvfp4> : (tensor<1x64xbf16>, tensor<32x8xui32>, tensor<32x4xui8>) -> tensor<1x32xbf16> loc(fused<"importer">["lm_head"])
  // An op without a name location is still reported, at its own location.
  // expected-error @+1 {{layer '<unnamed>' uses nvfp4 weights}}
  %1 = vlm.qmatmul %x, %w scales(%s) quant<nvfp4> : (tensor<1x64xbf16>, tensor<32x8xui32>, tensor<32x4xui8>) -> tensor<1x32xbf16>
  return %0 : tensor<1x32xbf16>
}

// -----

// Affine and mxfp4 run weight-only on CUDA; activation-quantized layers pass.
// CUDA-LABEL: func.func @cuda_legal
// CUDA: vlm.qmatmul {{.+}} quant<affine
// CUDA: vlm.qmatmul {{.+}} quant<mxfp4
// CUDA: vlm.qqmatmul {{.+}} quant<nvfp4
// CUDA: vlm.matmul
// CPU-LABEL: func.func @cuda_legal
func.func @cuda_legal(%x: tensor<1x64xbf16>, %w: tensor<32x8xui32>, %sa: tensor<32x1xbf16>,
                      %s: tensor<32x2xui8>, %s16: tensor<32x4xui8>, %wf: tensor<32x64xbf16>) {
  %0 = vlm.qmatmul %x, %w scales(%sa) biases(%sa) quant<affine> : (tensor<1x64xbf16>, tensor<32x8xui32>, tensor<32x1xbf16>, tensor<32x1xbf16>) -> tensor<1x32xbf16>
  %1 = vlm.qmatmul %x, %w scales(%s) quant<mxfp4> : (tensor<1x64xbf16>, tensor<32x8xui32>, tensor<32x2xui8>) -> tensor<1x32xbf16>
  %2 = vlm.qqmatmul %x, %w scales(%s16) quant<nvfp4> : (tensor<1x64xbf16>, tensor<32x8xui32>, tensor<32x4xui8>) -> tensor<1x32xbf16>
  %3 = vlm.matmul %x, %wf : (tensor<1x64xbf16>, tensor<32x64xbf16>) -> tensor<1x32xbf16>
  return
}
