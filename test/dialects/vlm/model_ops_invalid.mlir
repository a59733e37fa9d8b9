// RUN: vlm-opt %s -split-input-file -verify-diagnostics

func.func @param_empty() {
  // expected-error @+1 {{parameter key must not be empty}}
  %0 = vlm.parameter "" : tensor<4xf32>
  return
}

// -----

func.func @param_dynamic() {
  // expected-error @+1 {{parameter model::w must have a static shape, got 'tensor<?xf32>'}}
  %0 = vlm.parameter "w" : tensor<?xf32>
  return
}

// -----

func.func @embedding_width(%ids: tensor<6xi32>, %t: tensor<100x64xf32>) {
  // expected-error @+1 {{'vlm.embedding' op result last dim is 32 but must be 64 (the table's row width)}}
  %0 = vlm.embedding %ids, %t : (tensor<6xi32>, tensor<100x64xf32>) -> tensor<6x32xf32>
  return
}

// -----

func.func @embedding_rank(%ids: tensor<2x6xi32>, %t: tensor<100x64xf32>) {
  // expected-error @+1 {{'vlm.embedding' op result rank 2 must be the ids rank + 1 (3)}}
  %0 = vlm.embedding %ids, %t : (tensor<2x6xi32>, tensor<100x64xf32>) -> tensor<6x64xf32>
  return
}

// -----

func.func @qembedding_packing(%ids: tensor<6xi32>, %w: tensor<100x8xui32>, %s: tensor<100x2xui8>) {
  // expected-error @+1 {{'vlm.qembedding' op packed weight dim 1 is 8 but must be 16 (K * bits / 32 uint32 words per row)}}
  %0 = vlm.qembedding %ids, %w scales(%s) quant<mxfp8> : (tensor<6xi32>, tensor<100x8xui32>, tensor<100x2xui8>) -> tensor<6x64xf32>
  return
}

// -----

