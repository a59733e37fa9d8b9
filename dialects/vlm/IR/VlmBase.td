#ifndef VLM_BASE_TD
#define VLM_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def Vlm_Dialect : Dialect {
  let name = "vlm";
  let cppNamespace = "::mlir::vlm";
  let summary = "Graph-level operations of vision-language models";
  let description = [{
    The `vlm` dialect describes a model as tensors flowing through model-level
    operations (matmuls, quantized matmuls, norms, attention, ...). Quantization
    is carried by attributes (`#vlm.quant<...>`) so that passes and verifiers
    reason about modes, bit widths and group sizes rather than strings.
  }];
  let useDefaultAttributePrinterParser = 1;
  let extraClassDeclaration = [{
    void registerAttributes();
  }];
}

class Vlm_Op<string mnemonic, list<Trait> traits = []>
    : Op<Vlm_Dialect, mnemonic, traits>;

class Vlm_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Vlm_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

#endif // VLM_BASE_TD
