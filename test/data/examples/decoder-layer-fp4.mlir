// The linear layers of one Qwen2-VL-style decoder layer (hidden 128, 4 query
// heads and 2 KV heads of 32, MLP 256), quantized as an MLX checkpoint would
// be: attention projections in nvfp4 (q/k/v keep their Linear bias), the MLP in
// mxfp8. Norms, RoPE, attention and SiLU(gate)*up join when the importer
// lands; here the q projection stands in for the attention output and the gate
// projection feeds nothing, so canonicalization removes it.
func.func @decoder_layer(
    %x: tensor<1x128xbf16>,
    %wq: tensor<128x16xui32>, %sq: tensor<128x8xf8E4M3FN>, %bq: tensor<128xbf16>,
    %wk: tensor<64x16xui32>, %sk: tensor<64x8xf8E4M3FN>, %bk: tensor<64xbf16>,
    %wv: tensor<64x16xui32>, %sv: tensor<64x8xf8E4M3FN>, %bv: tensor<64xbf16>,
    %wo: tensor<128x16xui32>, %so: tensor<128x8xf8E4M3FN>,
    %wg: tensor<256x32xui32>, %sg: tensor<256x4xf8E8M0FNU>,
    %wu: tensor<256x32xui32>, %su: tensor<256x4xf8E8M0FNU>,
    %wd: tensor<128x64xui32>, %sd: tensor<128x8xf8E8M0FNU>)
    -> (tensor<1x64xbf16>, tensor<1x64xbf16>, tensor<1x128xbf16>) {
  %q = vlm.qmatmul %x, %wq scales(%sq) bias(%bq) quant<nvfp4> : (tensor<1x128xbf16>, tensor<128x16xui32>, tensor<128x8xf8E4M3FN>, tensor<128xbf16>) -> tensor<1x128xbf16> loc("model.layers.0.self_attn.q_proj")
  %k = vlm.qmatmul %x, %wk scales(%sk) bias(%bk) quant<nvfp4> : (tensor<1x128xbf16>, tensor<64x16xui32>, tensor<64x8xf8E4M3FN>, tensor<64xbf16>) -> tensor<1x64xbf16> loc("model.layers.0.self_attn.k_proj")
  %v = vlm.qmatmul %x, %wv scales(%sv) bias(%bv) quant<nvfp4> : (tensor<1x128xbf16>, tensor<64x16xui32>, tensor<64x8xf8E4M3FN>, tensor<64xbf16>) -> tensor<1x64xbf16> loc("model.layers.0.self_attn.v_proj")
  %o = vlm.qmatmul %q, %wo scales(%so) quant<nvfp4> : (tensor<1x128xbf16>, tensor<128x16xui32>, tensor<128x8xf8E4M3FN>) -> tensor<1x128xbf16> loc("model.layers.0.self_attn.o_proj")
  %g = vlm.qmatmul %o, %wg scales(%sg) quant<mxfp8> : (tensor<1x128xbf16>, tensor<256x32xui32>, tensor<256x4xf8E8M0FNU>) -> tensor<1x256xbf16> loc("model.layers.0.mlp.gate_proj")
  %u = vlm.qmatmul %o, %wu scales(%su) quant<mxfp8> : (tensor<1x128xbf16>, tensor<256x32xui32>, tensor<256x4xf8E8M0FNU>) -> tensor<1x256xbf16> loc("model.layers.0.mlp.up_proj")
  %d = vlm.qmatmul %u, %wd scales(%sd) quant<mxfp8> : (tensor<1x256xbf16>, tensor<128x64xui32>, tensor<128x8xf8E8M0FNU>) -> tensor<1x128xbf16> loc("model.layers.0.mlp.down_proj")
  return %k, %v, %d : tensor<1x64xbf16>, tensor<1x64xbf16>, tensor<1x128xbf16>
}
