#ifndef VLMC_PASSES_TD
#define VLMC_PASSES_TD

include "mlir/Pass/PassBase.td"

def VlmQuantizeWeights : Pass<"vlm-quantize-weights", "::mlir::ModuleOp"> {
  let summary = "Quantize float Linear/Embedding weights as mlx_vlm.convert would";
  let description = [{
    Every `vlm.matmul` / `vlm.embedding` whose weight is a float
    `vlm.parameter` becomes a `vlm.qmatmul` / `vlm.qembedding` over the packed
    weight, scales (and affine biases) that the artifact writer derives from
    the stored tensor with the chosen spec (the parameters carry a `quantize`
    attribute). Which layers, and with which spec, follows mlx_vlm.convert
    exactly as `vlm-convert` does (shared code): vision and projector modules
    only with `quantize-vision`, layers whose input dim is not a multiple of
    the group size stay in float (remarked), mixed recipes give per-layer
    bits. Layers that are already quantized (MLX checkpoints) are untouched.
  }];
  let options = [
    Option<"mode", "mode", "std::string", /*default=*/"\"affine\"",
           "affine, mxfp4, mxfp8 or nvfp4">,
    Option<"bits", "bits", "int", /*default=*/"0", "Bits (0: the mode's default)">,
    Option<"groupSize", "group-size", "int", /*default=*/"0",
           "Group size (0: the mode's default)">,
    Option<"predicate", "quant-predicate", "std::string", /*default=*/"\"\"",
           "Mixed recipe: mixed_2_6, mixed_3_4, mixed_3_5, mixed_3_6, mixed_3_8, "
           "mixed_4_6 or mixed_4_8">,
    Option<"quantizeVision", "quantize-vision", "bool", /*default=*/"false",
           "Also quantize vision and projector modules">,
    Option<"globalScale", "nvfp4-global-scale", "bool", /*default=*/"false",
           "Two-level nvfp4 with a per-tensor fp32 global scale">,
  ];
  let dependentDialects = ["::mlir::vlm::VlmDialect"];
}

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

def VlmFuseOps : Pass<"vlm-fuse-ops"> {
  let summary = "Fuse a decoder layer's pointwise ops into their neighbours";
  let description = [{
    Rewrites op pairs that a backend runs better as one kernel, with the same
    numerics (every intermediate is still rounded to the element type):

    * `vlm.rms_norm(vlm.add(a, b))` becomes `vlm.add_rms_norm(a, b)`, whose
      `sum` result replaces the add for its other users (the residual stream);
    * `vlm.mul(vlm.activation(g), u)` becomes `vlm.gated_activation(g, u)`
      when the activation has no other user (SwiGLU / GeGLU MLPs);
    * `vlm.kv_cache_write(vlm.rope(k), cache, offset)` becomes
      `vlm.rope_kv_cache_write(k, cache, offset)` when the rotated keys have
      no other user (the decode step's keys);
    * that op and the `vlm.kv_cache_write(v, value_cache, offset)` at the
      same offset, whose results one `vlm.attention` reads as its keys and
      values, become `vlm.rope_kv_pair_cache_write` (a layer's new keys and
      values written in one kernel).

    The fused op is placed where it dominates every user; a pair that has no
    such place is left alone.
  }];
  let dependentDialects = ["::mlir::vlm::VlmDialect"];
}

#endif // VLMC_PASSES_TD
