// Verifiers of the model-level ops (VlmModelOps.td).
#include "dialects/vlm/IR/VerifyHelpers.h"
#include "dialects/vlm/IR/VlmOps.h"

using namespace mlir;
using namespace mlir::vlm;
using mlir::vlm::detail::expectDim;

namespace {

RankedTensorType tensorType(Value v) { return cast<RankedTensorType>(v.getType()); }

LogicalResult expectSameElementType(Operation *op, StringRef what, Type actual,
                                    Type expected) {
  if (actual != expected)
    return op->emitOpError() << what << " element type " << actual
                             << " differs from the input's " << expected;
  return success();
}

// A per-feature vector (norm weight/bias) must be [D] for an input [..., D].
LogicalResult verifyFeatureVector(Operation *op, StringRef what, Value v,
                                  RankedTensorType input) {
  RankedTensorType t = tensorType(v);
  if (t.getRank() != 1)
    return op->emitOpError() << what << " must be 1-D [D], got rank " << t.getRank();
  if (failed(expectSameElementType(op, what, t.getElementType(),
                                   input.getElementType())))
    return failure();
  return expectDim(op, what + " length", t.getDimSize(0),
                   input.getShape().back(), "D, the input's last dim");
}

LogicalResult verifyNorm(Operation *op, Value input, Value result,
                         ArrayRef<std::pair<StringRef, Value>> vectors,
                         float epsilon) {
  RankedTensorType in = tensorType(input);
  if (in.getRank() < 1)
    return op->emitOpError("input must have rank >= 1");
  if (tensorType(result) != in)
    return op->emitOpError() << "result type " << result.getType()
                             << " must equal the input type " << in;
  if (!(epsilon > 0.0f))
    return op->emitOpError() << "epsilon must be positive, got " << epsilon;
  for (auto [name, v] : vectors)
    if (failed(verifyFeatureVector(op, name, v, in)))
      return failure();
  return success();
}

// [S, H, D] activations of attention and RoPE.
LogicalResult expectHeads(Operation *op, StringRef what, RankedTensorType t) {
  if (t.getRank() != 3)
    return op->emitOpError() << what << " must be [S, H, D], got rank "
                             << t.getRank();
  return success();
}

LogicalResult expectScalarOrVector(Operation *op, StringRef what, Value v,
                                   bool allowVector) {
  RankedTensorType t = tensorType(v);
  if (t.getRank() == 0 || (allowVector && t.getRank() == 1))
    return success();
  return op->emitOpError() << what << " must be "
                           << (allowVector ? "a scalar or 1-D" : "a scalar")
                           << " index tensor, got " << t;
}

} // namespace

LogicalResult ParameterOp::verify() {
  if (getKey().empty())
    return emitOpError("parameter key must not be empty");
  if (!getResult().getType().hasStaticShape())
    return emitOpError() << "parameter " << getScope() << "::" << getKey()
                         << " must have a static shape, got "
                         << getResult().getType();
  if (std::optional<ArrayRef<int64_t>> rows = getRows())
    if (rows->size() != 2 || (*rows)[0] < 0 || (*rows)[1] <= (*rows)[0])
      return emitOpError("rows must be [begin, end) with 0 <= begin < end");
  if (std::optional<ArrayRef<int64_t>> perm = getPermutation()) {
    SmallVector<bool> seen(perm->size(), false);
    for (int64_t p : *perm) {
      if (p < 0 || p >= int64_t(perm->size()) || seen[p])
        return emitOpError("permutation must be a permutation of 0..rank-1");
      seen[p] = true;
    }
  }
  return success();
}

// Product of the static dims and the number of dynamic ones.
static std::pair<int64_t, int> staticProduct(RankedTensorType t) {
  int64_t product = 1;
  int dynamic = 0;
  for (int64_t d : t.getShape()) {
    if (ShapedType::isDynamic(d))
      ++dynamic;
    else
      product *= d;
  }
  return {product, dynamic};
}

