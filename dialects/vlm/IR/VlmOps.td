#ifndef VLM_OPS_TD
#define VLM_OPS_TD

include "dialects/vlm/IR/VlmAttrs.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/BuiltinTypes.td"

def Vlm_FloatTensor : RankedTensorOf<[F32, F16, BF16]>;
def Vlm_ScaleTensor : RankedTensorOf<[F32, F16, BF16, UI8, I8, F8E8M0FNU,
                                       F8E4M3FN]>;

def Vlm_MatmulOp : Vlm_Op<"matmul", [Pure]> {
  let summary = "y = x · Wᵀ (+ bias) with an unquantized weight";
  let description = [{
    `input` is `[..., K]`, `weight` is `[N, K]` (the PyTorch/MLX Linear layout),
    the optional `bias` is `[N]`; the result is `[..., N]`. All operands share
    one float element type.
  }];
  let arguments = (ins Vlm_FloatTensor:$input, Vlm_FloatTensor:$weight,
                       Optional<Vlm_FloatTensor>:$bias);
  let results = (outs Vlm_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`bias` `(` $bias^ `)`)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

// The operand structure shared by the weight-only and the activation-quantized
// matmul: both consume the same stored weights, so the rewrite between them
// only changes the op name.
class Vlm_QuantizedMatmulOp<string mnemonic, string summaryText>
    : Vlm_Op<mnemonic, [Pure, AttrSizedOperandSegments]> {
  let summary = summaryText;
  let arguments = (ins Vlm_FloatTensor:$input,
                       RankedTensorOf<[UI32, I32]>:$weight,
                       Vlm_ScaleTensor:$scales,
                       Optional<Vlm_FloatTensor>:$biases,
                       Optional<RankedTensorOf<[F32]>>:$global_scale,
                       Optional<Vlm_FloatTensor>:$bias,
                       Vlm_QuantSpecAttr:$quant);
  let results = (outs Vlm_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `scales` `(` $scales `)`
    (`biases` `(` $biases^ `)`)?
    (`global_scale` `(` $global_scale^ `)`)?
    (`bias` `(` $bias^ `)`)?
    `quant` `` $quant attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Vlm_QMatmulOp : Vlm_QuantizedMatmulOp<"qmatmul",
    "y = x · dequant(Wq)ᵀ (+ bias): weight-only quantized matmul"> {
  let description = [{
    `weight` holds MLX-packed codes, `[N, K * bits / 32]` uint32; `scales` is
    `[N, K / group_size]` (float for affine, uint8 / `f8E8M0FNU` for the mx
    modes, uint8 / `f8E4M3FN` for nvfp4); `biases` (affine only) are the MLX
    per-group offsets; `global_scale` (nvfp4 with a global scale only) is a
    one-element f32 tensor; `bias` is the Linear layer's own `[N]` bias.
    Activations stay in floating point.
  }];
}

def Vlm_QQMatmulOp : Vlm_QuantizedMatmulOp<"qqmatmul",
    "y = quant(x) · dequant(Wq)ᵀ (+ bias): activation-quantized matmul"> {
  let description = [{
    Like `vlm.qmatmul`, but each row of `input` is first quantized along K with
    the weight's mode and group size, with scales computed from the current
    activations (MLX's `qqmm`). Only mxfp8 and nvfp4 are supported. Unlike
    MLX's QQLinear, a Linear bias is allowed and added after the product.
  }];
}

include "dialects/vlm/IR/VlmModelOps.td"

#endif // VLM_OPS_TD
