// RUN: vlm-opt %s -split-input-file | FileCheck %s
// RUN: vlm-opt %s -split-input-file | vlm-opt -split-input-file | FileCheck %s

// One Qwen2-VL text decoder layer (hidden 128, 4 query / 2 KV heads of 32,
// MLP 256) in prefill form over 6 tokens, written with every op class.
// CHECK-LABEL: func.func @qwen2_layer
// CHECK: vlm.parameter "model.embed_tokens.weight" : tensor<1500x128xbf16>
// CHECK: vlm.parameter "layers.0.input_layernorm.weight" {scope = "lm"} : tensor<128xbf16>
// CHECK: vlm.embedding %{{.+}}, %{{.+}} : (tensor<6xi32>, tensor<1500x128xbf16>) -> tensor<6x128xbf16>
// CHECK: vlm.splice_image_tokens %{{.+}} into %{{.+}} where %{{.+}} {image_token_id = 1505 : i64}
// CHECK: vlm.rms_norm %{{.+}}, %{{.+}} {epsilon = 9.99999997E-7 : f32}
// CHECK: vlm.rope %{{.+}}, %{{.+}} {sections = array<i64: 4, 6, 6>, theta = 1.000000e+06 : f32}
// CHECK: vlm.kv_cache_write %{{.+}} into %{{.+}} at %{{.+}} : (tensor<6x2x32xbf16>, tensor<64x2x32xbf16>, tensor<i32>) -> tensor<64x2x32xbf16>
// CHECK: vlm.attention %{{.+}}, %{{.+}}, %{{.+}} kv_length(%{{.+}}) {causal, scale = 0.17677{{[0-9]+}} : f32}
// CHECK: vlm.add
// CHECK: vlm.activation <silu> %{{.+}} : tensor<6x256xbf16>
// CHECK: vlm.mul
func.func @qwen2_layer(%ids: tensor<6xi32>, %img: tensor<2x128xbf16>, %pos: tensor<3x6xi32>,
                       %cache: tensor<64x2x32xbf16>, %off: tensor<i32>, %len: tensor<i32>,
                       %q: tensor<6x4x32xbf16>, %k: tensor<6x2x32xbf16>,
                       %gate: tensor<6x256xbf16>, %up: tensor<6x256xbf16>) -> tensor<6x256xbf16> {
  %table = vlm.parameter "model.embed_tokens.weight" : tensor<1500x128xbf16>
  %nw = vlm.parameter "layers.0.input_layernorm.weight" {scope = "lm"} : tensor<128xbf16>
  %e = vlm.embedding %ids, %table : (tensor<6xi32>, tensor<1500x128xbf16>) -> tensor<6x128xbf16>
  %s = vlm.splice_image_tokens %img into %e where %ids {image_token_id = 1505} : (tensor<2x128xbf16>, tensor<6x128xbf16>, tensor<6xi32>) -> tensor<6x128xbf16>
  %h = vlm.rms_norm %s, %nw {epsilon = 1.0e-6 : f32} : (tensor<6x128xbf16>, tensor<128xbf16>) -> tensor<6x128xbf16>
  %qr = vlm.rope %q, %pos {theta = 1.0e6 : f32, sections = array<i64: 4, 6, 6>} : (tensor<6x4x32xbf16>, tensor<3x6xi32>) -> tensor<6x4x32xbf16>
  %kc = vlm.kv_cache_write %k into %cache at %off : (tensor<6x2x32xbf16>, tensor<64x2x32xbf16>, tensor<i32>) -> tensor<64x2x32xbf16>
  %a = vlm.attention %qr, %kc, %kc kv_length(%len) {scale = 0.1767767 : f32, causal} : (tensor<6x4x32xbf16>, tensor<64x2x32xbf16>, tensor<64x2x32xbf16>, tensor<i32>) -> tensor<6x4x32xbf16>
  %r = vlm.add %gate, %up : tensor<6x256xbf16>
  %g = vlm.activation <silu> %r : tensor<6x256xbf16>
  %m = vlm.mul %g, %up : tensor<6x256xbf16>
  return %m : tensor<6x256xbf16>
}

