#ifndef VLMC_PASSES_TD
#define VLMC_PASSES_TD

include "mlir/Pass/PassBase.td"

def VlmQuantizeActivations : Pass<"vlm-quantize-activations"> {
  let summary = "Turn mxfp8/nvfp4 weight-only matmuls into activation-quantized ones (-qa)";
  let description = [{
    Rewrites every `vlm.qmatmul` whose quant mode is mxfp8 or nvfp4 into a
    `vlm.qqmatmul` over the same weights, scales, quant spec and bias, so the
    activations are quantized per row along K with the weight's mode and group
    size (MLX's `-qa`). Unlike MLX's QQLinear, layers with a bias are kept.

    A `vlm.qmatmul` in affine or mxfp4 mode makes the pass fail with an error
    on that op: MLX defines activation quantization only for mxfp8 and nvfp4.
    Unquantized `vlm.matmul` ops are left alone.
  }];
  let dependentDialects = ["::mlir::vlm::VlmDialect"];
}

def VlmCheckTarget : Pass<"vlm-check-target"> {
  let summary = "Reject programs the chosen target cannot run";
  let description = [{
    On the `cuda` target a remaining weight-only `vlm.qmatmul` in mxfp8 or
    nvfp4 mode is an error naming the layer and asking for
    `-qa/--quantize-activations` (the documented MLX contract on NVIDIA GPUs).
    On the `cpu` target every mode runs weight-only.
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"cuda\"",
           "Execution target: cuda or cpu">,
  ];
}

#endif // VLMC_PASSES_TD
