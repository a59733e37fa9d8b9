// RUN: vlm-opt %s -split-input-file -allow-unregistered-dialect -vlm-quantize-weights -verify-diagnostics | FileCheck %s --check-prefix=AFFINE
// RUN: vlm-opt %s -split-input-file -allow-unregistered-dialect -vlm-quantize-weights="mode=nvfp4 nvfp4-global-scale" -verify-diagnostics | FileCheck %s --check-prefix=NVFP4
// RUN: vlm-opt %s -split-input-file -allow-unregistered-dialect -vlm-quantize-weights="mode=mxfp8 quantize-vision" -verify-diagnostics | FileCheck %s --check-prefix=VISION
// RUN: vlm-opt %S/Inputs/mixed-recipe.mlir -allow-unregistered-dialect -vlm-quantize-weights="quant-predicate=mixed_3_6" | FileCheck %s --check-prefix=MIXED
// RUN: not vlm-opt %s -split-input-file -allow-unregistered-dialect -vlm-quantize-weights="quant-predicate=mixed_5_7" 2>&1 | FileCheck %s --check-prefix=BADRECIPE
// RUN: not vlm-opt %S/Inputs/mixed-recipe.mlir -allow-unregistered-dialect -vlm-quantize-weights="mode=mxfp8 nvfp4-global-scale" 2>&1 | FileCheck %s --check-prefix=BADSCALE
// RUN: not vlm-opt %S/Inputs/mixed-recipe.mlir -allow-unregistered-dialect -vlm-quantize-weights="mode=mxfp4 group-size=64" 2>&1 | FileCheck %s --check-prefix=BADGROUP

// A Linear layer with a bias: the float parameter becomes the three parts MLX
// stores, derived from the same source tensor; the bias and the layer name
// stay. Affine scales and biases take the checkpoint dtype (bf16 here).
// AFFINE-LABEL: func.func @linear
// AFFINE: %[[W:.+]] = vlm.parameter "language_model.model.layers.0.self_attn.q_proj.weight" {quantize = #vlm.quant<affine, bits = 4, group_size = 64>, source = "model.layers.0.self_attn.q_proj.weight"} : tensor<128x16xui32>
// AFFINE: %[[S:.+]] = vlm.parameter "language_model.model.layers.0.self_attn.q_proj.scales" {quantize = #vlm.quant<affine, bits = 4, group_size = 64>, source = "model.layers.0.self_attn.q_proj.weight"} : tensor<128x2xbf16>
// AFFINE: %[[Z:.+]] = vlm.parameter "language_model.model.layers.0.self_attn.q_proj.biases" {{.+}} : tensor<128x2xbf16>
// AFFINE: vlm.qmatmul %{{.+}}, %[[W]] scales(%[[S]]) biases(%[[Z]]) bias(%{{.+}}) quant<affine, bits = 4, group_size = 64>
// NVFP4-LABEL: func.func @linear
// NVFP4: vlm.parameter "language_model.model.layers.0.self_attn.q_proj.weight" {{.+}} : tensor<128x16xui32>
// NVFP4: vlm.parameter "language_model.model.layers.0.self_attn.q_proj.scales" {{.+}} : tensor<128x8xui8>
// NVFP4-NOT: q_proj.biases
// NVFP4: %[[G:.+]] = vlm.parameter "language_model.model.layers.0.self_attn.q_proj.global_scale" {quantize = #vlm.quant<nvfp4, bits = 4, group_size = 16, global_scale>, {{.+}}} : tensor<1xf32>
// NVFP4: vlm.qmatmul {{.+}} global_scale(%[[G]]) bias(%{{.+}}) quant<nvfp4, bits = 4, group_size = 16, global_scale>
module attributes {vlm.dtype = "bfloat16", vlm.num_layers = 2 : i64} {
  func.func @linear(%x: tensor<?x128xf32>) -> tensor<?x128xf32> {
    %w = vlm.parameter "language_model.model.layers.0.self_attn.q_proj.weight" {source = "model.layers.0.self_attn.q_proj.weight"} : tensor<128x128xf32>
    %b = vlm.parameter "language_model.model.layers.0.self_attn.q_proj.bias" : tensor<128xf32>
    %y = vlm.matmul %x, %w bias(%b) : (tensor<?x128xf32>, tensor<128x128xf32>, tensor<128xf32>) -> tensor<?x128xf32> loc("language_model.model.layers.0.self_attn.q_proj")
    return %y : tensor<?x128xf32>
  }
}

// -----