func.func @rms_weight(%x: tensor<6x128xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{'vlm.rms_norm' op weight length is 64 but must be 128 (D, the input's last dim)}}
  %0 = vlm.rms_norm %x, %w {epsilon = 1.0e-6 : f32} : (tensor<6x128xf32>, tensor<64xf32>) -> tensor<6x128xf32>
  return
}

// -----

func.func @rms_epsilon(%x: tensor<6x128xf32>, %w: tensor<128xf32>) {
  // expected-error @+1 {{'vlm.rms_norm' op epsilon must be positive, got 0}}
  %0 = vlm.rms_norm %x, %w {epsilon = 0.0 : f32} : (tensor<6x128xf32>, tensor<128xf32>) -> tensor<6x128xf32>
  return
}

// -----

func.func @add_rms_norm_operands(%a: tensor<6x128xf32>, %b: tensor<6x128xbf16>, %w: tensor<128xf32>) {
  // expected-error @+1 {{'vlm.add_rms_norm' op operands must have one type, got 'tensor<6x128xf32>' and 'tensor<6x128xbf16>'}}
  %0:2 = vlm.add_rms_norm %a, %b, %w {epsilon = 1.0e-6 : f32} : (tensor<6x128xf32>, tensor<6x128xbf16>, tensor<128xf32>) -> (tensor<6x128xf32>, tensor<6x128xf32>)
  return
}

// -----

func.func @add_rms_norm_weight(%a: tensor<6x128xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{'vlm.add_rms_norm' op weight length is 64 but must be 128 (D, the input's last dim)}}
  %0:2 = vlm.add_rms_norm %a, %a, %w {epsilon = 1.0e-6 : f32} : (tensor<6x128xf32>, tensor<6x128xf32>, tensor<64xf32>) -> (tensor<6x128xf32>, tensor<6x128xf32>)
  return
}

// -----

func.func @add_rms_norm_sum_type(%a: tensor<6x128xf32>, %w: tensor<128xf32>) {
  // expected-error @+1 {{'vlm.add_rms_norm' op sum type 'tensor<6x64xf32>' must equal the operand type 'tensor<6x128xf32>'}}
  %0:2 = vlm.add_rms_norm %a, %a, %w {epsilon = 1.0e-6 : f32} : (tensor<6x128xf32>, tensor<6x128xf32>, tensor<128xf32>) -> (tensor<6x64xf32>, tensor<6x128xf32>)
  return
}

// -----

func.func @rope_kv_cache_write_heads(%k: tensor<1x4x32xf32>, %pos: tensor<1xi32>, %cache: tensor<64x2x32xf32>, %off: tensor<i32>) {
  // expected-error @+1 {{'vlm.rope_kv_cache_write' op update dim 1 is 4 but must be 2}}
  %0 = vlm.rope_kv_cache_write %k, %pos into %cache at %off {theta = 1.0e4 : f32} : (tensor<1x4x32xf32>, tensor<1xi32>, tensor<64x2x32xf32>, tensor<i32>) -> tensor<64x2x32xf32>
  return
}

// -----

func.func @rope_kv_cache_write_positions(%k: tensor<2x2x32xf32>, %pos: tensor<3xi32>, %cache: tensor<64x2x32xf32>, %off: tensor<i32>) {
  // expected-error @+1 {{'vlm.rope_kv_cache_write' op positions length is 3 but must be 2}}
  %0 = vlm.rope_kv_cache_write %k, %pos into %cache at %off {theta = 1.0e4 : f32} : (tensor<2x2x32xf32>, tensor<3xi32>, tensor<64x2x32xf32>, tensor<i32>) -> tensor<64x2x32xf32>
  return
}

// -----

func.func @gated_activation_types(%g: tensor<6x256xf32>, %u: tensor<6x128xf32>) {
  // expected-error @+1 {{'vlm.gated_activation' op requires the same type for all operands and results}}
  %0 = "vlm.gated_activation"(%g, %u) {kind = #vlm.activation<silu>} : (tensor<6x256xf32>, tensor<6x128xf32>) -> tensor<6x256xf32>
  return
}

// -----

func.func @layer_norm_bias_type(%x: tensor<6x64xf32>, %w: tensor<64xf32>, %b: tensor<64xbf16>) {
  // expected-error @+1 {{'vlm.layer_norm' op bias element type 'bf16' differs from the input's 'f32'}}
  %0 = vlm.layer_norm %x, %w, %b {epsilon = 1.0e-6 : f32} : (tensor<6x64xf32>, tensor<64xf32>, tensor<64xbf16>) -> tensor<6x64xf32>
  return
}

// -----

func.func @rope_sections(%q: tensor<6x4x32xf32>, %p: tensor<3x6xi32>) {
  // expected-error @+1 {{'vlm.rope' op sections sum to 14 but must cover the 16 frequencies of head dim 32}}
  %0 = vlm.rope %q, %p {theta = 1.0e6 : f32, sections = array<i64: 4, 4, 6>} : (tensor<6x4x32xf32>, tensor<3x6xi32>) -> tensor<6x4x32xf32>
  return
}

// -----

func.func @rope_streams(%q: tensor<6x4x32xf32>, %p: tensor<2x6xi32>) {
  // expected-error @+1 {{'vlm.rope' op positions streams is 2 but must be 3 (one position stream per section)}}
  %0 = vlm.rope %q, %p {theta = 1.0e6 : f32, sections = array<i64: 4, 6, 6>} : (tensor<6x4x32xf32>, tensor<2x6xi32>) -> tensor<6x4x32xf32>
  return
}

// -----

func.func @rope_needs_sections(%q: tensor<6x4x32xf32>, %p: tensor<3x6xi32>) {
  // expected-error @+1 {{'vlm.rope' op positions of shape [k, S] need sections}}
  %0 = vlm.rope %q, %p {theta = 1.0e6 : f32} : (tensor<6x4x32xf32>, tensor<3x6xi32>) -> tensor<6x4x32xf32>
  return
}

// -----

func.func @rope_odd(%q: tensor<6x4x33xf32>, %p: tensor<6xi32>) {
  // expected-error @+1 {{'vlm.rope' op head dim 33 must be even}}
  %0 = vlm.rope %q, %p {theta = 1.0e4 : f32} : (tensor<6x4x33xf32>, tensor<6xi32>) -> tensor<6x4x33xf32>
  return
}

// -----

func.func @attention_gqa(%q: tensor<6x4x32xf32>, %k: tensor<6x3x32xf32>) {
  // expected-error @+1 {{'vlm.attention' op query heads 4 must be a multiple of the key/value heads 3 (grouped-query attention)}}
  %0 = vlm.attention %q, %k, %k {scale = 0.17 : f32, causal} : (tensor<6x4x32xf32>, tensor<6x3x32xf32>, tensor<6x3x32xf32>) -> tensor<6x4x32xf32>
  return
}

// -----

func.func @attention_head_dim(%q: tensor<6x4x32xf32>, %k: tensor<6x2x16xf32>) {
  // expected-error @+1 {{'vlm.attention' op key head dim is 16 but must be 32 (the query's head dim)}}
  %0 = vlm.attention %q, %k, %k {scale = 0.17 : f32} : (tensor<6x4x32xf32>, tensor<6x2x16xf32>, tensor<6x2x16xf32>) -> tensor<6x4x32xf32>
  return
}

// -----

func.func @attention_kv_length(%q: tensor<1x4x32xf32>, %k: tensor<64x2x32xf32>, %n: tensor<2xi32>) {
  // expected-error @+1 {{'vlm.attention' op kv_length must be a scalar index tensor, got 'tensor<2xi32>'}}
  %0 = vlm.attention %q, %k, %k kv_length(%n) {scale = 0.17 : f32, causal} : (tensor<1x4x32xf32>, tensor<64x2x32xf32>, tensor<64x2x32xf32>, tensor<2xi32>) -> tensor<1x4x32xf32>
  return
}

// -----

func.func @cache_overflow(%c: tensor<4x2x32xf32>, %u: tensor<6x2x32xf32>, %o: tensor<i32>) {
  // expected-error @+1 {{'vlm.kv_cache_write' op update of 6 positions does not fit a cache of 4}}
  %0 = vlm.kv_cache_write %u into %c at %o : (tensor<6x2x32xf32>, tensor<4x2x32xf32>, tensor<i32>) -> tensor<4x2x32xf32>
  return
}

// -----

func.func @pixel_shuffle_grid(%x: tensor<1x60x64xf32>) {
  // expected-error @+1 {{'vlm.pixel_shuffle' op 60 patches do not form a square grid whose side is divisible by the scale 2}}
  %0 = vlm.pixel_shuffle %x {scale = 2} : (tensor<1x60x64xf32>) -> tensor<1x15x256xf32>
  return
}

// -----

func.func @pixel_shuffle_channels(%x: tensor<1x64x64xf32>) {
  // expected-error @+1 {{'vlm.pixel_shuffle' op result dim 2 is 128 but must be 256 (channels · scale²)}}
  %0 = vlm.pixel_shuffle %x {scale = 2} : (tensor<1x64x64xf32>) -> tensor<1x16x128xf32>
  return
}

// -----

func.func @splice_width(%e: tensor<6x128xf32>, %i: tensor<2x64xf32>, %ids: tensor<6xi32>) {
  // expected-error @+1 {{'vlm.splice_image_tokens' op image embedding width is 64 but must be 128 (the text embedding width)}}
  %0 = vlm.splice_image_tokens %i into %e where %ids {image_token_id = 7} : (tensor<2x64xf32>, tensor<6x128xf32>, tensor<6xi32>) -> tensor<6x128xf32>
  return
}

// -----

func.func @activation_kind(%x: tensor<4xf32>) {
  // expected-error @+2 {{expected ::mlir::vlm::ActivationKind to be one of: silu, gelu, gelu_tanh, quick_gelu}}
  // expected-error @+1 {{failed to parse Vlm_ActivationKindAttr parameter 'value'}}
  %0 = vlm.activation <relu> %x : tensor<4xf32>
  return
}

// -----

func.func @add_types(%a: tensor<4xf32>, %b: tensor<4xbf16>) {
  // expected-error @+1 {{'vlm.add' op requires the same type for all operands and results}}
  %0 = "vlm.add"(%a, %b) : (tensor<4xf32>, tensor<4xbf16>) -> tensor<4xf32>
  return
}

// -----

func.func @param_rows() {
  // expected-error @+1 {{rows must be [begin, end) with 0 <= begin < end}}
  %0 = vlm.parameter "w" {rows = array<i64: 8, 4>} : tensor<4x4xf32>
  return
}

// -----

func.func @param_permutation() {
  // expected-error @+1 {{permutation must be a permutation of 0..rank-1}}
  %0 = vlm.parameter "w" {permutation = array<i64: 0, 0>} : tensor<4x4xf32>
  return
}

// -----

func.func @reshape_count(%x: tensor<6x64xf32>) {
  // expected-error @+1 {{'vlm.reshape' op cannot reshape 'tensor<6x64xf32>' into 'tensor<6x4x8xf32>': element counts differ}}
  %0 = vlm.reshape %x : (tensor<6x64xf32>) -> tensor<6x4x8xf32>
  return
}

// -----

func.func @reshape_dynamic(%x: tensor<?x64xf32>) {
  // expected-error @+1 {{'vlm.reshape' op input and result must have the same number (0 or 1) of dynamic dims, got 1 and 0}}
  %0 = vlm.reshape %x : (tensor<?x64xf32>) -> tensor<6x64xf32>
  return
}

// -----

func.func @rope_kv_pair_values_shape(%k: tensor<1x2x32xf32>, %v: tensor<2x2x32xf32>, %pos: tensor<1xi32>, %cache: tensor<64x2x32xf32>, %off: tensor<i32>) {
  // expected-error @+1 {{'vlm.rope_kv_pair_cache_write' op keys and values, and the two caches, must have one type each}}
  %0:2 = vlm.rope_kv_pair_cache_write %k, %pos into %cache, %v into %cache at %off {theta = 1.0e4 : f32} : (tensor<1x2x32xf32>, tensor<1xi32>, tensor<64x2x32xf32>, tensor<i32>, tensor<2x2x32xf32>, tensor<64x2x32xf32>) -> (tensor<64x2x32xf32>, tensor<64x2x32xf32>)
  return
}

// -----

func.func @rope_kv_pair_value_result(%k: tensor<1x2x32xf32>, %pos: tensor<1xi32>, %cache: tensor<64x2x32xf32>, %off: tensor<i32>) {
  // expected-error @+1 {{'vlm.rope_kv_pair_cache_write' op result type must equal the cache type}}
  %0:2 = vlm.rope_kv_pair_cache_write %k, %pos into %cache, %k into %cache at %off {theta = 1.0e4 : f32} : (tensor<1x2x32xf32>, tensor<1xi32>, tensor<64x2x32xf32>, tensor<i32>, tensor<1x2x32xf32>, tensor<64x2x32xf32>) -> (tensor<64x2x32xf32>, tensor<32x2x32xf32>)
  return
}

// -----

func.func @rope_kv_pair_positions(%k: tensor<2x2x32xf32>, %pos: tensor<3xi32>, %cache: tensor<64x2x32xf32>, %off: tensor<i32>) {
  // expected-error @+1 {{'vlm.rope_kv_pair_cache_write' op positions length is 3 but must be 2}}
  %0:2 = vlm.rope_kv_pair_cache_write %k, %pos into %cache, %k into %cache at %off {theta = 1.0e4 : f32} : (tensor<2x2x32xf32>, tensor<3xi32>, tensor<64x2x32xf32>, tensor<i32>, tensor<2x2x32xf32>, tensor<64x2x32xf32>) -> (tensor<64x2x32xf32>, tensor<64x2x32xf32>)
  return
}
