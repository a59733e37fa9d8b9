#include "CpuExecutor.h"

#include "ShapeInference.h"

#include "vlmc/artifact/Format.h"
#include "vlmc/cpu/Kernels.h"

#include <cmath>
#include <cstdlib>
#include <cstring>

namespace vlmc::exec {

//===----------------------------------------------------------------------===//
// BufferPool
//===----------------------------------------------------------------------===//

void BufferPool::Deleter::operator()(void *p) const { std::free(p); }

int32_t BufferPool::acquire(size_t bytes) {
  bytes = std::max<size_t>(64, (bytes + 63) / 64 * 64);
  int32_t best = -1;
  for (size_t i = 0; i < buffers_.size(); ++i)
    if (free_[i] && capacity_[i] >= bytes &&
        (best < 0 || capacity_[i] < capacity_[size_t(best)]))
      best = int32_t(i);
  if (best >= 0) {
    free_[size_t(best)] = false;
    return best;
  }
  buffers_.emplace_back(std::aligned_alloc(64, bytes));
  capacity_.push_back(bytes);
  free_.push_back(false);
  return int32_t(buffers_.size() - 1);
}

void BufferPool::release(int32_t buffer) { free_[size_t(buffer)] = true; }

size_t BufferPool::totalBytes() const {
  size_t total = 0;
  for (size_t c : capacity_)
    total += c;
  return total;
}

//===----------------------------------------------------------------------===//
// Running a program
//===----------------------------------------------------------------------===//

namespace {

Status shapeMismatch(const std::string &what, const std::vector<int64_t> &got,
                     const std::vector<int64_t> &declared) {
  return invalidArgument(what + " has shape " + shapeString(got) + " but " +
                         shapeString(declared) + " is expected");
}

bool matchesDeclared(const std::vector<int64_t> &shape, const std::vector<int64_t> &declared) {
  if (shape.size() != declared.size())
    return false;
  for (size_t i = 0; i < shape.size(); ++i)
    if (declared[i] >= 0 && declared[i] != shape[i])
      return false;
  return true;
}

Result<quant::DType> scaleTypeOf(ElementType type) {
  switch (type) {
  case ElementType::kU8: return quant::DType::kU8;
  case ElementType::kF32: return quant::DType::kF32;
  case ElementType::kF16: return quant::DType::kF16;
  case ElementType::kBF16: return quant::DType::kBF16;
  default: return invalidArgument("quantization scales cannot be " +
                                  std::string(elementTypeName(type)));
  }
}

quant::Mode modeOf(fb::QuantMode mode) {
  switch (mode) {
  case fb::QuantMode::Mxfp4: return quant::Mode::kMxfp4;
  case fb::QuantMode::Mxfp8: return quant::Mode::kMxfp8;
  case fb::QuantMode::Nvfp4: return quant::Mode::kNvfp4;
  default: return quant::Mode::kAffine;
  }
}

int64_t scalarOf(const TensorRef &t) {
  return t.dtype == ElementType::kI64 ? *t.as<int64_t>() : *t.as<int32_t>();
}

// RoPE of x [S, H, D] into `out` with the op's theta, sections and flags
// (Rope and RopeKVCacheWrite).
Status rotate(const fb::Op &fop, const TensorRef &x, const TensorRef &pos, float *out) {
  const int64_t streams = pos.shape.size() == 2 ? pos.shape[0] : 1;
  if (x.shape.size() != 3 || pos.dtype != ElementType::kI32 ||
      pos.numel() != streams * x.shape[0])
    return invalidArgument("RoPE of " + shapeString(x.shape) + " needs i32 positions for " +
                           "each token, got " + shapeString(pos.shape));
  std::vector<int64_t> sections;
  if (fop.i64_attrs())
    sections.assign(fop.i64_attrs()->begin(), fop.i64_attrs()->end());
  const float theta =
      fop.f32_attrs() && fop.f32_attrs()->size() ? fop.f32_attrs()->Get(0) : 0.0f;
  return cpu::rope(x.as<float>(), out, x.shape[0], x.shape[1], x.shape[2], pos.as<int32_t>(),
                   streams, sections.data(), int64_t(sections.size()), theta,
                   (fop.flags() & artifact::kFlagAxial) != 0);
}

} // namespace

Status CpuExecutor::allocate(const Program &program, int32_t value, std::vector<int64_t> shape) {
  const ValueInfo &info = program.values()[size_t(value)];
  Slot &slot = slots[size_t(value)];
  slot.tensor.dtype = info.dtype;
  slot.tensor.shape = std::move(shape);
  slot.buffer = pool.acquire(slot.tensor.bytes());
  slot.tensor.data = pool.data(slot.buffer);
  return Status::ok();
}

Status CpuExecutor::run(const Program &program, const std::map<std::string, TensorRef> &inputs,
                        std::vector<TensorRef> *outputs) {
  slots.assign(program.values().size(), Slot{});
  for (const std::string &name : program.inputOrder()) {
    auto it = inputs.find(name);
    if (it == inputs.end())
      return invalidArgument(program.name() + ": missing input '" + name + "'");
    int32_t id = program.inputs().at(name);
    const ValueInfo &info = program.values()[size_t(id)];
    if (it->second.dtype != info.dtype)
      return invalidArgument(program.name() + ": input '" + name + "' is " +
                             elementTypeName(it->second.dtype) + " but " +
                             elementTypeName(info.dtype) + " is expected");
    if (!matchesDeclared(it->second.shape, info.shape))
      return shapeMismatch(program.name() + ": input '" + name + "'", it->second.shape,
                           info.shape);
    slots[size_t(id)].tensor = it->second;
  }
  for (const OpInfo &op : program.ops()) {
    Status s = runOp(program, op);
    for (int32_t root : op.release)
      if (slots[size_t(root)].buffer >= 0) {
        pool.release(slots[size_t(root)].buffer);
        slots[size_t(root)].buffer = -1;
      }
    if (!s.isOk())
      return s.withContext(program.name() + ": " + fb::EnumNameOpCode(op.code) +
                           (op.layer.empty() ? std::string() : " '" + op.layer + "'"));
  }
  outputs->clear();
  for (int32_t id : program.outputs())
    outputs->push_back(slots[size_t(id)].tensor);
  // Output storage stays owned by the pool until the next run.
  for (Slot &slot : slots)
    if (slot.buffer >= 0)
      pool.release(slot.buffer);
  return Status::ok();
}

Status CpuExecutor::runOp(const Program &program, const OpInfo &op) {
  const fb::Op &fop = *op.op;
  int32_t out = op.outputs.empty() ? -1 : op.outputs[0];
  if (op.code == fb::OpCode::Parameter) {
    if (fop.tensor() < 0 || size_t(fop.tensor()) >= weights.size())
      return dataLoss("parameter refers to no tensor");
    slots[size_t(out)].tensor = weights[size_t(fop.tensor())];
    return Status::ok();
  }
  std::vector<const std::vector<int64_t> *> shapes;
  for (size_t i = 0; i < op.inputs.size(); ++i)
    shapes.push_back(has(op, i) ? &in(op, i).shape : nullptr);
  Result<std::vector<int64_t>> shape = inferOutputShape(program, op, shapes);
  if (!shape)
    return shape.status();
  // Views and in-place updates share their input's storage.
  if (op.code == fb::OpCode::Reshape) {
    slots[size_t(out)].tensor = TensorRef{in(op, 0).dtype, *shape, in(op, 0).data};
    return Status::ok();
  }
  // In-place updates: such an output is that input.
  for (size_t o = 0; o < op.outputs.size() && o < op.aliasedInputs.size(); ++o)
    if (op.aliasedInputs[o] >= 0)
      slots[size_t(op.outputs[o])].tensor = in(op, size_t(op.aliasedInputs[o]));
  if (op.code == fb::OpCode::KVCacheWrite) {
    const TensorRef &update = in(op, 0), &cache = in(op, 1);
    return cpu::kvCacheWrite(update.as<float>(), update.shape[0], cache.as<float>(),
                             cache.shape[0], cache.shape[1], cache.shape[2],
                             scalarOf(in(op, 2)));
  }
  if (op.code == fb::OpCode::RopeKVCacheWrite || op.code == fb::OpCode::RopeKVPairCacheWrite) {
    // Rotate into scratch, then write (and the values as they are).
    const TensorRef &update = in(op, 0), &cache = in(op, 2);
    if (update.dtype != ElementType::kF32 || cache.dtype != ElementType::kF32 ||
        update.shape.size() != 3 || cache.shape.size() != 3 ||
        update.shape[1] != cache.shape[1] || update.shape[2] != cache.shape[2])
      return invalidArgument("cannot write f32 rows " + shapeString(update.shape) +
                             " into an f32 cache " + shapeString(cache.shape));
    const int32_t scratch = pool.acquire(update.bytes());
    float *rotated = static_cast<float *>(pool.data(scratch));
    Status s = rotate(*op.op, update, in(op, 1), rotated);
    if (s.isOk())
      s = cpu::kvCacheWrite(rotated, update.shape[0], cache.as<float>(), cache.shape[0],
                            cache.shape[1], cache.shape[2], scalarOf(in(op, 3)));
    pool.release(scratch);
    if (s.isOk() && op.code == fb::OpCode::RopeKVPairCacheWrite) {
      // Shape inference checked that values and the value cache match.
      const TensorRef &values = in(op, 4), &valueCache = in(op, 5);
      if (values.dtype != ElementType::kF32 || valueCache.dtype != ElementType::kF32)
        return invalidArgument("cannot write values " + shapeString(values.shape) +
                               " into the value cache: both must be f32");
      s = cpu::kvCacheWrite(values.as<float>(), values.shape[0], valueCache.as<float>(),
                            valueCache.shape[0], valueCache.shape[1], valueCache.shape[2],
                            scalarOf(in(op, 3)));
    }
    return s;
  }
  // Every output of an op has the first one's shape (AddRmsNorm: the sum and
  // the normalized rows).
  for (int32_t value : op.outputs)
    VLMC_RETURN_IF_ERROR(allocate(program, value, *shape));
  return compute(op, slots[size_t(out)].tensor);
}

Status CpuExecutor::compute(const OpInfo &op, const TensorRef &y) {
  const fb::Op &fop = *op.op;
  auto f32 = [&](size_t i) {
    return fop.f32_attrs() && i < fop.f32_attrs()->size() ? fop.f32_attrs()->Get(uint32_t(i))
                                                           : 0.0f;
  };
  auto i64 = [&](size_t i, int64_t fallback) {
    return fop.i64_attrs() && i < fop.i64_attrs()->size() ? fop.i64_attrs()->Get(uint32_t(i))
                                                           : fallback;
  };
  // The CPU backend computes in f32; quantized parts and ids keep their types.
  if (y.dtype != ElementType::kF32)
    return invalidArgument(std::string("the CPU backend computes in f32, but this op produces ") +
                           elementTypeName(y.dtype) + " (compile with --target cpu)");
  float *out = y.as<float>();

  switch (op.code) {
  case fb::OpCode::Matmul: {
    const TensorRef &x = in(op, 0), &w = in(op, 1);
    if (x.dtype != ElementType::kF32 || w.dtype != ElementType::kF32)
      return invalidArgument("the CPU backend multiplies f32 operands");
    int64_t k = x.shape.back();
    cpu::matmul(threads, x.as<float>(), x.numel() / k, k, w.as<float>(), w.shape[0],
                has(op, 2) ? in(op, 2).as<float>() : nullptr, out);
    return Status::ok();
  }
  case fb::OpCode::QMatmul:
  case fb::OpCode::QQMatmul:
  case fb::OpCode::QEmbedding: {
    const TensorRef &x = in(op, 0), &w = in(op, 1), &scales = in(op, 2);
    if (!fop.quant())
      return dataLoss("quantized op without a quant spec");
    quant::QuantizedWeightView view;
    view.spec = quant::QuantSpec{modeOf(fop.quant()->mode()), fop.quant()->bits(),
                                 fop.quant()->group_size(), fop.quant()->global_scale()};
    Result<quant::DType> scaleType = scaleTypeOf(scales.dtype);
    if (!scaleType)
      return scaleType.status();
    view.packed = w.as<uint32_t>();
    view.scales = scales.data;
    view.scaleType = *scaleType;
    view.biases = has(op, 3) ? in(op, 3).data : nullptr;
    view.rows = w.shape[0];
    view.cols = w.shape[1] * 32 / view.spec.bits;
    if (has(op, 4))
      view.globalScale = *in(op, 4).as<float>();
    if (op.code == fb::OpCode::QEmbedding)
      return cpu::qembedding(x.as<int32_t>(), x.numel(), view, out);
    int64_t k = x.shape.back();
    if (x.dtype != ElementType::kF32 || k != view.cols)
      return invalidArgument("input " + shapeString(x.shape) + " (" +
                             elementTypeName(x.dtype) + ") does not fit a weight of " +
                             std::to_string(view.cols) + " columns");
    const float *bias = has(op, 5) ? in(op, 5).as<float>() : nullptr;
    return op.code == fb::OpCode::QMatmul
               ? cpu::qmatmul(threads, x.as<float>(), x.numel() / k, k, view, bias, out)
               : cpu::qqmatmul(threads, x.as<float>(), x.numel() / k, k, view, bias, out);
  }
  case fb::OpCode::Embedding: {
    const TensorRef &ids = in(op, 0), &table = in(op, 1);
    return cpu::embedding(ids.as<int32_t>(), ids.numel(), table.as<float>(), table.shape[0],
                          table.shape[1], out);
  }
  case fb::OpCode::RmsNorm:
  case fb::OpCode::LayerNorm: {
    const TensorRef &x = in(op, 0);
    int64_t d = x.shape.back();
    if (op.code == fb::OpCode::RmsNorm)
      cpu::rmsNorm(x.as<float>(), x.numel() / d, d, in(op, 1).as<float>(), f32(0), out);
    else
      cpu::layerNorm(x.as<float>(), x.numel() / d, d, in(op, 1).as<float>(),
                     in(op, 2).as<float>(), f32(0), out);
    return Status::ok();
  }
  case fb::OpCode::AddRmsNorm: {
    const TensorRef &a = in(op, 0);
    int64_t d = a.shape.back();
    cpu::add(a.as<float>(), in(op, 1).as<float>(), a.numel(), out);
    cpu::rmsNorm(out, a.numel() / d, d, in(op, 2).as<float>(), f32(0),
                 slots[size_t(op.outputs[1])].tensor.as<float>());
    return Status::ok();
  }
  case fb::OpCode::GatedActivation: {
    const TensorRef &gate = in(op, 0);
    VLMC_RETURN_IF_ERROR(cpu::activation(int(i64(0, 0)), gate.as<float>(), gate.numel(), out));
    cpu::mul(out, in(op, 1).as<float>(), gate.numel(), out);
    return Status::ok();
  }
  case fb::OpCode::Rope:
    return rotate(fop, in(op, 0), in(op, 1), out);
  case fb::OpCode::Attention: {
    const TensorRef &q = in(op, 0), &k = in(op, 1), &v = in(op, 2);
    int64_t kvLength = has(op, 4) ? scalarOf(in(op, 4)) : k.shape[0];
    const int32_t *segments = has(op, 3) ? in(op, 3).as<int32_t>() : nullptr;
    int64_t numSegments = has(op, 3) ? in(op, 3).numel() : 0;
    return cpu::attention(threads, q.as<float>(), k.as<float>(), v.as<float>(), q.shape[0],
                          q.shape[1], k.shape[1], q.shape[2], k.shape[0], kvLength, segments,
                          numSegments, f32(0), (fop.flags() & artifact::kFlagCausal) != 0,
                          out);
  }
  case fb::OpCode::Activation: {
    const TensorRef &x = in(op, 0);
    return cpu::activation(int(i64(0, 0)), x.as<float>(), x.numel(), out);
  }
  case fb::OpCode::Add:
  case fb::OpCode::Mul: {
    const TensorRef &a = in(op, 0), &b = in(op, 1);
    if (a.shape != b.shape)
      return invalidArgument("operands have shapes " + shapeString(a.shape) + " and " +
                             shapeString(b.shape));
    if (op.code == fb::OpCode::Add)
      cpu::add(a.as<float>(), b.as<float>(), a.numel(), out);
    else
      cpu::mul(a.as<float>(), b.as<float>(), a.numel(), out);
    return Status::ok();
  }
  case fb::OpCode::PixelShuffle: {
    const TensorRef &x = in(op, 0);
    int64_t s = i64(0, 1);
    int64_t g = int64_t(std::llround(std::sqrt(double(x.shape[1]))));
    return cpu::pixelShuffle(x.as<float>(), x.shape[0], g, x.shape[2], s, out);
  }
  case fb::OpCode::SpliceImageTokens: {
    const TensorRef &image = in(op, 0), &emb = in(op, 1), &ids = in(op, 2);
    return cpu::spliceImageTokens(image.as<float>(), image.shape[0], emb.as<float>(),
                                  ids.as<int32_t>(), emb.shape[0], emb.shape[1], i64(0, -1),
                                  out);
  }
  case fb::OpCode::Parameter:
  case fb::OpCode::Reshape:
  case fb::OpCode::KVCacheWrite:
  case fb::OpCode::RopeKVCacheWrite:
  case fb::OpCode::RopeKVPairCacheWrite:
  case fb::OpCode::ArgMax: // sampler kernels, rejected in programs by the verifier
  case fb::OpCode::Sample:
    break; // the others: handled by runOp
  }
  return dataLoss("unknown op code " + std::to_string(int(op.code)));
}

} // namespace vlmc::exec
