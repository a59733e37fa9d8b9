// Input of vlm-quantize-weights.mlir (MIXED and error runs).
module attributes {vlm.dtype = "bfloat16", vlm.num_layers = 8 : i64} {
  func.func @mixed(%x: tensor<?x64xf32>) {
    %0 = vlm.parameter "language_model.model.layers.0.self_attn.v_proj.weight" : tensor<64x64xf32>
    %1 = vlm.matmul %x, %0 : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
    %2 = vlm.parameter "language_model.model.layers.0.self_attn.q_proj.weight" : tensor<64x64xf32>
    %3 = vlm.matmul %x, %2 : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
    %4 = vlm.parameter "language_model.model.layers.1.self_attn.v_proj.weight" : tensor<64x64xf32>
    %5 = vlm.matmul %x, %4 : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
    %6 = vlm.parameter "language_model.model.layers.3.mlp.down_proj.weight" : tensor<64x64xf32>
    %7 = vlm.matmul %x, %6 : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
    %8 = vlm.parameter "language_model.model.layers.4.mlp.down_proj.weight" : tensor<64x64xf32>
    %9 = vlm.matmul %x, %8 : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
    %10 = vlm.parameter "language_model.model.layers.7.self_attn.v_proj.weight" : tensor<64x64xf32>
    %11 = vlm.matmul %x, %10 : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
    %12 = vlm.parameter "language_model.lm_head.weight" : tensor<100x64xf32>
    %13 = vlm.matmul %x, %12 : (tensor<?x64xf32>, tensor<100x64xf32>) -> tensor<?x100xf32>
    "test.sink"(%1, %3, %5, %7, %9, %11, %13) : (tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x100xf32>) -> ()
    return
  }
}
