// RUN: vlm-opt %s -split-input-file -vlm-fuse-ops | FileCheck %s
// RUN: vlm-opt %s -split-input-file -vlm-fuse-ops -mlir-print-debuginfo | FileCheck %s --check-prefix=LOC

// A decoder layer's residual stream: the add feeding the next norm becomes
// one op whose sum still reaches the later residual add.
// CHECK-LABEL: func.func @residual_norm
// CHECK-SAME: (%[[X:.+]]: tensor<2x64xbf16>, %[[ATTN:.+]]: tensor<2x64xbf16>, %[[MLP:.+]]: tensor<2x64xbf16>, %[[W:.+]]: tensor<64xbf16>)
// CHECK-NOT: vlm.rms_norm
// CHECK: %[[SUM:.+]], %[[NORMED:.+]] = vlm.add_rms_norm %[[X]], %[[ATTN]], %[[W]] {epsilon = 9.99999997E-7 : f32}
// CHECK: %[[OUT:.+]] = vlm.add %[[SUM]], %[[MLP]]
// CHECK: return %[[NORMED]], %[[OUT]]
// LOC-LABEL: func.func @residual_norm
// LOC: vlm.add_rms_norm {{.+}} loc(#[[FUSED:.+]])
// LOC-DAG: #[[NORM:.+]] = loc("model.layers.0.post_attention_layernorm")
// LOC-DAG: #[[FUSED]] = loc(fused[#[[NORM]],
func.func @residual_norm(%x: tensor<2x64xbf16>, %attn: tensor<2x64xbf16>, %mlp: tensor<2x64xbf16>,
                         %w: tensor<64xbf16>) -> (tensor<2x64xbf16>, tensor<2x64xbf16>) {
  %h = vlm.add %x, %attn : tensor<2x64xbf16> loc("model.layers.0.self_attn")
  %n = vlm.rms_norm %h, %w {epsilon = 1.0e-6 : f32} : (tensor<2x64xbf16>, tensor<64xbf16>) -> tensor<2x64xbf16> loc("model.layers.0.post_attention_layernorm")
  %out = vlm.add %h, %mlp : tensor<2x64xbf16>
  return %n, %out : tensor<2x64xbf16>, tensor<2x64xbf16>
}

// -----

// A user of the sum between the add and the norm: the fused op goes where
// the add was, since the weight is already defined there.
// CHECK-LABEL: func.func @user_before_norm
// CHECK: %[[SUM:.+]], %[[NORMED:.+]] = vlm.add_rms_norm
// CHECK-NEXT: %[[EARLY:.+]] = vlm.mul %[[SUM]], %[[SUM]]
// CHECK-NEXT: return %[[NORMED]], %[[EARLY]]
func.func @user_before_norm(%a: tensor<4xf32>, %b: tensor<4xf32>, %w: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %s = vlm.add %a, %b : tensor<4xf32>
  %early = vlm.mul %s, %s : tensor<4xf32>
  %n = vlm.rms_norm %s, %w {epsilon = 1.0e-5 : f32} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %n, %early : tensor<4xf32>, tensor<4xf32>
}

// -----

// ... but not when the norm's weight is defined after that user: no place
// dominates both, so the pair stays.
// CHECK-LABEL: func.func @no_common_point
// CHECK: vlm.add
// CHECK: vlm.rms_norm
// CHECK-NOT: vlm.add_rms_norm
func.func @no_common_point(%a: tensor<4xf32>, %b: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %s = vlm.add %a, %b : tensor<4xf32>
  %early = vlm.mul %s, %s : tensor<4xf32>
  %w = vlm.parameter "norm.weight" : tensor<4xf32>
  %n = vlm.rms_norm %s, %w {epsilon = 1.0e-5 : f32} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %n, %early : tensor<4xf32>, tensor<4xf32>
}

// -----

