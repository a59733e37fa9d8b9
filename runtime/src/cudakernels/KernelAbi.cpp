// planLaunch: the host half of the kernel ABI (vlmc/cuda/KernelAbi.h).
// Pure arithmetic over the op, its kernel entry and the operand shapes; the
// kernels trust what it fills in, so every size they index with is checked
// here against the others.
#include "vlmc/cuda/KernelAbi.h"

#include <cstdint>
#include <string>

namespace vlmc::cuda {

int64_t DeviceTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

namespace {

std::string shapeStr(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

class Planner {
public:
  Planner(const fb::Op &op, const fb::Kernel &kernel, const std::vector<DeviceTensor> &inputs,
          const DeviceTensor &output, const DeviceTensor *secondOutput)
      : op_(op), kernel_(kernel), in_(inputs), out_(output), second_(secondOutput) {}

  Result<Launch> plan();

private:
  Status error(const std::string &m) const {
    const std::string layer = op_.layer() ? op_.layer()->str() : std::string();
    return invalidArgument(std::string("planLaunch ") + fb::EnumNameOpCode(op_.code()) +
                           (layer.empty() ? "" : " '" + layer + "'") + ": " + m);
  }
  // Presence follows the op's input ids (-1: absent); a present but empty
  // tensor may have a null pointer.
  bool has(size_t i) const {
    return i < in_.size() && op_.inputs() && i < op_.inputs()->size() &&
           op_.inputs()->Get(uint32_t(i)) >= 0;
  }
  Status require(size_t i, const char *what) const {
    if (!has(i))
      return error(std::string("missing ") + what + " (input " + std::to_string(i) + ")");
    return Status::ok();
  }
  Status requireRank(size_t i, size_t rank, const char *what) const {
    VLMC_RETURN_IF_ERROR(require(i, what));
    if (in_[i].shape.size() != rank)
      return error(std::string(what) + " has shape " + shapeStr(in_[i].shape) + " but rank " +
                   std::to_string(rank) + " is needed");
    return Status::ok();
  }
  Status requireFloat(const DeviceTensor &t, const char *what) const {
    if (t.dtype != fb::DType::BF16 && t.dtype != fb::DType::F32)
      return error(std::string(what) + " is " + fb::EnumNameDType(t.dtype) +
                   " but kernels take bf16 or f32");
    if (t.dtype != out_.dtype)
      return error(std::string(what) + " is " + fb::EnumNameDType(t.dtype) + " but the output is " +
                   fb::EnumNameDType(out_.dtype));
    return Status::ok();
  }
  Status requireInt(size_t i, const char *what, bool allow64) const {
    const fb::DType t = in_[i].dtype;
    if (t != fb::DType::I32 && !(allow64 && t == fb::DType::I64))
      return error(std::string(what) + " is " + fb::EnumNameDType(t) + " but " +
                   (allow64 ? "i32 or i64" : "i32") + " is needed");
    return Status::ok();
  }
  Status setGrid(Launch &l, int64_t x, int64_t y = 1, int64_t z = 1) const {
    if (x > 0x7FFFFFFF || y > 65535 || z > 65535)
      return error("grid (" + std::to_string(x) + ", " + std::to_string(y) + ", " +
                   std::to_string(z) + ") exceeds CUDA's limits");
    l.grid[0] = unsigned(x);
    l.grid[1] = unsigned(y);
    l.grid[2] = unsigned(z);
    return Status::ok();
  }
  float f32Attr(size_t i) const {
    return op_.f32_attrs() && i < op_.f32_attrs()->size() ? op_.f32_attrs()->Get(uint32_t(i))
                                                          : 0.0f;
  }
  int64_t i64Attr(size_t i, int64_t dflt) const {
    return op_.i64_attrs() && i < op_.i64_attrs()->size() ? op_.i64_attrs()->Get(uint32_t(i))
                                                          : dflt;
  }
  // Elements kind: one thread per kernel.rows_per_block elements.
  Status elements(Launch &l, int64_t n) const {
    const int64_t perThread = kernel_.rows_per_block() > 0 ? kernel_.rows_per_block() : 1;
    return setGrid(l, ceilDiv(ceilDiv(n, perThread), kernel_.block()));
  }

  Status matmul(Launch &l);
  Status embedding(Launch &l);
  Status norm(Launch &l);
  Status rope(Launch &l);
  Status attention(Launch &l);
  Status kvCacheWrite(Launch &l);
  Status elementwise(Launch &l);
  Status pixelShuffle(Launch &l);
  Status splice(Launch &l);
  Status requireRows(const char *what) const;
  Status argMax(Launch &l);
  Status sample(Launch &l);

  const fb::Op &op_;
  const fb::Kernel &kernel_;
  const std::vector<DeviceTensor> &in_;
  const DeviceTensor &out_;
  const DeviceTensor *second_; // AddRmsNorm's normalized rows
};

Result<Launch> Planner::plan() {
  Launch l;
  const size_t declared = op_.inputs() ? op_.inputs()->size() : 0;
  if (in_.size() != declared)
    return error("got " + std::to_string(in_.size()) + " inputs but the op has " +
                 std::to_string(declared));
  if (in_.size() > 6)
    return error("more than 6 inputs");
  if (kernel_.grid() == fb::GridKind::None || op_.code() == fb::OpCode::Parameter ||
      op_.code() == fb::OpCode::Reshape) {
    l.skip = true;
    return l;
  }
  if (kernel_.block() <= 0 || kernel_.block() > 1024 || kernel_.shared_bytes() < 0 ||
      kernel_.shared_bytes() > 48 * 1024)
    return error("kernel '" + std::string(kernel_.name()->c_str()) + "' has block " +
                 std::to_string(kernel_.block()) + " and " +
                 std::to_string(kernel_.shared_bytes()) + " bytes of shared memory");
  l.block = unsigned(kernel_.block());
  l.sharedBytes = unsigned(kernel_.shared_bytes());
  l.args.p[0] = out_.data;
  for (size_t i = 0; i < in_.size(); ++i)
    l.args.p[1 + i] = has(i) ? in_[i].data : nullptr;
  for (int i = 0; i < 7; ++i)
    if (reinterpret_cast<uintptr_t>(l.args.p[i]) % 16 != 0)
      return error(std::string(i == 0 ? "the output" : "input " + std::to_string(i - 1)) +
                   " is not 16-byte aligned (kernels use 16-byte vector accesses)");
  if (!out_.data && out_.numel() != 0)
    return error("null output");
  if ((op_.code() == fb::OpCode::AddRmsNorm) != (second_ != nullptr))
    return error(second_ ? "got a second output, which only AddRmsNorm has"
                         : "missing the second output (the normalized rows)");
  if (second_) {
    if (in_.size() > 5)
      return error("the second output's pointer slot holds an input");
    if (reinterpret_cast<uintptr_t>(second_->data) % 16 != 0 ||
        (!second_->data && second_->numel() != 0))
      return error("the second output is null or not 16-byte aligned");
    if (second_->dtype != out_.dtype || second_->shape != out_.shape)
      return error("the outputs differ: " + shapeStr(out_.shape) + " and " +
                   shapeStr(second_->shape));
    l.args.p[kSecondOutputPointer] = second_->data;
  }

  Status s;
  switch (op_.code()) {
  case fb::OpCode::Matmul:
  case fb::OpCode::QMatmul:
  case fb::OpCode::QQMatmul: s = matmul(l); break;
  case fb::OpCode::Embedding:
  case fb::OpCode::QEmbedding: s = embedding(l); break;
  case fb::OpCode::RmsNorm:
  case fb::OpCode::LayerNorm:
  case fb::OpCode::AddRmsNorm: s = norm(l); break;
  case fb::OpCode::Rope:
  case fb::OpCode::RopeKVCacheWrite:
  case fb::OpCode::RopeKVPairCacheWrite: s = rope(l); break;
  case fb::OpCode::Attention: s = attention(l); break;
  case fb::OpCode::KVCacheWrite: s = kvCacheWrite(l); break;
  case fb::OpCode::Activation:
  case fb::OpCode::Add:
  case fb::OpCode::Mul:
  case fb::OpCode::GatedActivation: s = elementwise(l); break;
  case fb::OpCode::PixelShuffle: s = pixelShuffle(l); break;
  case fb::OpCode::SpliceImageTokens: s = splice(l); break;
  case fb::OpCode::ArgMax: s = argMax(l); break;
  case fb::OpCode::Sample: s = sample(l); break;
  default: s = error("no kernel for this op");
  }
  if (!s.isOk())
    return s;
  // Nothing to compute (no rows, no tokens): no launch.
  for (unsigned g : l.grid)
    if (g == 0)
      l.skip = true;
  if (out_.numel() == 0)
    l.skip = true;
  return l;
}

Status Planner::matmul(Launch &l) {
  const bool quantized = op_.code() != fb::OpCode::Matmul;
  VLMC_RETURN_IF_ERROR(require(0, "x"));
  VLMC_RETURN_IF_ERROR(requireRank(1, 2, "weight"));
  const DeviceTensor &x = in_[0], &w = in_[1];
  VLMC_RETURN_IF_ERROR(requireFloat(x, "x"));
  if (x.shape.empty() || out_.shape.empty())
    return error("x and the output need a last dim");
  const int64_t K = x.shape.back(), N = out_.shape.back();
  if (K <= 0)
    return error("x has shape " + shapeStr(x.shape));
  const int64_t M = x.numel() / K;
  if (out_.numel() != M * N)
    return error("output " + shapeStr(out_.shape) + " does not hold " + std::to_string(M) +
                 " rows of " + std::to_string(N));
  if (w.shape[0] != N)
    return error("weight has shape " + shapeStr(w.shape) + " but the output has " +
                 std::to_string(N) + " features");
  size_t biasInput = 2;
  if (quantized) {
    const fb::QuantSpec *q = op_.quant();
    if (!q || q->bits() <= 0 || q->group_size() <= 0)
      return error("needs a quant spec");
    if (w.dtype != fb::DType::U32 || w.shape[1] * 32 != K * q->bits())
      return error("packed weight " + shapeStr(w.shape) + " (" + fb::EnumNameDType(w.dtype) +
                   ") does not hold " + std::to_string(K) + " columns of " +
                   std::to_string(q->bits()) + " bits in u32 words");
    VLMC_RETURN_IF_ERROR(requireRank(2, 2, "scales"));
    if (in_[2].shape[0] != N || in_[2].shape[1] * q->group_size() != K)
      return error("scales have shape " + shapeStr(in_[2].shape));
    if (q->mode() == fb::QuantMode::Affine)
      VLMC_RETURN_IF_ERROR(require(3, "affine biases"));
    if (q->global_scale())
      VLMC_RETURN_IF_ERROR(require(4, "global scale"));
    if (op_.code() == fb::OpCode::QQMatmul && q->global_scale())
      l.workspaceBytes = kWorkspaceCounterBytes;
    biasInput = 5;
  } else {
    VLMC_RETURN_IF_ERROR(requireFloat(w, "weight"));
    if (w.shape[1] != K)
      return error("weight has shape " + shapeStr(w.shape) + " but x has " + std::to_string(K) +
                   " columns");
  }
  if (has(biasInput)) {
    VLMC_RETURN_IF_ERROR(requireFloat(in_[biasInput], "bias"));
    if (in_[biasInput].numel() != N)
      return error("bias has shape " + shapeStr(in_[biasInput].shape));
  }
  l.args.d[0] = M;
  if (M <= kGemvMaxRows) {
    const int rows = kernel_.rows_per_block() > 0 ? kernel_.rows_per_block() : 1;
    return setGrid(l, ceilDiv(N, rows));
  }
  if (kernel_.tile_m() <= 0 || kernel_.tile_n() <= 0)
    return error("kernel has no GEMM tile");
  return setGrid(l, ceilDiv(N, kernel_.tile_n()), ceilDiv(M, kernel_.tile_m()));
}

Status Planner::embedding(Launch &l) {
  VLMC_RETURN_IF_ERROR(require(0, "ids"));
  VLMC_RETURN_IF_ERROR(requireInt(0, "ids", false));
  VLMC_RETURN_IF_ERROR(requireRank(1, 2, "table"));
  if (out_.dtype != fb::DType::BF16 && out_.dtype != fb::DType::F32)
    return error("output must be bf16 or f32");
  const int64_t n = in_[0].numel();
  if (out_.numel() != n * (out_.shape.empty() ? 0 : out_.shape.back()))
    return error("output " + shapeStr(out_.shape) + " does not match " + std::to_string(n) +
                 " ids");
  if (op_.code() == fb::OpCode::QEmbedding) {
    VLMC_RETURN_IF_ERROR(require(2, "scales"));
    const fb::QuantSpec *q = op_.quant();
    if (!q)
      return error("needs a quant spec");
    if (q->mode() == fb::QuantMode::Affine)
      VLMC_RETURN_IF_ERROR(require(3, "affine biases"));
    if (q->global_scale())
      VLMC_RETURN_IF_ERROR(require(4, "global scale"));
  } else {
    VLMC_RETURN_IF_ERROR(requireFloat(in_[1], "table"));
  }
  l.args.d[0] = n;
  l.args.d[1] = in_[1].shape[0]; // table rows, for tables sized at run time
  return setGrid(l, ceilDiv(n, kernel_.rows_per_block() > 0 ? kernel_.rows_per_block() : 1));
}

Status Planner::norm(Launch &l) {
  // AddRmsNorm normalizes a + b: its weight is input 2.
  const bool residual = op_.code() == fb::OpCode::AddRmsNorm;
  const size_t weight = residual ? 2 : 1;
  VLMC_RETURN_IF_ERROR(require(0, "x"));
  VLMC_RETURN_IF_ERROR(require(weight, "weight"));
  const DeviceTensor &x = in_[0];
  VLMC_RETURN_IF_ERROR(requireFloat(x, "x"));
  VLMC_RETURN_IF_ERROR(requireFloat(in_[weight], "weight"));
  if (residual) {
    VLMC_RETURN_IF_ERROR(require(1, "b"));
    VLMC_RETURN_IF_ERROR(requireFloat(in_[1], "b"));
    if (in_[1].shape != x.shape)
      return error("operands have shapes " + shapeStr(x.shape) + " and " + shapeStr(in_[1].shape));
  }
  if (x.shape.empty() || x.shape.back() <= 0)
    return error("x has shape " + shapeStr(x.shape));
  const int64_t D = x.shape.back();
  if (in_[weight].numel() != D)
    return error("weight has shape " + shapeStr(in_[weight].shape));
  if (op_.code() == fb::OpCode::LayerNorm) {
    VLMC_RETURN_IF_ERROR(require(2, "bias"));
    VLMC_RETURN_IF_ERROR(requireFloat(in_[2], "bias"));
    if (in_[2].numel() != D)
      return error("bias has shape " + shapeStr(in_[2].shape));
  }
  if (out_.numel() != x.numel())
    return error("output " + shapeStr(out_.shape) + " differs from x " + shapeStr(x.shape));
  const int64_t rows = x.numel() / D;
  l.args.d[0] = rows;
  l.args.f[0] = f32Attr(0);
  return setGrid(l, ceilDiv(rows, kernel_.rows_per_block() > 0 ? kernel_.rows_per_block() : 1));
}

Status Planner::rope(Launch &l) {
  VLMC_RETURN_IF_ERROR(requireRank(0, 3, "x"));
  VLMC_RETURN_IF_ERROR(require(1, "positions"));
  VLMC_RETURN_IF_ERROR(requireInt(1, "positions", false));
  const DeviceTensor &x = in_[0];
  VLMC_RETURN_IF_ERROR(requireFloat(x, "x"));
  const int64_t S = x.shape[0], D = x.shape[2];
  const int64_t sections = op_.i64_attrs() ? int64_t(op_.i64_attrs()->size()) : 0;
  const int64_t streams = sections > 0 ? sections : 1;
  if (in_[1].numel() != streams * S)
    return error("positions have shape " + shapeStr(in_[1].shape) + " but " +
                 std::to_string(streams) + " x " + std::to_string(S) + " are needed");
  if (op_.code() != fb::OpCode::Rope) { // rotated rows into the cache
    VLMC_RETURN_IF_ERROR(requireRank(2, 3, "cache"));
    VLMC_RETURN_IF_ERROR(require(3, "offset"));
    VLMC_RETURN_IF_ERROR(requireInt(3, "offset", true));
    const DeviceTensor &c = in_[2];
    VLMC_RETURN_IF_ERROR(requireFloat(c, "cache"));
    if (x.shape[1] != c.shape[1] || x.shape[2] != c.shape[2] || D % 2 != 0)
      return error("update " + shapeStr(x.shape) + " does not fit cache " + shapeStr(c.shape));
    if (out_.data != c.data)
      return error("the output must be the cache itself (in-place write)");
    if (op_.code() == fb::OpCode::RopeKVPairCacheWrite) { // values as they are
      VLMC_RETURN_IF_ERROR(requireRank(4, 3, "values"));
      VLMC_RETURN_IF_ERROR(requireRank(5, 3, "value cache"));
      const DeviceTensor &v = in_[4], &vc = in_[5];
      if (v.dtype != x.dtype || vc.dtype != c.dtype || v.shape != x.shape || vc.shape != c.shape)
        return error("values " + shapeStr(v.shape) + " and value cache " + shapeStr(vc.shape) +
                     " differ from keys " + shapeStr(x.shape) + " and key cache " +
                     shapeStr(c.shape));
      if (!v.data || !vc.data)
        return error("null values or value cache");
    }
    l.args.d[1] = c.shape[0];
    l.args.d[2] = in_[3].dtype == fb::DType::I64 ? 1 : 0;
  } else if (D % 2 != 0 || out_.numel() != x.numel()) {
    return error("x has shape " + shapeStr(x.shape) + ", output " + shapeStr(out_.shape));
  }
  l.args.d[0] = S;
  l.args.f[0] = f32Attr(0);
  // tile_n = 1: a thread per head; 0 (artifacts before it): per token.
  return elements(l, S * (kernel_.tile_n() > 0 ? x.shape[1] : 1) * (D / 2));
}

Status Planner::attention(Launch &l) {
  VLMC_RETURN_IF_ERROR(requireRank(0, 3, "q"));
  VLMC_RETURN_IF_ERROR(requireRank(1, 3, "k"));
  VLMC_RETURN_IF_ERROR(requireRank(2, 3, "v"));
  const DeviceTensor &q = in_[0], &k = in_[1], &v = in_[2];
  VLMC_RETURN_IF_ERROR(requireFloat(q, "q"));
  VLMC_RETURN_IF_ERROR(requireFloat(k, "k"));
  VLMC_RETURN_IF_ERROR(requireFloat(v, "v"));
  const int64_t Sq = q.shape[0], Hq = q.shape[1], D = q.shape[2];
  const int64_t T = k.shape[0], Hkv = k.shape[1];
  if (k.shape != v.shape || k.shape[2] != D || Hkv <= 0 || Hq % Hkv != 0)
    return error("q " + shapeStr(q.shape) + ", k " + shapeStr(k.shape) + ", v " +
                 shapeStr(v.shape) + " do not fit");
  if (out_.shape != q.shape)
    return error("output " + shapeStr(out_.shape) + " differs from q " + shapeStr(q.shape));
  if (Sq > T)
    return error(std::to_string(Sq) + " queries but only " + std::to_string(T) + " key rows");
  if (has(3)) {
    VLMC_RETURN_IF_ERROR(requireInt(3, "segment starts", false));
    if (in_[3].numel() < 2)
      return error("segment starts need at least 2 entries");
    l.args.d[2] = in_[3].numel();
  }
  if (has(4)) {
    VLMC_RETURN_IF_ERROR(requireInt(4, "kv_length", true));
    l.args.d[4] = in_[4].dtype == fb::DType::I64 ? 1 : 0;
  }
  l.args.d[0] = Sq;
  l.args.d[1] = T;
  l.args.f[0] = f32Attr(0);
  if (Sq <= kAttentionDecodeMaxQueries) {
    // Query heads per block: Kernel.tile_n, or the whole group of a kv head
    // (kernels that predate tile_n).
    const int64_t perBlock = kernel_.tile_n() > 0 ? kernel_.tile_n() : Hq / Hkv;
    if ((Hq / Hkv) % perBlock != 0)
      return error("kernel takes " + std::to_string(perBlock) +
                   " query heads per block, which does not divide the group of " +
                   std::to_string(Hq / Hkv));
    const int64_t blocksPerQuery = Hq / perBlock;
    const int64_t splits = T > 0 ? ceilDiv(T, kAttentionSplitKeys) : 1;
    l.args.d[3] = splits;
    if (splits > 1) {
      if (Sq * blocksPerQuery > kAttentionMaxCounters)
        return error(std::to_string(Sq) + " queries x " + std::to_string(blocksPerQuery) +
                     " head blocks exceed the workspace counters");
      l.workspaceBytes =
          kWorkspaceCounterBytes + size_t(Sq * Hq * splits * (D + 2)) * sizeof(float);
    }
    return setGrid(l, splits, blocksPerQuery, Sq);
  }
  if (kernel_.tile_m() <= 0)
    return error("kernel has no query tile");
  l.args.d[3] = 1;
  return setGrid(l, ceilDiv(Sq, kernel_.tile_m()), Hq);
}

Status Planner::kvCacheWrite(Launch &l) {
  VLMC_RETURN_IF_ERROR(requireRank(0, 3, "update"));
  VLMC_RETURN_IF_ERROR(requireRank(1, 3, "cache"));
  VLMC_RETURN_IF_ERROR(require(2, "offset"));
  VLMC_RETURN_IF_ERROR(requireInt(2, "offset", true));
  const DeviceTensor &u = in_[0], &c = in_[1];
  VLMC_RETURN_IF_ERROR(requireFloat(u, "update"));
  VLMC_RETURN_IF_ERROR(requireFloat(c, "cache"));
  if (u.shape[1] != c.shape[1] || u.shape[2] != c.shape[2])
    return error("update " + shapeStr(u.shape) + " does not fit cache " + shapeStr(c.shape));
  if (out_.data != c.data)
    return error("the output must be the cache itself (in-place write)");
  l.args.d[0] = u.shape[0];
  l.args.d[1] = c.shape[0];
  l.args.d[2] = in_[2].dtype == fb::DType::I64 ? 1 : 0;
  return elements(l, u.numel());
}

Status Planner::elementwise(Launch &l) {
  VLMC_RETURN_IF_ERROR(require(0, "x"));
  VLMC_RETURN_IF_ERROR(requireFloat(in_[0], "x"));
  if (op_.code() != fb::OpCode::Activation) {
    VLMC_RETURN_IF_ERROR(require(1, "b"));
    VLMC_RETURN_IF_ERROR(requireFloat(in_[1], "b"));
    if (in_[1].shape != in_[0].shape)
      return error("operands have shapes " + shapeStr(in_[0].shape) + " and " +
                   shapeStr(in_[1].shape));
  }
  if (out_.numel() != in_[0].numel())
    return error("output " + shapeStr(out_.shape) + " differs from x " + shapeStr(in_[0].shape));
  l.args.d[0] = out_.numel();
  return elements(l, out_.numel());
}

Status Planner::pixelShuffle(Launch &l) {
  VLMC_RETURN_IF_ERROR(requireRank(0, 3, "x"));
  const DeviceTensor &x = in_[0];
  VLMC_RETURN_IF_ERROR(requireFloat(x, "x"));
  const int64_t s = i64Attr(0, 1);
  const int64_t G = int64_t(std::llround(std::sqrt(double(x.shape[1]))));
  if (s <= 0 || G * G != x.shape[1] || G % s != 0)
    return error("cannot pixel-shuffle " + shapeStr(x.shape) + " by " + std::to_string(s));
  if (out_.numel() != x.numel())
    return error("output " + shapeStr(out_.shape) + " differs from x " + shapeStr(x.shape));
  l.args.d[0] = x.shape[0];
  l.args.d[1] = G;
  return elements(l, x.numel());
}

Status Planner::splice(Launch &l) {
  VLMC_RETURN_IF_ERROR(requireRank(0, 2, "image embeddings"));
  VLMC_RETURN_IF_ERROR(requireRank(1, 2, "embeddings"));
  VLMC_RETURN_IF_ERROR(require(2, "ids"));
  VLMC_RETURN_IF_ERROR(requireInt(2, "ids", false));
  VLMC_RETURN_IF_ERROR(requireFloat(in_[0], "image embeddings"));
  VLMC_RETURN_IF_ERROR(requireFloat(in_[1], "embeddings"));
  const int64_t L = in_[1].shape[0];
  if (in_[0].shape[1] != in_[1].shape[1] || in_[2].numel() != L || out_.shape != in_[1].shape)
    return error("image " + shapeStr(in_[0].shape) + ", embeddings " + shapeStr(in_[1].shape) +
                 ", ids " + shapeStr(in_[2].shape) + " do not fit");
  l.args.d[0] = L;
  l.args.d[1] = in_[0].shape[0];
  l.args.d[2] = i64Attr(0, -1);
  return setGrid(l, L);
}

// Input 0 as rows of logits (ArgMax, Sample): bf16 or f32, a non-empty last dim.
Status Planner::requireRows(const char *what) const {
  VLMC_RETURN_IF_ERROR(require(0, what));
  const DeviceTensor &x = in_[0];
  if (x.dtype != fb::DType::BF16 && x.dtype != fb::DType::F32)
    return error(std::string(what) + ": " + fb::EnumNameDType(x.dtype) +
                 ", but kernels take bf16 or f32");
  if (x.shape.empty() || x.shape.back() <= 0)
    return error(std::string(what) + ": shape " + shapeStr(x.shape) + ", no rows to pick from");
  return Status::ok();
}

Status Planner::argMax(Launch &l) {
  VLMC_RETURN_IF_ERROR(requireRows("x"));
  if (out_.dtype != fb::DType::I32)
    return error(std::string("the output is ") + fb::EnumNameDType(out_.dtype) +
                 " but indices are i32");
  const DeviceTensor &x = in_[0];
  const int64_t rows = x.numel() / x.shape.back();
  if (out_.numel() != rows)
    return error("output " + shapeStr(out_.shape) + " does not hold " + std::to_string(rows) +
                 " indices");
  l.args.d[0] = rows;
  return setGrid(l, rows);
}

Status Planner::sample(Launch &l) {
  VLMC_RETURN_IF_ERROR(requireRows("logits"));
  VLMC_RETURN_IF_ERROR(requireRank(1, 1, "penalized ids"));
  VLMC_RETURN_IF_ERROR(requireInt(1, "penalized ids", /*allow64=*/false));
  const DeviceTensor &x = in_[0];
  if (out_.dtype != fb::DType::I32 || out_.numel() != 1)
    return error("the output must be one i32 (the token), got " +
                 std::string(fb::EnumNameDType(out_.dtype)) + " " + shapeStr(out_.shape));
  l.args.d[0] = x.numel() / x.shape.back();
  l.args.d[2] = in_[1].numel();
  // The probabilities of the row, one float each (the kernel uses a 1024
  // multiple of them).
  l.workspaceBytes = kWorkspaceCounterBytes + size_t(ceilDiv(x.shape.back(), 1024) * 1024) * 4;
  // Without attributes (the runtime's op) the caller sets them per step.
  if (!op_.f32_attrs() || op_.f32_attrs()->size() == 0)
    return setGrid(l, 1);
  cpu::SamplingSpec spec;
  spec.temperature = f32Attr(0);
  spec.topP = f32Attr(1);
  spec.minP = f32Attr(2);
  spec.penalty = f32Attr(3);
  spec.topK = i64Attr(0, 0);
  VLMC_RETURN_IF_ERROR(setSamplingArgs(l.args, spec, uint64_t(i64Attr(1, 0))));
  return setGrid(l, 1);
}

} // namespace

Status setSamplingArgs(KernelArgs &args, const cpu::SamplingSpec &spec, uint64_t draw) {
  VLMC_RETURN_IF_ERROR(cpu::validate(spec));
  if (draw >= (uint64_t(1) << 53))
    return invalidArgument("sampling: the draw has more than 53 bits");
  args.d[1] = spec.topK;
  args.d[3] = static_cast<long long>(draw);
  args.f[0] = spec.temperature;
  args.f[1] = spec.topP;
  args.f[2] = spec.minP;
  args.f[3] = spec.penalty;
  return Status::ok();
}

Result<Launch> planLaunch(const fb::Op &op, const fb::Kernel &kernel,
                          const std::vector<DeviceTensor> &inputs, const DeviceTensor &output,
                          const DeviceTensor *secondOutput) {
  return Planner(op, kernel, inputs, output, secondOutput).plan();
}

} // namespace vlmc::cuda