// Vision modules stay in float unless quantize-vision; a row-sliced fused
// weight keeps its row range on every part.
// AFFINE-LABEL: func.func @vision
// AFFINE: vlm.matmul
// AFFINE-NOT: vlm.qmatmul
// VISION-LABEL: func.func @vision
// VISION: vlm.parameter "vision_tower.blocks.0.attn.qkv.weight" {quantize = #vlm.quant<mxfp8, bits = 8, group_size = 32>, rows = array<i64: 64, 128>} : tensor<64x16xui32>
// VISION: vlm.parameter "vision_tower.blocks.0.attn.qkv.scales" {{.+}} rows = array<i64: 64, 128>, source = "vision_tower.blocks.0.attn.qkv.weight"} : tensor<64x2xui8>
// VISION: vlm.qmatmul {{.+}} quant<mxfp8, bits = 8, group_size = 32>
module attributes {vlm.dtype = "bfloat16", vlm.num_layers = 2 : i64} {
  func.func @vision(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
    %w = vlm.parameter "vision_tower.blocks.0.attn.qkv.weight" {rows = array<i64: 64, 128>} : tensor<64x64xf32>
    %y = vlm.matmul %x, %w : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
    return %y : tensor<?x64xf32>
  }
}

// -----

// Embedding tables are quantized too (MLX's QuantizedEmbedding), and a layer
// whose input dim is not a multiple of the group size stays in float with a
// remark (MLX-VLM skips it silently).
// AFFINE-LABEL: func.func @embedding_and_odd_width
// AFFINE: vlm.qembedding {{.+}} quant<affine, bits = 4, group_size = 64> : (tensor<?xi32>, tensor<1000x16xui32>, tensor<1000x2xf32>, tensor<1000x2xf32>) -> tensor<?x128xf32>
// AFFINE: vlm.matmul {{.+}} : (tensor<?x100xf32>, tensor<128x100xf32>)
module attributes {vlm.dtype = "float32", vlm.num_layers = 2 : i64} {
  func.func @embedding_and_odd_width(%ids: tensor<?xi32>, %h: tensor<?x100xf32>) -> (tensor<?x128xf32>, tensor<?x128xf32>) {
    %t = vlm.parameter "language_model.model.embed_tokens.weight" : tensor<1000x128xf32>
    %e = vlm.embedding %ids, %t : (tensor<?xi32>, tensor<1000x128xf32>) -> tensor<?x128xf32>
    // expected-remark @+1 {{layer 'language_model.model.layers.0.mlp.down_proj' stays in float: its input dim 100 is not a multiple of the group size}}
    %w = vlm.parameter "language_model.model.layers.0.mlp.down_proj.weight" : tensor<128x100xf32>
    %y = vlm.matmul %h, %w : (tensor<?x100xf32>, tensor<128x100xf32>) -> tensor<?x128xf32>
    return %e, %y : tensor<?x128xf32>, tensor<?x128xf32>
  }
}

// -----

// Layers that are already quantized (an MLX checkpoint) are left as they are.
// AFFINE-LABEL: func.func @prequantized
// AFFINE: vlm.qmatmul {{.+}} quant<mxfp4, bits = 4, group_size = 32>
module attributes {vlm.dtype = "bfloat16", vlm.num_layers = 2 : i64} {
  func.func @prequantized(%x: tensor<?x64xf32>) -> tensor<?x32xf32> {
    %w = vlm.parameter "language_model.model.layers.0.mlp.up_proj.weight" : tensor<32x8xui32>
    %s = vlm.parameter "language_model.model.layers.0.mlp.up_proj.scales" : tensor<32x2xui8>
    %y = vlm.qmatmul %x, %w scales(%s) quant<mxfp4> : (tensor<?x64xf32>, tensor<32x8xui32>, tensor<32x2xui8>) -> tensor<?x32xf32>
    return %y : tensor<?x32xf32>
  }
}

// mixed_3_6 over 8 layers (mlx_vlm's Q4_K_M-like rule): v_proj and down_proj
// get 6 bits in layers i < N/8, i >= 7N/8 or (i - N/8) % 3 == 2 — here 0, 3,
// 6 and 7 — lm_head and embed_tokens always get 6 bits, everything else 3;
// all affine with group 64.
// MIXED-LABEL: func.func @mixed
// MIXED: "language_model.model.layers.0.self_attn.v_proj.weight" {quantize = #vlm.quant<affine, bits = 6, group_size = 64>
// MIXED: "language_model.model.layers.0.self_attn.q_proj.weight" {quantize = #vlm.quant<affine, bits = 3, group_size = 64>
// MIXED: "language_model.model.layers.1.self_attn.v_proj.weight" {quantize = #vlm.quant<affine, bits = 3, group_size = 64>
// MIXED: "language_model.model.layers.3.mlp.down_proj.weight" {quantize = #vlm.quant<affine, bits = 6, group_size = 64>
// MIXED: "language_model.model.layers.4.mlp.down_proj.weight" {quantize = #vlm.quant<affine, bits = 3, group_size = 64>
// MIXED: "language_model.model.layers.7.self_attn.v_proj.weight" {quantize = #vlm.quant<affine, bits = 6, group_size = 64>
// MIXED: "language_model.lm_head.weight" {quantize = #vlm.quant<affine, bits = 6, group_size = 64>
// BADRECIPE: error: Invalid quant recipe mixed_5_7
// BADSCALE: error: --nvfp4-global-scale requires --q-mode nvfp4
// BADGROUP: error: [quantize] mxfp4 quantization requires group size 32 but got 64.