// LayerNorm and a norm over something other than an add are not fused.
// CHECK-LABEL: func.func @other_norms
// CHECK: vlm.layer_norm
// CHECK: vlm.rms_norm
// CHECK-NOT: vlm.add_rms_norm
func.func @other_norms(%a: tensor<4xf32>, %b: tensor<4xf32>, %w: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %s = vlm.add %a, %b : tensor<4xf32>
  %l = vlm.layer_norm %s, %w, %w {epsilon = 1.0e-5 : f32} : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %m = vlm.mul %a, %b : tensor<4xf32>
  %n = vlm.rms_norm %m, %w {epsilon = 1.0e-5 : f32} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %l, %n : tensor<4xf32>, tensor<4xf32>
}

// -----

// SwiGLU: silu(gate) * up, with the activation on either side of the product.
// CHECK-LABEL: func.func @swiglu
// CHECK-SAME: (%[[G:.+]]: tensor<2x256xbf16>, %[[U:.+]]: tensor<2x256xbf16>)
// CHECK-NOT: vlm.activation
// CHECK: %[[A:.+]] = vlm.gated_activation <silu> %[[G]], %[[U]] : tensor<2x256xbf16>
// CHECK: %[[B:.+]] = vlm.gated_activation <gelu_tanh> %[[U]], %[[G]] : tensor<2x256xbf16>
// CHECK: return %[[A]], %[[B]]
func.func @swiglu(%g: tensor<2x256xbf16>, %u: tensor<2x256xbf16>) -> (tensor<2x256xbf16>, tensor<2x256xbf16>) {
  %act = vlm.activation <silu> %g : tensor<2x256xbf16>
  %m = vlm.mul %act, %u : tensor<2x256xbf16>
  %act2 = vlm.activation <gelu_tanh> %u : tensor<2x256xbf16>
  %m2 = vlm.mul %g, %act2 : tensor<2x256xbf16>
  return %m, %m2 : tensor<2x256xbf16>, tensor<2x256xbf16>
}

// -----

// An activation with another user is still needed on its own: no fusion.
// CHECK-LABEL: func.func @shared_activation
// CHECK: %[[ACT:.+]] = vlm.activation <silu>
// CHECK: vlm.mul %[[ACT]]
// CHECK-NOT: vlm.gated_activation
func.func @shared_activation(%g: tensor<8xf32>, %u: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %act = vlm.activation <silu> %g : tensor<8xf32>
  %m = vlm.mul %act, %u : tensor<8xf32>
  return %m, %act : tensor<8xf32>, tensor<8xf32>
}

// -----

// Keys rotated only to be written into the cache: RoPE writes them there.
// CHECK-LABEL: func.func @rope_into_cache
// CHECK-SAME: (%[[K:.+]]: tensor<1x2x32xbf16>, %[[POS:.+]]: tensor<3x1xi32>, %[[CACHE:.+]]: tensor<64x2x32xbf16>, %[[OFF:.+]]: tensor<i32>)
// CHECK-NOT: vlm.rope %
// CHECK: %[[C:.+]] = vlm.rope_kv_cache_write %[[K]], %[[POS]] into %[[CACHE]] at %[[OFF]] {sections = array<i64: 4, 6, 6>, theta = 1.000000e+06 : f32}
// CHECK: return %[[C]]
func.func @rope_into_cache(%k: tensor<1x2x32xbf16>, %pos: tensor<3x1xi32>, %cache: tensor<64x2x32xbf16>,
                           %off: tensor<i32>) -> tensor<64x2x32xbf16> {
  %r = vlm.rope %k, %pos {theta = 1.0e6 : f32, sections = array<i64: 4, 6, 6>} : (tensor<1x2x32xbf16>, tensor<3x1xi32>) -> tensor<1x2x32xbf16>
  %c = vlm.kv_cache_write %r into %cache at %off : (tensor<1x2x32xbf16>, tensor<64x2x32xbf16>, tensor<i32>) -> tensor<64x2x32xbf16>
  return %c : tensor<64x2x32xbf16>
}

// -----

