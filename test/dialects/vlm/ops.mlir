// RUN: vlm-opt %s -split-input-file | FileCheck %s
// Round trip: print, re-parse, print again must be stable.
// RUN: vlm-opt %s -split-input-file | vlm-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @matmul
// CHECK: vlm.matmul %{{.*}}, %{{.*}} : (tensor<4x64xbf16>, tensor<32x64xbf16>) -> tensor<4x32xbf16>
// CHECK: vlm.matmul %{{.*}}, %{{.*}} bias(%{{.*}}) : (tensor<2x4x64xf32>, tensor<32x64xf32>, tensor<32xf32>) -> tensor<2x4x32xf32>
func.func @matmul(%x: tensor<4x64xbf16>, %w: tensor<32x64xbf16>,
                  %x3: tensor<2x4x64xf32>, %w3: tensor<32x64xf32>, %b: tensor<32xf32>)
    -> (tensor<4x32xbf16>, tensor<2x4x32xf32>) {
  %0 = vlm.matmul %x, %w : (tensor<4x64xbf16>, tensor<32x64xbf16>) -> tensor<4x32xbf16>
  %1 = vlm.matmul %x3, %w3 bias(%b) : (tensor<2x4x64xf32>, tensor<32x64xf32>, tensor<32xf32>) -> tensor<2x4x32xf32>
  return %0, %1 : tensor<4x32xbf16>, tensor<2x4x32xf32>
}

// -----

// Every affine bit width packs K * bits / 32 words per row.
// CHECK-LABEL: func.func @qmatmul_affine
// CHECK: vlm.qmatmul %{{.*}}, %{{.*}} scales(%{{.*}}) biases(%{{.*}}) quant<affine, bits = 4, group_size = 64> :
// CHECK: vlm.qmatmul %{{.*}}, %{{.*}} scales(%{{.*}}) biases(%{{.*}}) bias(%{{.*}}) quant<affine, bits = 3, group_size = 32> :
// CHECK: vlm.qmatmul {{.*}} quant<affine, bits = 6, group_size = 128> :
func.func @qmatmul_affine(%x: tensor<1x128xbf16>, %w4: tensor<32x16xui32>,
                          %s4: tensor<32x2xbf16>, %b4: tensor<32x2xbf16>,
                          %w3: tensor<32x12xui32>, %s3: tensor<32x4xbf16>,
                          %b3: tensor<32x4xbf16>, %bias: tensor<32xbf16>,
                          %w6: tensor<32x24xui32>, %s6: tensor<32x1xbf16>,
                          %b6: tensor<32x1xbf16>) {
  %0 = vlm.qmatmul %x, %w4 scales(%s4) biases(%b4) quant<affine> : (tensor<1x128xbf16>, tensor<32x16xui32>, tensor<32x2xbf16>, tensor<32x2xbf16>) -> tensor<1x32xbf16>
  %1 = vlm.qmatmul %x, %w3 scales(%s3) biases(%b3) bias(%bias) quant<affine, bits = 3, group_size = 32> : (tensor<1x128xbf16>, tensor<32x12xui32>, tensor<32x4xbf16>, tensor<32x4xbf16>, tensor<32xbf16>) -> tensor<1x32xbf16>
  %2 = vlm.qmatmul %x, %w6 scales(%s6) biases(%b6) quant<affine, bits = 6, group_size = 128> : (tensor<1x128xbf16>, tensor<32x24xui32>, tensor<32x1xbf16>, tensor<32x1xbf16>) -> tensor<1x32xbf16>
  return
}

// -----

// The fp modes take byte scales, either as ui8 or as the builtin float type
// the bytes encode (E8M0 for mx, E4M3 for nvfp4); the spec defaults to the
// mode's MLX bits and group size.
// CHECK-LABEL: func.func @qmatmul_fp_modes
// CHECK: vlm.qmatmul {{.*}} quant<mxfp4, bits = 4, group_size = 32> : (tensor<3x64xf32>, tensor<32x8xui32>, tensor<32x2xui8>)
// CHECK: vlm.qmatmul {{.*}} quant<mxfp8, bits = 8, group_size = 32> : (tensor<3x64xf32>, tensor<32x16xui32>, tensor<32x2xf8E8M0FNU>)
// CHECK: vlm.qmatmul {{.*}} quant<nvfp4, bits = 4, group_size = 16> : (tensor<3x64xf32>, tensor<32x8xui32>, tensor<32x4xf8E4M3FN>)
// CHECK: vlm.qmatmul {{.*}} global_scale(%{{.*}}) bias(%{{.*}}) quant<nvfp4, bits = 4, group_size = 16, global_scale> :
func.func @qmatmul_fp_modes(%x: tensor<3x64xf32>, %w4: tensor<32x8xui32>,
                            %s4: tensor<32x2xui8>, %w8: tensor<32x16xui32>,
                            %s8: tensor<32x2xf8E8M0FNU>,
                            %snv: tensor<32x4xf8E4M3FN>, %g: tensor<1xf32>,
                            %bias: tensor<32xf32>) {
  %0 = vlm.qmatmul %x, %w4 scales(%s4) quant<mxfp4> : (tensor<3x64xf32>, tensor<32x8xui32>, tensor<32x2xui8>) -> tensor<3x32xf32>
  %1 = vlm.qmatmul %x, %w8 scales(%s8) quant<mxfp8, bits = 8, group_size = 32> : (tensor<3x64xf32>, tensor<32x16xui32>, tensor<32x2xf8E8M0FNU>) -> tensor<3x32xf32>
  %2 = vlm.qmatmul %x, %w4 scales(%snv) quant<nvfp4> : (tensor<3x64xf32>, tensor<32x8xui32>, tensor<32x4xf8E4M3FN>) -> tensor<3x32xf32>
  %3 = vlm.qmatmul %x, %w4 scales(%snv) global_scale(%g) bias(%bias) quant<nvfp4, global_scale> : (tensor<3x64xf32>, tensor<32x8xui32>, tensor<32x4xf8E4M3FN>, tensor<1xf32>, tensor<32xf32>) -> tensor<3x32xf32>
  return
}

// -----

// CHECK-LABEL: func.func @qqmatmul
// CHECK: vlm.qqmatmul {{.*}} quant<mxfp8, bits = 8, group_size = 32> :
// CHECK: vlm.qqmatmul {{.*}} bias(%{{.*}}) quant<nvfp4, bits = 4, group_size = 16> :
func.func @qqmatmul(%x: tensor<?x64xbf16>, %w8: tensor<32x16xui32>,
                    %s8: tensor<32x2xui8>, %w4: tensor<32x8xui32>,
                    %s4: tensor<32x4xui8>, %bias: tensor<32xbf16>) {
  %0 = vlm.qqmatmul %x, %w8 scales(%s8) quant<mxfp8> : (tensor<?x64xbf16>, tensor<32x16xui32>, tensor<32x2xui8>) -> tensor<?x32xbf16>
  %1 = vlm.qqmatmul %x, %w4 scales(%s4) bias(%bias) quant<nvfp4> : (tensor<?x64xbf16>, tensor<32x8xui32>, tensor<32x4xui8>, tensor<32xbf16>) -> tensor<?x32xbf16>
  return
}

// -----

// The quant mode enum is an attribute of its own too.
// CHECK-LABEL: func.func @mode_attr
// CHECK: mode = #vlm.quant_mode<nvfp4>
func.func @mode_attr() attributes {mode = #vlm.quant_mode<nvfp4>} {
  return
}