LogicalResult ReshapeOp::verify() {
  RankedTensorType in = tensorType(getInput()), out = getResult().getType();
  if (in.getElementType() != out.getElementType())
    return emitOpError("reshape cannot change the element type");
  auto [inProduct, inDynamic] = staticProduct(in);
  auto [outProduct, outDynamic] = staticProduct(out);
  if (inDynamic > 1 || outDynamic > 1 || inDynamic != outDynamic)
    return emitOpError() << "input and result must have the same number (0 or "
                            "1) of dynamic dims, got "
                         << inDynamic << " and " << outDynamic;
  bool ok = inDynamic == 0 ? inProduct == outProduct
                           : (inProduct % outProduct == 0 || outProduct % inProduct == 0);
  if (!ok)
    return emitOpError() << "cannot reshape " << in << " into " << out
                         << ": element counts differ";
  return success();
}

static LogicalResult verifyGather(Operation *op, RankedTensorType ids,
                                  RankedTensorType result, int64_t width) {
  if (result.getRank() != ids.getRank() + 1)
    return op->emitOpError() << "result rank " << result.getRank()
                             << " must be the ids rank + 1 (" << ids.getRank() + 1
                             << ")";
  for (int64_t i = 0; i < ids.getRank(); ++i)
    if (failed(expectDim(op, "result dim " + Twine(i), result.getDimSize(i),
                         ids.getDimSize(i), "one row per id")))
      return failure();
  return expectDim(op, "result last dim", result.getShape().back(), width,
                   "the table's row width");
}

LogicalResult EmbeddingOp::verify() {
  RankedTensorType table = tensorType(getTable());
  if (table.getRank() != 2)
    return emitOpError() << "table must be 2-D [V, E], got rank " << table.getRank();
  if (failed(expectSameElementType(*this, "result", getResult().getType().getElementType(),
                                   table.getElementType())))
    return failure();
  return verifyGather(*this, tensorType(getIds()), getResult().getType(),
                      table.getDimSize(1));
}

LogicalResult QEmbeddingOp::verify() {
  RankedTensorType result = getResult().getType();
  int64_t width = result.getRank() ? result.getShape().back() : ShapedType::kDynamic;
  if (failed(detail::verifyQuantizedWeight(*this, getQuant(), getWeight(),
                                           getScales(), getBiases(),
                                           getGlobalScale(), width)))
    return failure();
  return verifyGather(*this, tensorType(getIds()), result, width);
}

LogicalResult RmsNormOp::verify() {
  return verifyNorm(*this, getInput(), getResult(), {{"weight", getWeight()}},
                    getEpsilon().convertToFloat());
}

LogicalResult AddRmsNormOp::verify() {
  if (tensorType(getLhs()) != tensorType(getRhs()))
    return emitOpError() << "operands must have one type, got " << getLhs().getType()
                         << " and " << getRhs().getType();
  if (getSum().getType() != getLhs().getType())
    return emitOpError() << "sum type " << getSum().getType()
                         << " must equal the operand type " << getLhs().getType();
  return verifyNorm(*this, getSum(), getNormed(), {{"weight", getWeight()}},
                    getEpsilon().convertToFloat());
}

LogicalResult LayerNormOp::verify() {
  return verifyNorm(*this, getInput(), getResult(),
                    {{"weight", getWeight()}, {"bias", getBias()}},
                    getEpsilon().convertToFloat());
}