// The rotated keys also feed attention directly: both ops stay.
// CHECK-LABEL: func.func @rotated_keys_used_twice
// CHECK: vlm.rope
// CHECK: vlm.kv_cache_write
// CHECK-NOT: vlm.rope_kv_cache_write
func.func @rotated_keys_used_twice(%k: tensor<4x2x32xf32>, %pos: tensor<4xi32>, %cache: tensor<64x2x32xf32>,
                                   %off: tensor<i32>) -> (tensor<64x2x32xf32>, tensor<4x2x32xf32>) {
  %r = vlm.rope %k, %pos {theta = 1.0e4 : f32} : (tensor<4x2x32xf32>, tensor<4xi32>) -> tensor<4x2x32xf32>
  %c = vlm.kv_cache_write %r into %cache at %off : (tensor<4x2x32xf32>, tensor<64x2x32xf32>, tensor<i32>) -> tensor<64x2x32xf32>
  return %c, %r : tensor<64x2x32xf32>, tensor<4x2x32xf32>
}

// -----

// A layer's key and value writes, read by one attention: one op writes both.
// CHECK-LABEL: func.func @key_value_pair
// CHECK-SAME: (%[[K:.+]]: tensor<1x2x32xbf16>, %[[V:.+]]: tensor<1x2x32xbf16>, %[[Q:.+]]: tensor<1x4x32xbf16>, %[[POS:.+]]: tensor<1xi32>, %[[KC:.+]]: tensor<64x2x32xbf16>, %[[VC:.+]]: tensor<64x2x32xbf16>, %[[OFF:.+]]: tensor<i32>)
// CHECK-NOT: vlm.kv_cache_write
// CHECK: %[[KR:.+]], %[[VR:.+]] = vlm.rope_kv_pair_cache_write %[[K]], %[[POS]] into %[[KC]], %[[V]] into %[[VC]] at %[[OFF]] {theta = 1.000000e+04 : f32}
// CHECK-NOT: vlm.kv_cache_write
// CHECK: %[[A:.+]] = vlm.attention %[[Q]], %[[KR]], %[[VR]]
// CHECK: return %[[A]], %[[KR]], %[[VR]]
// LOC-LABEL: func.func @key_value_pair
// LOC: vlm.rope_kv_pair_cache_write {{.+}} loc(#[[PAIR:.+]])
// LOC-DAG: #[[KEYS:.+]] = loc("model.layers.0.self_attn.k")
// LOC-DAG: #[[VALUES:.+]] = loc("model.layers.0.self_attn.v")
// LOC-DAG: #[[PAIR]] = loc(fused[#[[KEYS]], #[[VALUES]]])
func.func @key_value_pair(%k: tensor<1x2x32xbf16>, %v: tensor<1x2x32xbf16>, %q: tensor<1x4x32xbf16>,
                          %pos: tensor<1xi32>, %kc: tensor<64x2x32xbf16>, %vc: tensor<64x2x32xbf16>,
                          %off: tensor<i32>) -> (tensor<1x4x32xbf16>, tensor<64x2x32xbf16>, tensor<64x2x32xbf16>) {
  %kr = vlm.rope_kv_cache_write %k, %pos into %kc at %off {theta = 1.0e4 : f32} : (tensor<1x2x32xbf16>, tensor<1xi32>, tensor<64x2x32xbf16>, tensor<i32>) -> tensor<64x2x32xbf16> loc("model.layers.0.self_attn.k")
  %vr = vlm.kv_cache_write %v into %vc at %off : (tensor<1x2x32xbf16>, tensor<64x2x32xbf16>, tensor<i32>) -> tensor<64x2x32xbf16> loc("model.layers.0.self_attn.v")
  %a = vlm.attention %q, %kr, %vr {scale = 0.125 : f32} : (tensor<1x4x32xbf16>, tensor<64x2x32xbf16>, tensor<64x2x32xbf16>) -> tensor<1x4x32xbf16>
  return %a, %kr, %vr : tensor<1x4x32xbf16>, tensor<64x2x32xbf16>, tensor<64x2x32xbf16>
}

// -----

