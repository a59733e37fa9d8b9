#include "compiler/artifact/WeightMaterializer.h"

#include "vlmc/artifact/Artifact.h"

#include <cmath>
#include <cstring>
#include <numeric>

namespace vlmc::compiler {

namespace {

int64_t product(const std::vector<int64_t> &shape) {
  return std::accumulate(shape.begin(), shape.end(), int64_t(1), std::multiplies<int64_t>());
}

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

Result<std::vector<float>> toFloats(const io::TensorView &view) {
  std::vector<float> out(size_t(view.numel()));
  switch (view.dtype) {
  case io::DType::kF32:
    std::memcpy(out.data(), view.data, out.size() * 4);
    return out;
  case io::DType::kF64:
    for (size_t i = 0; i < out.size(); ++i) {
      double d;
      std::memcpy(&d, view.data + 8 * i, 8);
      out[i] = float(d);
    }
    return out;
  case io::DType::kF16:
  case io::DType::kBF16: {
    Status s = quant::convertToFloat(
        view.data, view.dtype == io::DType::kF16 ? quant::DType::kF16 : quant::DType::kBF16,
        int64_t(out.size()), out.data());
    if (!s.isOk())
      return s;
    return out;
  }
  default:
    return invalidArgument("tensor '" + view.name + "' has dtype " +
                           io::dtypeName(view.dtype) + " but a float tensor is expected");
  }
}

// Row-major transpose of `in` (shape `shape`) by `perm`: out dim i = in dim perm[i].
std::vector<float> permute(const std::vector<float> &in, const std::vector<int64_t> &shape,
                           const std::vector<int64_t> &perm) {
  size_t rank = shape.size();
  std::vector<int64_t> outShape(rank), inStrides(rank, 1);
  for (size_t i = rank; i-- > 1;)
    inStrides[i - 1] = inStrides[i] * shape[i];
  for (size_t i = 0; i < rank; ++i)
    outShape[i] = shape[perm[i]];
  std::vector<float> out(in.size());
  std::vector<int64_t> index(rank, 0);
  for (size_t o = 0; o < out.size(); ++o) {
    int64_t src = 0;
    for (size_t i = 0; i < rank; ++i)
      src += index[i] * inStrides[perm[i]];
    out[o] = in[size_t(src)];
    for (size_t i = rank; i-- > 0;) {
      if (++index[i] < outShape[i])
        break;
      index[i] = 0;
    }
  }
  return out;
}

quant::DType quantDTypeOf(fb::DType dtype) {
  switch (dtype) {
  case fb::DType::F16: return quant::DType::kF16;
  case fb::DType::BF16: return quant::DType::kBF16;
  case fb::DType::U8: return quant::DType::kU8;
  case fb::DType::U32: return quant::DType::kU32;
  default: return quant::DType::kF32;
  }
}

std::vector<uint8_t> bytesOf(const void *data, size_t n) {
  const auto *p = static_cast<const uint8_t *>(data);
  return std::vector<uint8_t>(p, p + n);
}

} // namespace

size_t elementSize(fb::DType dtype) { return artifact::dtypeSize(dtype); }

Result<std::vector<float>> WeightMaterializer::sourceFloats(
    const WeightRecipe &recipe, const std::vector<int64_t> &logicalShape) {
  int64_t want = product(logicalShape);
  const io::TensorView *view = checkpoint.find(recipe.source);
  if (!view)
    return notFound("missing tensor '" + recipe.source + "' in the checkpoint");
  Result<std::vector<float>> values = toFloats(*view);
  if (!values)
    return values.status();
  std::vector<int64_t> shape = view->shape;
  if (!recipe.permutation.empty()) {
    if (recipe.permutation.size() != shape.size())
      return invalidArgument("tensor '" + recipe.source + "' of shape " + shapeString(shape) +
                             " cannot take a permutation of rank " +
                             std::to_string(recipe.permutation.size()));
    *values = permute(*values, shape, recipe.permutation);
    std::vector<int64_t> permuted;
    for (int64_t p : recipe.permutation)
      permuted.push_back(shape[size_t(p)]);
    shape = permuted;
  }
  if (recipe.rows) {
    auto [begin, end] = *recipe.rows;
    if (shape.empty() || end > shape[0])
      return invalidArgument("tensor '" + recipe.source + "' of shape " + shapeString(shape) +
                             " has no rows [" + std::to_string(begin) + ", " +
                             std::to_string(end) + ")");
    int64_t rowSize = product(shape) / shape[0];
    values->erase(values->begin() + end * rowSize, values->end());
    values->erase(values->begin(), values->begin() + begin * rowSize);
    shape[0] = end - begin;
  }
  if (product(shape) != want)
    return invalidArgument("tensor '" + recipe.source + "' has shape " + shapeString(shape) +
                           " but " + shapeString(logicalShape) + " is expected");
  return values;
}

Result<std::vector<uint8_t>> WeightMaterializer::rawSlice(const WeightRecipe &recipe,
                                                          const io::TensorView &view) {
  size_t rowBytes = view.shape.empty() || view.shape[0] == 0
                        ? view.nbytes
                        : view.nbytes / size_t(view.shape[0]);
  size_t begin = 0, end = view.nbytes;
  if (recipe.rows) {
    begin = size_t(recipe.rows->first) * rowBytes;
    end = size_t(recipe.rows->second) * rowBytes;
  }
  size_t want = size_t(product(recipe.shape)) * elementSize(recipe.dtype);
  if (end > view.nbytes || end - begin != want)
    return invalidArgument("tensor '" + recipe.source + "' has shape " +
                           shapeString(view.shape) + " (" + io::dtypeName(view.dtype) +
                           ") but " + shapeString(recipe.shape) + " is expected");
  return bytesOf(view.data + begin, want);
}

Result<std::vector<uint8_t>> WeightMaterializer::quantizedPart(const WeightRecipe &recipe) {
  const quant::QuantSpec &spec = *recipe.quantize;
  // The float layer this part belongs to: rows from the declared part shape,
  // columns from the packed width.
  int64_t rows = recipe.shape[0];
  std::string key = recipe.source + "|" +
                    (recipe.rows ? std::to_string(recipe.rows->first) + ":" +
                                       std::to_string(recipe.rows->second)
                                 : std::string()) +
                    "|" + quant::modeName(spec.mode) + std::to_string(spec.bits) + "/" +
                    std::to_string(spec.groupSize) + (spec.globalScale ? "g" : "");
  if (key != cachedKey) {
    // The columns follow from the source itself.
    const io::TensorView *view = checkpoint.find(recipe.source);
    if (!view)
      return notFound("missing tensor '" + recipe.source + "' in the checkpoint");
    int64_t cols = view->numel() / (view->shape.empty() ? 1 : view->shape[0]);
    Result<std::vector<float>> values = sourceFloats(recipe, {rows, cols});
    if (!values)
      return values.status();
    // Round to the model dtype first, as vlm-convert casts before quantizing.
    std::vector<uint8_t> cast(values->size() * quant::dtypeSize(recipe.quantizeFrom));
    VLMC_RETURN_IF_ERROR(quant::convertFromFloat(values->data(), int64_t(values->size()),
                                                 recipe.quantizeFrom, cast.data()));
    std::optional<float> global;
    if (spec.globalScale)
      global = quant::computeGlobalScale(cast.data(), recipe.quantizeFrom,
                                         int64_t(values->size()));
    Result<quant::QuantizedMatrix> q =
        quant::quantize(cast.data(), recipe.quantizeFrom, rows, cols, spec, global);
    if (!q)
      return q.status().withContext("quantizing '" + recipe.source + "'");
    cached = std::move(*q);
    cachedGlobalScale = global.value_or(0.0f);
    cachedKey = key;
  }
  if (recipe.part == "weight")
    return bytesOf(cached.packed.data(), cached.packed.size() * 4);
  if (recipe.part == "global_scale")
    return bytesOf(&cachedGlobalScale, 4);
  const std::vector<uint8_t> &source = recipe.part == "scales" ? cached.scales : cached.biases;
  // Affine scales/biases come in the model dtype; the declared type may ask
  // for another float type.
  if (quantDTypeOf(recipe.dtype) == cached.scaleType || recipe.dtype == fb::DType::U8)
    return source;
  std::vector<float> floats(source.size() / quant::dtypeSize(cached.scaleType));
  VLMC_RETURN_IF_ERROR(quant::convertToFloat(source.data(), cached.scaleType,
                                             int64_t(floats.size()), floats.data()));
  std::vector<uint8_t> out(floats.size() * elementSize(recipe.dtype));
  VLMC_RETURN_IF_ERROR(quant::convertFromFloat(floats.data(), int64_t(floats.size()),
                                               quantDTypeOf(recipe.dtype), out.data()));
  return out;
}

Result<std::vector<uint8_t>> WeightMaterializer::materialize(const WeightRecipe &recipe) {
  if (recipe.quantize)
    return quantizedPart(recipe);
  const io::TensorView *view = checkpoint.find(recipe.source);
  if (!view)
    return notFound("missing tensor '" + recipe.source + "' in the checkpoint");
  // Pre-quantized parts (U32 codes, U8 scales) are copied as stored.
  if (!io::isFloat(view->dtype))
    return rawSlice(recipe, *view);
  Result<std::vector<float>> values = sourceFloats(recipe, recipe.shape);
  if (!values)
    return values.status();
  if (recipe.dtype == fb::DType::F32)
    return bytesOf(values->data(), values->size() * 4);
  std::vector<uint8_t> out(values->size() * elementSize(recipe.dtype));
  VLMC_RETURN_IF_ERROR(quant::convertFromFloat(values->data(), int64_t(values->size()),
                                               quantDTypeOf(recipe.dtype), out.data()));
  return out;
}

} // namespace vlmc::compiler