// -----

// Vision side: LayerNorm, 2-D RoPE, block-diagonal attention, quick_gelu,
// Idefics3's pixel shuffle and an MLX-quantized embedding.
// CHECK-LABEL: func.func @vision
// CHECK: vlm.layer_norm
// CHECK: vlm.rope %{{.+}}, %{{.+}} {sections = array<i64: 8, 8>, theta = 1.000000e+04 : f32}
// CHECK: vlm.attention %{{.+}}, %{{.+}}, %{{.+}} segments(%{{.+}}) {scale = 2.500000e-01 : f32}
// CHECK: vlm.activation <quick_gelu>
// CHECK: vlm.pixel_shuffle %{{.+}} {scale = 2 : i64} : (tensor<9x64x64xf32>) -> tensor<9x16x256xf32>
// CHECK: vlm.qembedding %{{.+}}, %{{.+}} scales(%{{.+}}) biases(%{{.+}}) quant<affine, bits = 4, group_size = 64>
func.func @vision(%x: tensor<16x64xf32>, %w: tensor<64xf32>, %b: tensor<64xf32>,
                  %qkv: tensor<16x4x32xf32>, %pos: tensor<2x16xi32>, %cu: tensor<3xi32>,
                  %tiles: tensor<9x64x64xf32>, %ids: tensor<1x5xi32>, %wq: tensor<1500x16xui32>,
                  %sq: tensor<1500x2xbf16>) {
  %0 = vlm.layer_norm %x, %w, %b {epsilon = 1.0e-6 : f32} : (tensor<16x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<16x64xf32>
  %1 = vlm.rope %qkv, %pos {theta = 1.0e4 : f32, sections = array<i64: 8, 8>} : (tensor<16x4x32xf32>, tensor<2x16xi32>) -> tensor<16x4x32xf32>
  %2 = vlm.attention %1, %1, %1 segments(%cu) {scale = 0.25 : f32} : (tensor<16x4x32xf32>, tensor<16x4x32xf32>, tensor<16x4x32xf32>, tensor<3xi32>) -> tensor<16x4x32xf32>
  %3 = vlm.activation <quick_gelu> %0 : tensor<16x64xf32>
  %4 = vlm.pixel_shuffle %tiles {scale = 2} : (tensor<9x64x64xf32>) -> tensor<9x16x256xf32>
  %5 = vlm.qembedding %ids, %wq scales(%sq) biases(%sq) quant<affine> : (tensor<1x5xi32>, tensor<1500x16xui32>, tensor<1500x2xbf16>, tensor<1500x2xbf16>) -> tensor<1x5x128xbf16>
  return
}

// -----

// Parameters that are derived from stored tensors; reshapes around attention.
// CHECK-LABEL: func.func @derived_parameters
// CHECK: vlm.parameter "vision_tower.blocks.0.attn.qkv.weight" {rows = array<i64: 64, 128>} : tensor<64x64xbf16>
// CHECK: vlm.parameter "vision_tower.patch_embed.proj.weight" {permutation = array<i64: 0, 4, 1, 2, 3>} : tensor<64x1176xbf16>
// CHECK: vlm.parameter "language_model.lm_head.scales" {quantize = #vlm.quant<nvfp4, bits = 4, group_size = 16>, source = "lm_head.weight"} : tensor<1508x8xui8>
// CHECK: vlm.reshape %{{.+}} : (tensor<?x64xf32>) -> tensor<?x4x16xf32>
// CHECK: vlm.rope %{{.+}}, %{{.+}} {axial, sections = array<i64: 4, 4>, theta = 1.000000e+04 : f32}
func.func @derived_parameters(%x: tensor<?x64xf32>, %pos: tensor<2x?xi32>) -> tensor<?x4x16xf32> {
  %k = vlm.parameter "vision_tower.blocks.0.attn.qkv.weight" {rows = array<i64: 64, 128>} : tensor<64x64xbf16>
  %p = vlm.parameter "vision_tower.patch_embed.proj.weight" {permutation = array<i64: 0, 4, 1, 2, 3>} : tensor<64x1176xbf16>
  %s = vlm.parameter "language_model.lm_head.scales" {source = "lm_head.weight", quantize = #vlm.quant<nvfp4>} : tensor<1508x8xui8>
  %h = vlm.reshape %x : (tensor<?x64xf32>) -> tensor<?x4x16xf32>
  %r = vlm.rope %h, %pos {theta = 1.0e4 : f32, sections = array<i64: 4, 4>, axial} : (tensor<?x4x16xf32>, tensor<2x?xi32>) -> tensor<?x4x16xf32>
  return %r : tensor<?x4x16xf32>
}

// -----

// The fused ops vlm-fuse-ops forms.
// CHECK-LABEL: func.func @fused
// CHECK: %{{.+}}, %{{.+}} = vlm.add_rms_norm %{{.+}}, %{{.+}}, %{{.+}} {epsilon = 9.99999997E-7 : f32} : (tensor<1x128xbf16>, tensor<1x128xbf16>, tensor<128xbf16>) -> (tensor<1x128xbf16>, tensor<1x128xbf16>)
// CHECK: vlm.gated_activation <silu> %{{.+}}, %{{.+}} : tensor<1x256xbf16>
// CHECK: vlm.rope_kv_cache_write %{{.+}}, %{{.+}} into %{{.+}} at %{{.+}} {theta = 1.000000e+04 : f32} : (tensor<1x2x32xbf16>, tensor<1xi32>, tensor<64x2x32xbf16>, tensor<i32>) -> tensor<64x2x32xbf16>
// CHECK: %{{.+}}, %{{.+}} = vlm.rope_kv_pair_cache_write %{{.+}}, %{{.+}} into %{{.+}}, %{{.+}} into %{{.+}} at %{{.+}} {theta = 1.000000e+04 : f32} : (tensor<1x2x32xbf16>, tensor<1xi32>, tensor<64x2x32xbf16>, tensor<i32>, tensor<1x2x32xbf16>, tensor<64x2x32xbf16>) -> (tensor<64x2x32xbf16>, tensor<64x2x32xbf16>)
func.func @fused(%a: tensor<1x128xbf16>, %b: tensor<1x128xbf16>, %w: tensor<128xbf16>,
                 %gate: tensor<1x256xbf16>, %up: tensor<1x256xbf16>, %k: tensor<1x2x32xbf16>,
                 %pos: tensor<1xi32>, %cache: tensor<64x2x32xbf16>, %off: tensor<i32>) -> (tensor<1x128xbf16>, tensor<1x256xbf16>) {
  %sum, %normed = vlm.add_rms_norm %a, %b, %w {epsilon = 1.0e-6 : f32} : (tensor<1x128xbf16>, tensor<1x128xbf16>, tensor<128xbf16>) -> (tensor<1x128xbf16>, tensor<1x128xbf16>)
  %m = vlm.gated_activation <silu> %gate, %up : tensor<1x256xbf16>
  %c = vlm.rope_kv_cache_write %k, %pos into %cache at %off {theta = 1.0e4 : f32} : (tensor<1x2x32xbf16>, tensor<1xi32>, tensor<64x2x32xbf16>, tensor<i32>) -> tensor<64x2x32xbf16>
  %kc, %vc = vlm.rope_kv_pair_cache_write %k, %pos into %cache, %k into %cache at %off {theta = 1.0e4 : f32} : (tensor<1x2x32xbf16>, tensor<1xi32>, tensor<64x2x32xbf16>, tensor<i32>, tensor<1x2x32xbf16>, tensor<64x2x32xbf16>) -> (tensor<64x2x32xbf16>, tensor<64x2x32xbf16>)
  return %sum, %m : tensor<1x128xbf16>, tensor<1x256xbf16>
}
