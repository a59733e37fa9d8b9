#ifndef VLM_MODEL_OPS_TD
#define VLM_MODEL_OPS_TD

// The model-level ops the importer builds graphs from (see docs/dialect.md).
// Matmuls live in VlmOps.td.

include "dialects/vlm/IR/VlmAttrs.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/BuiltinTypes.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/IR/OpBase.td"

def Vlm_ActivationSilu : I32EnumAttrCase<"silu", 0>;
def Vlm_ActivationGelu : I32EnumAttrCase<"gelu", 1>;
def Vlm_ActivationGeluTanh : I32EnumAttrCase<"gelu_tanh", 2>;
def Vlm_ActivationQuickGelu : I32EnumAttrCase<"quick_gelu", 3>;
def Vlm_ActivationKind : I32EnumAttr<"ActivationKind", "pointwise activation",
    [Vlm_ActivationSilu, Vlm_ActivationGelu, Vlm_ActivationGeluTanh,
     Vlm_ActivationQuickGelu]> {
  let cppNamespace = "::mlir::vlm";
  let genSpecializedAttr = 0;
}
def Vlm_ActivationKindAttr : EnumAttr<Vlm_Dialect, Vlm_ActivationKind, "activation"> {
  let assemblyFormat = "`<` $value `>`";
}

def Vlm_IndexTensor : RankedTensorOf<[I32, I64]>;
def Vlm_FloatTensorM : RankedTensorOf<[F32, F16, BF16]>;