// RoPE's rules on the rotated rows `in`, shared by rope and
// rope_kv_cache_write.
static LogicalResult verifyRotary(Operation *op, RankedTensorType in, Value positions, float theta,
                           std::optional<ArrayRef<int64_t>> sections) {
  int64_t d = in.getDimSize(2);
  if (mlir::vlm::detail::isStatic(d) && d % 2 != 0)
    return op->emitOpError() << "head dim " << d << " must be even";
  if (!(theta > 0.0f))
    return op->emitOpError("theta must be positive");

  RankedTensorType pos = tensorType(positions);
  if (pos.getRank() == 1) {
    if (sections)
      return op->emitOpError("sections require positions of shape [k, S]");
    return expectDim(op, "positions length", pos.getDimSize(0),
                     in.getDimSize(0), "one position per token");
  }
  if (pos.getRank() != 2)
    return op->emitOpError() << "positions must be [S] or [k, S], got rank "
                         << pos.getRank();
  if (!sections)
    return op->emitOpError("positions of shape [k, S] need sections");
  if (failed(expectDim(op, "positions streams", pos.getDimSize(0),
                       sections->size(), "one position stream per section")) ||
      failed(expectDim(op, "positions length", pos.getDimSize(1),
                       in.getDimSize(0), "one position per token")))
    return failure();
  int64_t total = 0;
  for (int64_t s : *sections) {
    if (s <= 0)
      return op->emitOpError() << "sections must be positive, got " << s;
    total += s;
  }
  if (mlir::vlm::detail::isStatic(d) && total != d / 2)
    return op->emitOpError() << "sections sum to " << total
                         << " but must cover the " << d / 2
                         << " frequencies of head dim " << d;
  return success();
}

LogicalResult RopeOp::verify() {
  RankedTensorType in = tensorType(getInput());
  if (failed(expectHeads(*this, "input", in)))
    return failure();
  if (getResult().getType() != in)
    return emitOpError() << "result type must equal the input type " << in;
  return verifyRotary(*this, in, getPositions(), getTheta().convertToFloat(), getSections());
}

LogicalResult AttentionOp::verify() {
  RankedTensorType q = tensorType(getQuery()), k = tensorType(getKey()),
                   v = tensorType(getValue());
  if (failed(expectHeads(*this, "query", q)) || failed(expectHeads(*this, "key", k)) ||
      failed(expectHeads(*this, "value", v)))
    return failure();
  if (k != v)
    return emitOpError() << "key " << k << " and value " << v
                         << " must have the same type";
  if (k.getElementType() != q.getElementType())
    return emitOpError("query, key and value must share an element type");
  if (failed(expectDim(*this, "key head dim", k.getDimSize(2), q.getDimSize(2),
                       "the query's head dim")))
    return failure();
  int64_t hq = q.getDimSize(1), hkv = k.getDimSize(1);
  if (detail::isStatic(hq) && detail::isStatic(hkv) && (hkv == 0 || hq % hkv != 0))
    return emitOpError() << "query heads " << hq
                         << " must be a multiple of the key/value heads " << hkv
                         << " (grouped-query attention)";
  if (getResult().getType() != q)
    return emitOpError() << "result type must equal the query type " << q;
  if (getSegmentStarts() &&
      failed(expectScalarOrVector(*this, "segments", getSegmentStarts(), true)))
    return failure();
  if (getSegmentStarts() && tensorType(getSegmentStarts()).getRank() != 1)
    return emitOpError("segments must be a 1-D tensor of sequence starts");
  if (getKvLength() &&
      failed(expectScalarOrVector(*this, "kv_length", getKvLength(), false)))
    return failure();
  if (!(getScale().convertToFloat() > 0.0f))
    return emitOpError("scale must be positive");
  return success();
}

// A cache write's rules, shared by kv_cache_write and rope_kv_cache_write.
static LogicalResult verifyCacheWrite(Operation *op, Value updateValue, Value cacheValue, Type result,
                               Value offset) {
  RankedTensorType cache = tensorType(cacheValue), update = tensorType(updateValue);
  if (failed(expectHeads(op, "cache", cache)) ||
      failed(expectHeads(op, "update", update)))
    return failure();
  if (cache.getElementType() != update.getElementType())
    return op->emitOpError("cache and update must share an element type");
  for (int64_t i = 1; i < 3; ++i)
    if (failed(expectDim(op, "update dim " + Twine(i), update.getDimSize(i),
                         cache.getDimSize(i), "heads and head dim of the cache")))
      return failure();
  if (mlir::vlm::detail::isStatic(update.getDimSize(0)) && mlir::vlm::detail::isStatic(cache.getDimSize(0)) &&
      update.getDimSize(0) > cache.getDimSize(0))
    return op->emitOpError() << "update of " << update.getDimSize(0)
                         << " positions does not fit a cache of "
                         << cache.getDimSize(0);
  if (result != cache)
    return op->emitOpError("result type must equal the cache type");
  return expectScalarOrVector(op, "offset", offset, false);
}

