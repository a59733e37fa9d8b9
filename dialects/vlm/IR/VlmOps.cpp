#include "dialects/vlm/IR/VlmOps.h"
#include "dialects/vlm/IR/VerifyHelpers.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::vlm;

using mlir::vlm::detail::expectDim;
using mlir::vlm::detail::isStatic;
using mlir::vlm::detail::verifyQuantizedWeight;

// Dynamic dims are left to the shape specialisation before code generation.
LogicalResult mlir::vlm::detail::expectDim(Operation *op, const Twine &what,
                                           int64_t dim, int64_t expected,
                                           StringRef rule) {
  if (isStatic(dim) && isStatic(expected) && dim != expected)
    return op->emitOpError() << what << " is " << dim << " but must be "
                             << expected << " (" << rule << ")";
  return success();
}

namespace {

// x is [..., K] and the result is [..., N] with the same leading dims and
// element type; shared by all matmul flavours.
LogicalResult verifyMatmulShapes(Operation *op, RankedTensorType input,
                                 RankedTensorType result, int64_t n,
                                 std::optional<RankedTensorType> bias) {
  if (input.getRank() < 1)
    return op->emitOpError("input must have rank >= 1");
  if (result.getRank() != input.getRank())
    return op->emitOpError() << "result rank " << result.getRank()
                             << " differs from input rank " << input.getRank();
  if (result.getElementType() != input.getElementType())
    return op->emitOpError() << "result element type " << result.getElementType()
                             << " differs from input element type "
                             << input.getElementType();
  for (int64_t i = 0; i + 1 < input.getRank(); ++i)
    if (failed(expectDim(op, "result dim " + Twine(i),
                         result.getDimSize(i), input.getDimSize(i),
                         "leading dims follow the input")))
      return failure();
  if (failed(expectDim(op, "result last dim", result.getShape().back(), n,
                       "N, the weight's row count")))
    return failure();
  if (bias) {
    if (bias->getRank() != 1)
      return op->emitOpError() << "bias must be 1-D [N], got rank "
                               << bias->getRank();
    if (bias->getElementType() != input.getElementType())
      return op->emitOpError() << "bias element type " << bias->getElementType()
                               << " differs from input element type "
                               << input.getElementType();
    if (failed(expectDim(op, "bias length", bias->getDimSize(0), n,
                         "one bias per output feature")))
      return failure();
  }
  return success();
}

std::optional<RankedTensorType> optionalType(Value v) {
  if (!v)
    return std::nullopt;
  return cast<RankedTensorType>(v.getType());
}

bool isByteScale(Type t, QuantMode mode) {
  if (t.isUnsignedInteger(8) || t.isSignlessInteger(8))
    return true;
  return mode == QuantMode::nvfp4 ? isa<Float8E4M3FNType>(t)
                                  : isa<Float8E8M0FNUType>(t);
}

template <typename OpT> LogicalResult verifyQuantizedMatmul(OpT op) {
  auto input = cast<RankedTensorType>(op.getInput().getType());
  int64_t k = input.getRank() ? input.getShape().back() : ShapedType::kDynamic;
  FailureOr<int64_t> n = verifyQuantizedWeight(
      op.getOperation(), op.getQuant(), op.getWeight(), op.getScales(),
      op.getBiases(), op.getGlobalScale(), k);
  if (failed(n))
    return failure();
  return verifyMatmulShapes(op.getOperation(), input,
                            cast<RankedTensorType>(op.getResult().getType()), *n,
                            optionalType(op.getBias()));
}

} // namespace