def Vlm_ParameterOp : Vlm_Op<"parameter", [Pure]> {
  let summary = "A named external weight";
  let description = [{
    References the tensor `key` of the parameter scope `scope` (the checkpoint,
    later the artifact's weight segment), as IREE's named parameters do.
    Weights never enter the IR as dense constants, so compile time and memory
    do not grow with the model.

    Optional attributes say how the stored tensor becomes the declared one, in
    this order: `source` names the stored tensor when it differs from `key`;
    `permutation` transposes it (MLX's channels-last conv weights back to
    PyTorch order); `rows = [begin, end)` takes a row range (the vision
    towers' fused qkv split into q, k and v); the declared type may then
    flatten trailing dims (a Conv3d weight used as a matmul weight) and change
    a float element type; `quantize` says the stored float tensor is quantized
    at compile time with that spec — `key` ends in `.weight`, `.scales` or
    `.biases` for the three parts MLX stores.
  }];
  let arguments = (ins StrAttr:$key, DefaultValuedStrAttr<StrAttr, "model">:$scope,
                       OptionalAttr<StrAttr>:$source,
                       OptionalAttr<DenseI64ArrayAttr>:$permutation,
                       OptionalAttr<DenseI64ArrayAttr>:$rows,
                       OptionalAttr<Vlm_QuantSpecAttr>:$quantize);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$key attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Vlm_EmbeddingOp : Vlm_Op<"embedding", [Pure]> {
  let summary = "Gather rows of an embedding table";
  let description = [{ `ids` of any shape index rows of `table` `[V, E]`; the
    result has shape `ids.shape + [E]`. }];
  let arguments = (ins Vlm_IndexTensor:$ids, Vlm_FloatTensorM:$table);
  let results = (outs Vlm_FloatTensorM:$result);
  let assemblyFormat = "$ids `,` $table attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Vlm_QEmbeddingOp : Vlm_Op<"qembedding", [Pure, AttrSizedOperandSegments]> {
  let summary = "Gather and dequantize rows of a quantized embedding table";
  let description = [{ MLX's QuantizedEmbedding: `weight`/`scales`/`biases`
    are laid out as for `vlm.qmatmul` with N = vocabulary and K = width; only
    the gathered rows are dequantized. }];
  let arguments = (ins Vlm_IndexTensor:$ids, RankedTensorOf<[UI32, I32]>:$weight,
                       Vlm_ScaleTensor:$scales, Optional<Vlm_FloatTensorM>:$biases,
                       Optional<RankedTensorOf<[F32]>>:$global_scale,
                       Vlm_QuantSpecAttr:$quant);
  let results = (outs Vlm_FloatTensorM:$result);
  let assemblyFormat = [{
    $ids `,` $weight `scales` `(` $scales `)` (`biases` `(` $biases^ `)`)?
    (`global_scale` `(` $global_scale^ `)`)? `quant` `` $quant attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Vlm_RmsNormOp : Vlm_Op<"rms_norm", [Pure]> {
  let summary = "x · rsqrt(mean(x²) + ε) · weight over the last dim (fp32 math)";
  let arguments = (ins Vlm_FloatTensorM:$input, Vlm_FloatTensorM:$weight, F32Attr:$epsilon);
  let results = (outs Vlm_FloatTensorM:$result);
  let assemblyFormat = "$input `,` $weight attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Vlm_AddRmsNormOp : Vlm_Op<"add_rms_norm", [Pure]> {
  let summary = "Residual add followed by RMSNorm, in one op (vlm-fuse-ops)";
  let description = [{
    `sum = lhs + rhs` rounded to the element type, then `normed =
    rms_norm(sum, weight, epsilon)`: exactly `vlm.add` followed by
    `vlm.rms_norm`, with the sum (the residual stream) kept as a result. A
    decoder layer's residual add and the next norm read the rows once.
  }];
  let arguments = (ins Vlm_FloatTensorM:$lhs, Vlm_FloatTensorM:$rhs,
                       Vlm_FloatTensorM:$weight, F32Attr:$epsilon);
  let results = (outs Vlm_FloatTensorM:$sum, Vlm_FloatTensorM:$normed);
  let assemblyFormat = "$lhs `,` $rhs `,` $weight attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Vlm_LayerNormOp : Vlm_Op<"layer_norm", [Pure]> {
  let summary = "LayerNorm over the last dim with weight and bias (fp32 math)";
  let arguments = (ins Vlm_FloatTensorM:$input, Vlm_FloatTensorM:$weight,
                       Vlm_FloatTensorM:$bias, F32Attr:$epsilon);
  let results = (outs Vlm_FloatTensorM:$result);
  let assemblyFormat = "$input `,` $weight `,` $bias attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Vlm_RopeOp : Vlm_Op<"rope", [Pure]> {
  let summary = "Rotary position embedding (rotate-half), 1-D, 2-D or multimodal";
  let description = [{
    `input` is `[S, H, D]`. With `positions` `[S]` this is ordinary RoPE. With
    `positions` `[k, S]` and `sections` (k entries summing to D/2), frequency
    slot i takes its position from the stream whose section holds i: Qwen2-VL's
    M-RoPE (k = 3, streams t/h/w) or the vision tower's 2-D RoPE (k = 2,
    rows/cols). Angles are `position · theta^(-2i/D)`, computed in fp32.
    With `axial` every section is a rotary embedding of its own, of width
    2·section (frequency index restarting at 0): the vision towers' 2-D RoPE.
  }];
  let arguments = (ins Vlm_FloatTensorM:$input, Vlm_IndexTensor:$positions,
                       F32Attr:$theta, OptionalAttr<DenseI64ArrayAttr>:$sections,
                       UnitAttr:$axial);
  let results = (outs Vlm_FloatTensorM:$result);
  let assemblyFormat = "$input `,` $positions attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Vlm_AttentionOp : Vlm_Op<"attention", [Pure, AttrSizedOperandSegments]> {
  let summary = "Scaled dot-product attention with GQA, causal or block-diagonal";
  let description = [{
    `query` `[Sq, Hq, D]`, `key`/`value` `[Skv, Hkv, D]` with Hq a multiple of
    Hkv (grouped-query attention). `causal` masks keys after the query's
    position (queries are the last Sq positions of the first `kv_length`
    keys). `segment_starts` (cumulative sequence starts, like cu_seqlens)
    makes attention block-diagonal: images/frames of the vision towers and
    Qwen2.5-VL's windows. `kv_length` (a scalar) limits the valid keys of a
    preallocated KV cache.
  }];
  let arguments = (ins Vlm_FloatTensorM:$query, Vlm_FloatTensorM:$key,
                       Vlm_FloatTensorM:$value,
                       Optional<Vlm_IndexTensor>:$segment_starts,
                       Optional<Vlm_IndexTensor>:$kv_length,
                       F32Attr:$scale, UnitAttr:$causal);
  let results = (outs Vlm_FloatTensorM:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`segments` `(` $segment_starts^ `)`)?
    (`kv_length` `(` $kv_length^ `)`)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Vlm_KVCacheWriteOp : Vlm_Op<"kv_cache_write", [Pure]> {
  let summary = "Write new keys or values into a preallocated cache at an offset";
  let arguments = (ins Vlm_FloatTensorM:$update, Vlm_FloatTensorM:$cache,
                       Vlm_IndexTensor:$offset);
  let results = (outs Vlm_FloatTensorM:$result);
  let assemblyFormat = "$update `into` $cache `at` $offset attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Vlm_RopeKVCacheWriteOp : Vlm_Op<"rope_kv_cache_write", [Pure]> {
  let summary = "RoPE on new keys, written straight into the KV cache (vlm-fuse-ops)";
  let description = [{
    Exactly `vlm.rope` on `update` (same `positions`, `theta`, `sections`,
    `axial`) followed by `vlm.kv_cache_write` of the rotated rows into
    `cache` at `offset`: the decode step's rotated keys never exist apart
    from the cache.
  }];
  let arguments = (ins Vlm_FloatTensorM:$update, Vlm_IndexTensor:$positions,
                       Vlm_FloatTensorM:$cache, Vlm_IndexTensor:$offset,
                       F32Attr:$theta, OptionalAttr<DenseI64ArrayAttr>:$sections,
                       UnitAttr:$axial);
  let results = (outs Vlm_FloatTensorM:$result);
  let assemblyFormat = "$update `,` $positions `into` $cache `at` $offset attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Vlm_RopeKVPairCacheWriteOp : Vlm_Op<"rope_kv_pair_cache_write", [Pure]> {
  let summary = "RoPE keys into the key cache and values into the value cache, in one op (vlm-fuse-ops)";
  let description = [{
    Exactly `vlm.rope_kv_cache_write` of `keys` into `key_cache` and
    `vlm.kv_cache_write` of `values` into `value_cache`, both at `offset`:
    a decoder layer's new keys and values reach the KV cache in one kernel.
    Keys and values have one shape, and so have the two caches.
  }];
  let arguments = (ins Vlm_FloatTensorM:$keys, Vlm_IndexTensor:$positions,
                       Vlm_FloatTensorM:$key_cache, Vlm_IndexTensor:$offset,
                       Vlm_FloatTensorM:$values, Vlm_FloatTensorM:$value_cache,
                       F32Attr:$theta, OptionalAttr<DenseI64ArrayAttr>:$sections,
                       UnitAttr:$axial);
  let results = (outs Vlm_FloatTensorM:$key_result, Vlm_FloatTensorM:$value_result);
  let assemblyFormat = "$keys `,` $positions `into` $key_cache `,` $values `into` $value_cache `at` $offset attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Vlm_ActivationOp : Vlm_Op<"activation", [Pure, SameOperandsAndResultType]> {
  let summary = "Pointwise activation: silu, gelu (erf), gelu_tanh, quick_gelu";
  let arguments = (ins Vlm_FloatTensorM:$input, Vlm_ActivationKindAttr:$kind);
  let results = (outs Vlm_FloatTensorM:$result);
  let assemblyFormat = "$kind $input attr-dict `:` type($result)";
}

def Vlm_GatedActivationOp : Vlm_Op<"gated_activation", [Pure, SameOperandsAndResultType]> {
  let summary = "act(gate) · up, in one op (gated MLPs; vlm-fuse-ops)";
  let description = [{
    Exactly `vlm.activation` on `gate` (rounded to the element type)
    followed by `vlm.mul` with `up`: SwiGLU / GeGLU without the intermediate
    tensor.
  }];
  let arguments = (ins Vlm_FloatTensorM:$gate, Vlm_FloatTensorM:$up,
                       Vlm_ActivationKindAttr:$kind);
  let results = (outs Vlm_FloatTensorM:$result);
  let assemblyFormat = "$kind $gate `,` $up attr-dict `:` type($result)";
}

class Vlm_BinaryOp<string mnemonic, string summaryText>
    : Vlm_Op<mnemonic, [Pure, SameOperandsAndResultType, Commutative]> {
  let summary = summaryText;
  let arguments = (ins Vlm_FloatTensorM:$lhs, Vlm_FloatTensorM:$rhs);
  let results = (outs Vlm_FloatTensorM:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
}
def Vlm_AddOp : Vlm_BinaryOp<"add", "Elementwise sum (residual connections)">;
def Vlm_MulOp : Vlm_BinaryOp<"mul", "Elementwise product (gated MLPs)">;

def Vlm_ReshapeOp : Vlm_Op<"reshape", [Pure]> {
  let summary = "Reinterpret a row-major tensor with another shape";
  let description = [{ Same elements in the same order. At most one dim of
    the input and of the result may be dynamic (the sequence length); the
    static dims then say how it scales. }];
  let arguments = (ins Vlm_FloatTensorM:$input);
  let results = (outs Vlm_FloatTensorM:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Vlm_PixelShuffleOp : Vlm_Op<"pixel_shuffle", [Pure]> {
  let summary = "Idefics3 connector: fold s×s patch blocks into channels";
  let description = [{ `input` `[T, G·G, C]` (a G×G grid per tile) becomes
    `[T, (G/s)², C·s²]`; output cell (i, j) concatenates block rows dy and
    columns dx (dy outer, dx inner). }];
  let arguments = (ins Vlm_FloatTensorM:$input, I64Attr:$scale);
  let results = (outs Vlm_FloatTensorM:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Vlm_SpliceImageTokensOp : Vlm_Op<"splice_image_tokens", [Pure]> {
  let summary = "Replace image-placeholder embeddings with vision embeddings, in order";
  let arguments = (ins Vlm_FloatTensorM:$image_embeddings,
                       Vlm_FloatTensorM:$embeddings, Vlm_IndexTensor:$ids,
                       I64Attr:$image_token_id);
  let results = (outs Vlm_FloatTensorM:$result);
  let assemblyFormat = [{
    $image_embeddings `into` $embeddings `where` $ids attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // VLM_MODEL_OPS_TD
