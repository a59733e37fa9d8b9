#ifndef VLM_ATTRS_TD
#define VLM_ATTRS_TD

include "dialects/vlm/IR/VlmBase.td"
include "mlir/IR/EnumAttr.td"

def Vlm_QuantModeAffine : I32EnumAttrCase<"affine", 0>;
def Vlm_QuantModeMxfp4 : I32EnumAttrCase<"mxfp4", 1>;
def Vlm_QuantModeMxfp8 : I32EnumAttrCase<"mxfp8", 2>;
def Vlm_QuantModeNvfp4 : I32EnumAttrCase<"nvfp4", 3>;

def Vlm_QuantMode : I32EnumAttr<"QuantMode", "MLX weight quantization mode",
    [Vlm_QuantModeAffine, Vlm_QuantModeMxfp4, Vlm_QuantModeMxfp8,
     Vlm_QuantModeNvfp4]> {
  let cppNamespace = "::mlir::vlm";
  let genSpecializedAttr = 0;
}

def Vlm_QuantModeAttr : EnumAttr<Vlm_Dialect, Vlm_QuantMode, "quant_mode"> {
  let assemblyFormat = "`<` $value `>`";
}

def Vlm_QuantSpecAttr : Vlm_Attr<"QuantSpec", "quant"> {
  let summary = "How a weight is quantized: mode, bits, group size, global scale";
  let description = [{
    Mirrors MLX's `(mode, bits, group_size)` triple. The legal combinations are
    MLX's: affine takes bits 2, 3, 4, 5, 6 or 8 and groups of 32, 64 or 128;
    mxfp4 is (4, 32), mxfp8 is (8, 32) and nvfp4 is (4, 16). Only nvfp4 may
    carry a per-tensor fp32 global scale.

    Syntax: `#vlm.quant<nvfp4>` (mode defaults) or
    `#vlm.quant<affine, bits = 4, group_size = 64>`, optionally followed by
    `, global_scale` for nvfp4. Inside an op's syntax the dialect prefix is
    dropped: `quant<nvfp4, bits = 4, group_size = 16>`.
  }];
  let parameters = (ins "::mlir::vlm::QuantMode":$mode, "unsigned":$bits,
                        "unsigned":$groupSize, "bool":$globalScale);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// True for the modes that `vlm.qqmatmul` supports (mxfp8, nvfp4).
    bool supportsActivationQuantization() const;
    /// Number of packed uint32 words per weight row of `k` elements.
    int64_t packedColumns(int64_t k) const { return k * getBits() / 32; }
  }];
}

#endif // VLM_ATTRS_TD