FailureOr<int64_t> mlir::vlm::detail::verifyQuantizedWeight(
    Operation *o, QuantSpecAttr spec, Value weightValue, Value scalesValue,
    Value biasesValue, Value globalScaleValue, int64_t k) {
  QuantMode mode = spec.getMode();
  StringRef modeName = stringifyQuantMode(mode);
  auto weight = cast<RankedTensorType>(weightValue.getType());
  auto scales = cast<RankedTensorType>(scalesValue.getType());
  unsigned group = spec.getGroupSize();

  if (weight.getRank() != 2)
    return o->emitOpError() << "packed weight must be 2-D [N, K*bits/32], got rank "
                            << weight.getRank();
  int64_t n = weight.getDimSize(0);
  if (isStatic(k) && k % group != 0)
    return o->emitOpError() << "K = " << k
                            << " is not divisible by the group size " << group
                            << " of " << modeName << " quantization";
  if (failed(expectDim(o, "packed weight dim 1", weight.getDimSize(1),
                       isStatic(k) ? spec.packedColumns(k) : ShapedType::kDynamic,
                       "K * bits / 32 uint32 words per row")))
    return failure();

  if (scales.getRank() != 2)
    return o->emitOpError() << "scales must be 2-D [N, K/group_size], got rank "
                            << scales.getRank();
  if (failed(expectDim(o, "scales dim 0", scales.getDimSize(0), n,
                       "one scale row per weight row")) ||
      failed(expectDim(o, "scales dim 1", scales.getDimSize(1),
                       isStatic(k) ? k / group : ShapedType::kDynamic,
                       "K / group_size groups per row")))
    return failure();

  Type scaleElt = scales.getElementType();
  if (mode == QuantMode::affine) {
    if (!isa<FloatType>(scaleElt) || isByteScale(scaleElt, mode))
      return o->emitOpError() << "affine scales must be f32, f16 or bf16, got "
                              << scaleElt;
    if (!biasesValue)
      return o->emitOpError("affine quantization requires per-group biases");
    auto biases = cast<RankedTensorType>(biasesValue.getType());
    if (biases.getShape() != scales.getShape() ||
        biases.getElementType() != scaleElt)
      return o->emitOpError() << "affine biases " << biases
                              << " must match the scales " << scales;
  } else {
    if (!isByteScale(scaleElt, mode))
      return o->emitOpError()
             << modeName << " scales must be uint8 ("
             << (mode == QuantMode::nvfp4 ? "or f8E4M3FN" : "or f8E8M0FNU")
             << "), got " << scaleElt;
    if (biasesValue)
      return o->emitOpError() << "per-group biases are only used by affine "
                                 "quantization, not "
                              << modeName;
  }

  if (spec.getGlobalScale() != static_cast<bool>(globalScaleValue))
    return o->emitOpError()
           << (spec.getGlobalScale()
                   ? "the quant spec has a global scale but no global_scale "
                     "operand is given"
                   : "a global_scale operand requires a quant spec with "
                     "global_scale");
  if (globalScaleValue) {
    auto type = cast<RankedTensorType>(globalScaleValue.getType());
    if (type.hasStaticShape() && type.getNumElements() != 1)
      return o->emitOpError() << "global_scale must hold one f32 value, got "
                              << type;
  }
  return n;
}

LogicalResult MatmulOp::verify() {
  auto input = cast<RankedTensorType>(getInput().getType());
  auto weight = cast<RankedTensorType>(getWeight().getType());
  if (weight.getRank() != 2)
    return emitOpError() << "weight must be 2-D [N, K], got rank "
                         << weight.getRank();
  if (weight.getElementType() != input.getElementType())
    return emitOpError() << "weight element type " << weight.getElementType()
                         << " differs from input element type "
                         << input.getElementType();
  if (input.getRank() >= 1 &&
      failed(expectDim(*this, "weight dim 1", weight.getDimSize(1),
                       input.getShape().back(), "K, the input's last dim")))
    return failure();
  return verifyMatmulShapes(*this, input,
                            cast<RankedTensorType>(getResult().getType()),
                            weight.getDimSize(0), optionalType(getBias()));
}

LogicalResult QMatmulOp::verify() { return verifyQuantizedMatmul(*this); }

LogicalResult QQMatmulOp::verify() {
  if (!getQuant().supportsActivationQuantization())
    return emitOpError() << "activation quantization is not supported for mode "
                         << stringifyQuantMode(getQuant().getMode())
                         << "; supported modes: mxfp8, nvfp4";
  return verifyQuantizedMatmul(*this);
}

#define GET_OP_CLASSES
#include "dialects/vlm/IR/VlmOps.cpp.inc"
