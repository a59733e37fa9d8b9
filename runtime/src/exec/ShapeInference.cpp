#include "ShapeInference.h"

#include <cmath>

namespace vlmc::exec {

namespace {

int64_t numel(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

} // namespace

Result<std::vector<int64_t>> inferOutputShape(
    const Program &program, const OpInfo &op,
    const std::vector<const std::vector<int64_t> *> &in) {
  auto input = [&](size_t i) -> const std::vector<int64_t> & { return *in[i]; };
  auto missing = [&](size_t count) {
    for (size_t i = 0; i < count; ++i)
      if (i >= in.size() || !in[i])
        return true;
    return false;
  };
  const fb::Op &fop = *op.op;
  switch (op.code) {
  case fb::OpCode::Matmul:
  case fb::OpCode::QMatmul:
  case fb::OpCode::QQMatmul: {
    if (missing(2) || input(0).empty() || input(1).size() != 2)
      return dataLoss("a matmul needs an input and a 2-D weight");
    std::vector<int64_t> shape = input(0);
    shape.back() = input(1)[0];
    return shape;
  }
  case fb::OpCode::Embedding:
  case fb::OpCode::QEmbedding: {
    if (missing(2) || input(1).size() != 2)
      return dataLoss("an embedding needs ids and a 2-D table");
    std::vector<int64_t> shape = input(0);
    int64_t width = input(1)[1];
    if (op.code == fb::OpCode::QEmbedding) {
      if (!fop.quant() || fop.quant()->bits() <= 0)
        return dataLoss("a quantized embedding without a quant spec");
      width = width * 32 / fop.quant()->bits();
    }
    shape.push_back(width);
    return shape;
  }
  case fb::OpCode::RmsNorm:
  case fb::OpCode::LayerNorm:
  case fb::OpCode::Rope:
  case fb::OpCode::Activation:
  case fb::OpCode::Add:
  case fb::OpCode::Mul:
  case fb::OpCode::Attention:
    if (missing(1))
      return dataLoss("missing input");
    return input(0);
  case fb::OpCode::GatedActivation:
    if (missing(1) || input(0) != input(1))
      return dataLoss("a gated activation needs a gate and an up of one shape");
    return input(0);
  case fb::OpCode::AddRmsNorm: // both outputs
    if (missing(2) || input(0) != input(1))
      return dataLoss("a residual add + norm needs two operands of one shape and a weight");
    return input(0);
  case fb::OpCode::KVCacheWrite:
    if (missing(2))
      return dataLoss("missing input");
    return input(1);
  case fb::OpCode::RopeKVCacheWrite:
    if (missing(4))
      return dataLoss("missing input");
    return input(2);
  case fb::OpCode::RopeKVPairCacheWrite: // both outputs
    if (missing(6) || input(2) != input(5) || input(0) != input(4))
      return dataLoss("a key/value pair write needs keys and values of one shape and two "
                      "caches of one shape");
    return input(2);
  case fb::OpCode::SpliceImageTokens:
    if (missing(2))
      return dataLoss("missing input");
    return input(1);
  case fb::OpCode::PixelShuffle: {
    if (missing(1) || input(0).size() != 3)
      return dataLoss("pixel shuffle needs [tiles, patches, channels]");
    int64_t s = fop.i64_attrs() && fop.i64_attrs()->size() ? fop.i64_attrs()->Get(0) : 1;
    const std::vector<int64_t> &x = input(0);
    int64_t g = int64_t(std::llround(std::sqrt(double(x[1]))));
    if (s <= 0 || g * g != x[1] || g % s != 0)
      return invalidArgument("cannot pixel-shuffle " + shapeString(x) + " by " +
                             std::to_string(s));
    return std::vector<int64_t>{x[0], x[1] / (s * s), x[2] * s * s};
  }
  case fb::OpCode::Reshape: {
    if (missing(1))
      return dataLoss("missing input");
    std::vector<int64_t> shape = program.values()[size_t(op.outputs[0])].shape;
    int64_t known = 1, dynamic = -1;
    for (size_t i = 0; i < shape.size(); ++i) {
      if (shape[i] < 0)
        dynamic = int64_t(i);
      else
        known *= shape[i];
    }
    if (dynamic >= 0 && known > 0)
      shape[size_t(dynamic)] = numel(input(0)) / known;
    if (numel(shape) != numel(input(0)))
      return invalidArgument("cannot reshape " + shapeString(input(0)) + " into " +
                             shapeString(program.values()[size_t(op.outputs[0])].shape));
    return shape;
  }
  case fb::OpCode::Parameter:
    return dataLoss("parameters take their tensor's shape");
  case fb::OpCode::ArgMax: // the verifier keeps these out of programs
  case fb::OpCode::Sample:
    return dataLoss(std::string(fb::EnumNameOpCode(op.code)) +
                    " is a sampler kernel, not a program op");
  }
  return dataLoss("unknown op code " + std::to_string(int(op.code)));
}

} // namespace vlmc::exec
