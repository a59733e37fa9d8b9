// RUN: vlm-opt %s -split-input-file -pass-pipeline='builtin.module(vlm-activation-quantization-pipeline{target=cuda})' | FileCheck %s --check-prefix=QA
// RUN: vlm-opt %s -split-input-file -pass-pipeline='builtin.module(vlm-activation-quantization-pipeline{target=cpu quantize-activations=false})' | FileCheck %s --check-prefix=CPU
// RUN: not vlm-opt %s -split-input-file -pass-pipeline='builtin.module(vlm-activation-quantization-pipeline{target=cuda quantize-activations=false})' 2>&1 | FileCheck %s --check-prefix=NOQA

// With -qa the cuda target accepts the model; without it the target check
// names the layer; the cpu target runs it weight-only.
// QA-LABEL: func.func @attention_proj
// QA: vlm.qqmatmul {{.+}} bias({{.+}}) quant<nvfp4
// CPU-LABEL: func.func @attention_proj
// CPU: vlm.qmatmul {{.+}} bias({{.+}}) quant<nvfp4
// NOQA: error: {{.*}}layer 'model.layers.0.self_attn.q_proj' uses nvfp4 weights, which the cuda target runs only with activation quantization; pass -qa/--quantize-activations
func.func @attention_proj(%x: tensor<1x64xbf16>, %w: tensor<64x8xui32>, %s: tensor<64x4xui8>, %b: tensor<64xbf16>) -> tensor<1x64xbf16> {
  %0 = vlm.qmatmul %x, %w scales(%s) bias(%b) quant<nvfp4> : (tensor<1x64xbf16>, tensor<64x8xui32>, tensor<64x4xui8>, tensor<64xbf16>) -> tensor<1x64xbf16> loc("model.layers.0.self_attn.q_proj")
  return %0 : tensor<1x64xbf16>
}
