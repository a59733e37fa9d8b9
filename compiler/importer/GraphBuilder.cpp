#include "compiler/importer/GraphBuilder.h"

#include "mlir/IR/BuiltinAttributes.h"

#include <numeric>

using namespace mlir;
using namespace mlir::vlm;

namespace vlmc::compiler {

namespace {

std::string shapeString(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

int64_t product(ArrayRef<int64_t> shape) {
  return std::accumulate(shape.begin(), shape.end(), int64_t(1),
                         std::multiplies<int64_t>());
}

// The element type a stored (non-float or quantized) tensor keeps in the IR.
Type storageType(MLIRContext *ctx, io::DType dtype) {
  switch (dtype) {
  case io::DType::kF32: return Float32Type::get(ctx);
  case io::DType::kF16: return Float16Type::get(ctx);
  case io::DType::kBF16: return BFloat16Type::get(ctx);
  case io::DType::kU32: return IntegerType::get(ctx, 32, IntegerType::Unsigned);
  case io::DType::kU8:
  case io::DType::kF8E4M3:
  case io::DType::kF8E8M0: return IntegerType::get(ctx, 8, IntegerType::Unsigned);
  default: return {};
  }
}

std::optional<QuantMode> modeOf(const std::string &name) {
  return symbolizeQuantMode(name);
}

} // namespace

Location GraphBuilder::loc(StringRef layer) const {
  return NameLoc::get(b.getStringAttr(layer));
}

InFlightDiagnostic GraphBuilder::error(StringRef layer) const {
  return emitError(loc(layer));
}

RankedTensorType GraphBuilder::rows(ArrayRef<int64_t> dims) const {
  SmallVector<int64_t> shape{sequence};
  shape.append(dims.begin(), dims.end());
  return RankedTensorType::get(shape, compute);
}

RankedTensorType GraphBuilder::tensor(ArrayRef<int64_t> shape, Type element) const {
  return RankedTensorType::get(shape, element ? element : Type(compute));
}

FailureOr<StoredTensor> GraphBuilder::lookup(const std::string &key,
                                             ArrayRef<int64_t> declared,
                                             std::optional<RowRange> rows,
                                             bool exactShape) {
  if (weights.isSynthetic()) {
    std::vector<int64_t> shape(declared.begin(), declared.end());
    if (rows)
      shape[0] = rows->second; // the fused tensor holds at least these rows
    return weights.syntheticTensor(shape);
  }
  const StoredTensor *stored = weights.find(key);
  if (!stored) {
    error(key) << "missing tensor '" << key << "' in the checkpoint";
    return failure();
  }
  std::vector<int64_t> shape = stored->shape;
  if (!stored->permutation.empty()) {
    std::vector<int64_t> permuted;
    for (int64_t p : stored->permutation)
      permuted.push_back(shape[p]);
    shape = permuted;
  }
  bool ok = !shape.empty();
  if (ok && rows) {
    ok = rows->second <= shape[0];
    shape[0] = rows->second - rows->first;
  }
  ok = ok && (exactShape ? ArrayRef<int64_t>(shape) == declared
                         : product(shape) == product(declared) &&
                               shape[0] == declared[0]);
  if (!ok) {
    error(key) << "tensor '" << key << "' (stored as '" << stored->source
               << "') has shape " << shapeString(stored->shape)
               << (rows ? " (row range taken)" : "") << " but the model expects "
               << shapeString(declared);
    return failure();
  }
  return *stored;
}

FailureOr<Value> GraphBuilder::parameterOp(const std::string &key,
                                           const StoredTensor &stored,
                                           RankedTensorType type,
                                           std::optional<RowRange> rows) {
  auto op =
      ParameterOp::create(b, loc(key), type, b.getStringAttr(key), b.getStringAttr("model"),
                          StringAttr(), DenseI64ArrayAttr(), DenseI64ArrayAttr(), QuantSpecAttr());
  if (!stored.source.empty() && stored.source != key)
    op.setSourceAttr(b.getStringAttr(stored.source));
  if (!stored.permutation.empty())
    op.setPermutationAttr(b.getDenseI64ArrayAttr(stored.permutation));
  if (rows)
    op.setRowsAttr(b.getDenseI64ArrayAttr({rows->first, rows->second}));
  return op.getResult();
}

FailureOr<Value> GraphBuilder::param(const std::string &key, ArrayRef<int64_t> shape,
                                     std::optional<RowRange> rows) {
  FailureOr<StoredTensor> stored = lookup(key, shape, rows, /*exactShape=*/false);
  if (failed(stored))
    return failure();
  if (!io::isFloat(stored->dtype)) {
    error(key) << "tensor '" << key << "' has dtype " << io::dtypeName(stored->dtype)
               << " but a float tensor is expected";
    return failure();
  }
  return parameterOp(key, *stored, tensor(shape), rows);
}

FailureOr<QuantSpecAttr> GraphBuilder::checkpointQuantSpec(const std::string &path) {
  std::optional<model::LayerQuantization> q;
  if (config.quantization)
    q = config.quantization->lookup(path);
  if (!q) {
    error(path) << "layer '" << path
                << "' has quantized tensors but config.json has no quantization "
                   "entry for it";
    return failure();
  }
  std::optional<QuantMode> mode = modeOf(q->mode);
  if (!mode) {
    error(path) << "layer '" << path << "': unknown quantization mode '" << q->mode
                << "'";
    return failure();
  }
  return QuantSpecAttr::getChecked([&] { return error(path); }, context(), *mode,
                                   unsigned(q->bits), unsigned(q->groupSize), false);
}

FailureOr<Value> GraphBuilder::linear(Value x, const std::string &path, int64_t out,
                                      int64_t in, bool bias,
                                      std::optional<RowRange> rows) {
  auto xType = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> resultShape(xType.getShape());
  resultShape.back() = out;
  auto resultType = tensor(resultShape);

  Value biasValue;
  if (bias) {
    FailureOr<Value> v = param(path + ".bias", {out}, rows);
    if (failed(v))
      return failure();
    biasValue = *v;
  }

  if (!weights.contains(path + ".scales")) {
    FailureOr<Value> w = param(path + ".weight", {out, in}, rows);
    if (failed(w))
      return failure();
    return MatmulOp::create(b, loc(path), resultType, x, *w, biasValue).getResult();
  }

  // Pre-quantized MLX layer: weight (U32), scales, biases (affine).
  FailureOr<QuantSpecAttr> spec = checkpointQuantSpec(path);
  if (failed(spec))
    return failure();
  int64_t packed = spec->packedColumns(in), groups = in / spec->getGroupSize();
  auto part = [&](const char *suffix, int64_t cols) -> FailureOr<Value> {
    std::string key = path + suffix;
    FailureOr<StoredTensor> stored = lookup(key, {out, cols}, rows, true);
    if (failed(stored))
      return failure();
    Type element = storageType(context(), stored->dtype);
    if (!element) {
      error(key) << "tensor '" << key << "' has unsupported dtype "
                 << io::dtypeName(stored->dtype);
      return failure();
    }
    return parameterOp(key, *stored, tensor({out, cols}, element), rows);
  };
  FailureOr<Value> w = part(".weight", packed);
  FailureOr<Value> scales = failed(w) ? FailureOr<Value>(failure()) : part(".scales", groups);
  if (failed(scales))
    return failure();
  Value biases;
  if (spec->getMode() == QuantMode::affine) {
    FailureOr<Value> z = part(".biases", groups);
    if (failed(z))
      return failure();
    biases = *z;
  }
  auto op = QMatmulOp::create(b, loc(path), resultType, x, *w, *scales, biases, Value(), biasValue,
                              *spec);
  if (failed(op.verify()))
    return failure();
  return op.getResult();
}

FailureOr<Value> GraphBuilder::embedding(Value ids, const std::string &path,
                                         int64_t vocab, int64_t width) {
  auto idsType = cast<RankedTensorType>(ids.getType());
  SmallVector<int64_t> shape(idsType.getShape());
  shape.push_back(width);
  if (!weights.contains(path + ".scales")) {
    FailureOr<Value> table = param(path + ".weight", {vocab, width});
    if (failed(table))
      return failure();
    return EmbeddingOp::create(b, loc(path), tensor(shape), ids, *table).getResult();
  }
  // A quantized embedding stores the same three parts as a Linear layer; build
  // them through linear()'s path and gather with vlm.qembedding.
  FailureOr<QuantSpecAttr> spec = checkpointQuantSpec(path);
  if (failed(spec))
    return failure();
  SmallVector<Value, 3> parts;
  for (auto [suffix, cols] :
       {std::pair<const char *, int64_t>{".weight", spec->packedColumns(width)},
        {".scales", width / spec->getGroupSize()},
        {".biases", width / spec->getGroupSize()}}) {
    if (StringRef(suffix) == ".biases" && spec->getMode() != QuantMode::affine)
      break;
    FailureOr<StoredTensor> stored = lookup(path + suffix, {vocab, cols}, {}, true);
    if (failed(stored))
      return failure();
    Type element = storageType(context(), stored->dtype);
    FailureOr<Value> v =
        parameterOp(path + suffix, *stored, tensor({vocab, cols}, element), {});
    if (failed(v))
      return failure();
    parts.push_back(*v);
  }
  auto op = QEmbeddingOp::create(b, loc(path), tensor(shape), ids, parts[0], parts[1],
                                 parts.size() > 2 ? parts[2] : Value(), Value(), *spec);
  if (failed(op.verify()))
    return failure();
  return op.getResult();
}

FailureOr<Value> GraphBuilder::rmsNorm(Value x, const std::string &path, int64_t dim,
                                       double eps) {
  FailureOr<Value> w = param(path + ".weight", {dim});
  if (failed(w))
    return failure();
  return RmsNormOp::create(b, loc(path), x.getType(), x, *w, b.getF32FloatAttr(eps)).getResult();
}

FailureOr<Value> GraphBuilder::layerNorm(Value x, const std::string &path,
                                         int64_t dim, double eps) {
  FailureOr<Value> w = param(path + ".weight", {dim});
  FailureOr<Value> bias = failed(w) ? FailureOr<Value>(failure()) : param(path + ".bias", {dim});
  if (failed(bias))
    return failure();
  return LayerNormOp::create(b, loc(path), x.getType(), x, *w, *bias, b.getF32FloatAttr(eps))
      .getResult();
}

Value GraphBuilder::reshape(Value x, ArrayRef<int64_t> shape) {
  return ReshapeOp::create(b, x.getLoc(), tensor(shape), x).getResult();
}

Value GraphBuilder::add(Value lhs, Value rhs) {
  return AddOp::create(b, lhs.getLoc(), lhs, rhs).getResult();
}

Value GraphBuilder::mul(Value lhs, Value rhs) {
  return MulOp::create(b, lhs.getLoc(), lhs, rhs).getResult();
}

FailureOr<Value> GraphBuilder::activation(Value x, StringRef hfName) {
  std::optional<ActivationKind> kind;
  if (hfName == "silu" || hfName == "swish")
    kind = ActivationKind::silu;
  else if (hfName == "gelu")
    kind = ActivationKind::gelu;
  else if (hfName == "gelu_pytorch_tanh" || hfName == "gelu_new" ||
           hfName == "gelu_tanh")
    kind = ActivationKind::gelu_tanh;
  else if (hfName == "quick_gelu")
    kind = ActivationKind::quick_gelu;
  if (!kind) {
    emitError(x.getLoc()) << "unsupported activation '" << hfName << "'";
    return failure();
  }
  return ActivationOp::create(b, x.getLoc(), x.getType(), x,
                              ActivationKindAttr::get(context(), *kind))
      .getResult();
}

} // namespace vlmc::compiler