LogicalResult KVCacheWriteOp::verify() {
  return verifyCacheWrite(*this, getUpdate(), getCache(), getResult().getType(), getOffset());
}

LogicalResult RopeKVCacheWriteOp::verify() {
  if (failed(verifyCacheWrite(*this, getUpdate(), getCache(), getResult().getType(), getOffset())))
    return failure();
  return verifyRotary(*this, tensorType(getUpdate()), getPositions(),
                      getTheta().convertToFloat(), getSections());
}

LogicalResult RopeKVPairCacheWriteOp::verify() {
  if (tensorType(getValues()) != tensorType(getKeys()) ||
      tensorType(getValueCache()) != tensorType(getKeyCache()))
    return emitOpError("keys and values, and the two caches, must have one type each");
  if (failed(verifyCacheWrite(*this, getKeys(), getKeyCache(), getKeyResult().getType(),
                              getOffset())) ||
      failed(verifyCacheWrite(*this, getValues(), getValueCache(), getValueResult().getType(),
                              getOffset())))
    return failure();
  return verifyRotary(*this, tensorType(getKeys()), getPositions(), getTheta().convertToFloat(),
                      getSections());
}

LogicalResult PixelShuffleOp::verify() {
  RankedTensorType in = tensorType(getInput()), out = getResult().getType();
  int64_t s = getScale();
  if (s < 1)
    return emitOpError() << "scale must be >= 1, got " << s;
  if (in.getRank() != 3 || out.getRank() != 3)
    return emitOpError("input and result must be [tiles, patches, channels]");
  if (!detail::isStatic(in.getDimSize(1)) || !detail::isStatic(in.getDimSize(2)))
    return emitOpError("patches and channels must be static");
  int64_t patches = in.getDimSize(1);
  int64_t side = static_cast<int64_t>(std::llround(std::sqrt(double(patches))));
  if (side * side != patches || side % s != 0)
    return emitOpError() << patches << " patches do not form a square grid whose side is "
                         << "divisible by the scale " << s;
  if (failed(expectDim(*this, "result dim 0", out.getDimSize(0), in.getDimSize(0),
                       "one output per tile")) ||
      failed(expectDim(*this, "result dim 1", out.getDimSize(1), patches / (s * s),
                       "patches / scale²")) ||
      failed(expectDim(*this, "result dim 2", out.getDimSize(2),
                       in.getDimSize(2) * s * s, "channels · scale²")))
    return failure();
  return expectSameElementType(*this, "result", out.getElementType(),
                               in.getElementType());
}

LogicalResult SpliceImageTokensOp::verify() {
  RankedTensorType text = tensorType(getEmbeddings()),
                   image = tensorType(getImageEmbeddings()), ids = tensorType(getIds());
  if (text.getRank() != 2 || image.getRank() != 2 || ids.getRank() != 1)
    return emitOpError("expects embeddings [L, E], image embeddings [M, E], ids [L]");
  if (failed(expectDim(*this, "image embedding width", image.getDimSize(1),
                       text.getDimSize(1), "the text embedding width")) ||
      failed(expectDim(*this, "ids length", ids.getDimSize(0), text.getDimSize(0),
                       "one id per embedding row")))
    return failure();
  if (failed(expectSameElementType(*this, "image embeddings", image.getElementType(),
                                   text.getElementType())))
    return failure();
  if (getResult().getType() != text)
    return emitOpError("result type must equal the embeddings type");
  return success();
}