// The value write comes first and the rotated keys' rope runs later: the
// fused op goes at the key write, after both.
// CHECK-LABEL: func.func @values_first
// CHECK: vlm.rope %
// CHECK-NEXT: %{{.+}}, %{{.+}} = vlm.rope_kv_pair_cache_write
// CHECK-NEXT: vlm.attention
func.func @values_first(%k: tensor<1x2x32xf32>, %v: tensor<1x2x32xf32>, %q: tensor<1x4x32xf32>,
                        %pos: tensor<1xi32>, %kc: tensor<64x2x32xf32>, %vc: tensor<64x2x32xf32>,
                        %off: tensor<i32>) -> tensor<1x4x32xf32> {
  %vr = vlm.kv_cache_write %v into %vc at %off : (tensor<1x2x32xf32>, tensor<64x2x32xf32>, tensor<i32>) -> tensor<64x2x32xf32>
  %qr = vlm.rope %q, %pos {theta = 1.0e4 : f32} : (tensor<1x4x32xf32>, tensor<1xi32>) -> tensor<1x4x32xf32>
  %kr = vlm.rope_kv_cache_write %k, %pos into %kc at %off {theta = 1.0e4 : f32} : (tensor<1x2x32xf32>, tensor<1xi32>, tensor<64x2x32xf32>, tensor<i32>) -> tensor<64x2x32xf32>
  %a = vlm.attention %qr, %kr, %vr {scale = 0.125 : f32} : (tensor<1x4x32xf32>, tensor<64x2x32xf32>, tensor<64x2x32xf32>) -> tensor<1x4x32xf32>
  return %a : tensor<1x4x32xf32>
}

// -----

// The value cache is read between the two writes: moving its write later
// would change what that read sees, so both writes stay.
// CHECK-LABEL: func.func @value_cache_read_between
// CHECK: vlm.kv_cache_write
// CHECK: vlm.rope_kv_cache_write
// CHECK-NOT: vlm.rope_kv_pair_cache_write
func.func @value_cache_read_between(%k: tensor<1x2x32xf32>, %v: tensor<1x2x32xf32>, %q: tensor<1x4x32xf32>,
                                    %pos: tensor<1xi32>, %kc: tensor<64x2x32xf32>, %vc: tensor<64x2x32xf32>,
                                    %off: tensor<i32>) -> (tensor<1x4x32xf32>, tensor<64x2x32xf32>) {
  %vr = vlm.kv_cache_write %v into %vc at %off : (tensor<1x2x32xf32>, tensor<64x2x32xf32>, tensor<i32>) -> tensor<64x2x32xf32>
  %early = vlm.add %vr, %vr : tensor<64x2x32xf32>
  %kr = vlm.rope_kv_cache_write %k, %pos into %kc at %off {theta = 1.0e4 : f32} : (tensor<1x2x32xf32>, tensor<1xi32>, tensor<64x2x32xf32>, tensor<i32>) -> tensor<64x2x32xf32>
  %a = vlm.attention %q, %kr, %vr {scale = 0.125 : f32} : (tensor<1x4x32xf32>, tensor<64x2x32xf32>, tensor<64x2x32xf32>) -> tensor<1x4x32xf32>
  return %a, %early : tensor<1x4x32xf32>, tensor<64x2x32xf32>
}

// -----

// Writes at different offsets are not one layer's pair.
// CHECK-LABEL: func.func @different_offsets
// CHECK: vlm.rope_kv_cache_write
// CHECK: vlm.kv_cache_write
// CHECK-NOT: vlm.rope_kv_pair_cache_write
func.func @different_offsets(%k: tensor<1x2x32xf32>, %v: tensor<1x2x32xf32>, %q: tensor<1x4x32xf32>,
                             %pos: tensor<1xi32>, %kc: tensor<64x2x32xf32>, %vc: tensor<64x2x32xf32>,
                             %off: tensor<i32>, %off2: tensor<i32>) -> tensor<1x4x32xf32> {
  %kr = vlm.rope_kv_cache_write %k, %pos into %kc at %off {theta = 1.0e4 : f32} : (tensor<1x2x32xf32>, tensor<1xi32>, tensor<64x2x32xf32>, tensor<i32>) -> tensor<64x2x32xf32>
  %vr = vlm.kv_cache_write %v into %vc at %off2 : (tensor<1x2x32xf32>, tensor<64x2x32xf32>, tensor<i32>) -> tensor<64x2x32xf32>
  %a = vlm.attention %q, %kr, %vr {scale = 0.125 : f32} : (tensor<1x4x32xf32>, tensor<64x2x32xf32>, tensor<64x2x32xf32>) -> tensor<1x4x32xf32>
  return %a : tensor<1x4x32xf32>
}
