#include "dialects/vlm/IR/VlmAttrs.h"
#include "dialects/vlm/IR/VlmDialect.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::vlm;

#include "dialects/vlm/IR/VlmEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/vlm/IR/VlmAttrs.cpp.inc"

void VlmDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/vlm/IR/VlmAttrs.cpp.inc"
      >();
}

std::pair<unsigned, unsigned> mlir::vlm::defaultBitsAndGroupSize(QuantMode mode) {
  switch (mode) {
  case QuantMode::affine: return {4, 64};
  case QuantMode::mxfp4: return {4, 32};
  case QuantMode::mxfp8: return {8, 32};
  case QuantMode::nvfp4: return {4, 16};
  }
  llvm_unreachable("unknown quant mode");
}

bool QuantSpecAttr::supportsActivationQuantization() const {
  return getMode() == QuantMode::mxfp8 || getMode() == QuantMode::nvfp4;
}

// The rules are MLX's (mlx/ops.cpp, quantization_params_from_mode and
// affine_quantize); the messages name the rule so a user can fix the recipe.
LogicalResult QuantSpecAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                    QuantMode mode, unsigned bits,
                                    unsigned groupSize, bool globalScale) {
  StringRef name = stringifyQuantMode(mode);
  if (mode == QuantMode::affine) {
    if (!llvm::is_contained({2u, 3u, 4u, 5u, 6u, 8u}, bits))
      return emitError() << "affine quantization does not support " << bits
                         << " bits; the supported bits are 2, 3, 4, 5, 6 and 8";
    if (!llvm::is_contained({32u, 64u, 128u}, groupSize))
      return emitError() << "affine quantization does not support group size "
                         << groupSize
                         << "; the supported group sizes are 32, 64 and 128";
  } else {
    auto [wantBits, wantGroup] = defaultBitsAndGroupSize(mode);
    if (bits != wantBits)
      return emitError() << name << " quantization requires bits to be "
                         << wantBits << " but got " << bits;
    if (groupSize != wantGroup)
      return emitError() << name << " quantization requires group size "
                         << wantGroup << " but got " << groupSize;
  }
  if (globalScale && mode != QuantMode::nvfp4)
    return emitError() << "a global scale is only supported for nvfp4, not "
                       << name;
  return success();
}

// #vlm.quant<mode[, bits = B][, group_size = G][, global_scale]>
Attribute QuantSpecAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  StringRef modeName;
  if (parser.parseLess() || parser.parseKeyword(&modeName))
    return {};
  std::optional<QuantMode> mode = symbolizeQuantMode(modeName);
  if (!mode) {
    parser.emitError(loc) << "unknown quantization mode '" << modeName
                          << "'; expected affine, mxfp4, mxfp8 or nvfp4";
    return {};
  }
  auto [bits, groupSize] = defaultBitsAndGroupSize(*mode);
  bool globalScale = false;
  while (succeeded(parser.parseOptionalComma())) {
    StringRef key;
    SMLoc keyLoc = parser.getCurrentLocation();
    if (parser.parseKeyword(&key))
      return {};
    if (key == "global_scale") {
      globalScale = true;
      continue;
    }
    unsigned *target = key == "bits" ? &bits
                       : key == "group_size" ? &groupSize
                                             : nullptr;
    if (!target) {
      parser.emitError(keyLoc) << "unknown quant spec key '" << key
                               << "'; expected bits, group_size or global_scale";
      return {};
    }
    if (parser.parseEqual() || parser.parseInteger(*target))
      return {};
  }
  if (parser.parseGreater())
    return {};
  return getChecked([&] { return parser.emitError(loc); },
                    parser.getContext(), *mode, bits, groupSize, globalScale);
}

void QuantSpecAttr::print(AsmPrinter &printer) const {
  printer << "<" << stringifyQuantMode(getMode()) << ", bits = " << getBits()
          << ", group_size = " << getGroupSize();
  if (getGlobalScale())
    printer << ", global_scale";
  printer << ">";
}
