// The program's invariants, checked once at load so the executor can index
// values, tensors and weights without re-checking.
#include "Verify.h"

#include <cstdint>
#include <string>

namespace vlmc::artifact::detail {

namespace {

using FbString = flatbuffers::String;

std::string str(int64_t v) { return std::to_string(v); }

std::string_view view(const FbString *s) {
  return s ? std::string_view(s->c_str(), s->size()) : std::string_view();
}

// A name from the file, quoted for a one-line message: control bytes are
// escaped and very long names cut, since the file may be garbage.
std::string quoted(std::string_view name) {
  constexpr size_t kMax = 96;
  std::string out = "'";
  for (size_t i = 0; i < name.size() && i < kMax; ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c == 0x7f || c == '\\') {
      static const char digits[] = "0123456789abcdef";
      out += "\\x";
      out += digits[c >> 4];
      out += digits[c & 15];
    } else {
      out += char(c);
    }
  }
  if (name.size() > kMax)
    out += "...";
  return out + "'";
}

bool isKnownQuantMode(fb::QuantMode mode) {
  return mode >= fb::QuantMode::MIN && mode <= fb::QuantMode::MAX;
}

bool isKnownOpCode(fb::OpCode code) { return code <= fb::OpCode::MAX; }

template <typename T> uint32_t length(const flatbuffers::Vector<T> *v) {
  return v ? v->size() : 0;
}

// flatbuffers 2.0.8's verifier only checks that a vector's length field is
// 4-byte aligned, so a crafted buffer can put [long] elements on a 4-byte
// boundary; reading them would be a misaligned load. (The flatbuffer itself
// starts 8-byte aligned in memory, so this is the same as checking its
// offset.)
bool aligned(const flatbuffers::Vector<int64_t> *v) {
  return !v || reinterpret_cast<uintptr_t>(v->data()) % alignof(int64_t) == 0;
}

bool sameShape(const flatbuffers::Vector<int64_t> *a,
               const flatbuffers::Vector<int64_t> *b) {
  if (length(a) != length(b))
    return false;
  for (uint32_t i = 0; i < length(a); ++i)
    if (a->Get(i) != b->Get(i))
      return false;
  return true;
}

class Checker {
public:
  Checker(const fb::Artifact &root, uint64_t flatbufferSize,
          uint64_t weightsSize, const std::string &label,
          Artifact::Index &index)
      : root_(root), weightsSize_(weightsSize), label_(label), index_(index),
        // Scalar vectors and tables can be shared, so a small crafted buffer
        // could make the loops below run for hours. A writer that does not
        // alias vectors has fewer elements than bytes; 16 per byte leaves room
        // for sharing small tables and vectors.
        budget_(16 * flatbufferSize + (uint64_t(1) << 20)) {}

  Status run() {
    VLMC_RETURN_IF_ERROR(checkTensors());
    VLMC_RETURN_IF_ERROR(checkFiles());
    VLMC_RETURN_IF_ERROR(checkKernelIndex("greedy_kernel", root_.greedy_kernel()));
    VLMC_RETURN_IF_ERROR(checkKernelIndex("sample_kernel", root_.sample_kernel()));
    return checkFunctions();
  }

private:
  Status fail(const std::string &where, const std::string &message) const {
    return dataLoss(label_ + ": " + where + ": " + message);
  }
  Status fail(const std::string &message) const {
    return dataLoss(label_ + ": " + message);
  }
  // A kernel reference: -1 (none) or an index the CUDA runtime may look up.
  Status checkKernelIndex(const std::string &where, int32_t index) const {
    const uint32_t kernels = length(root_.kernels());
    if (index < -1 || index >= int64_t(kernels))
      return fail(where, "kernel index " + str(index) + " is out of range (the artifact has " +
                             str(kernels) + " kernels)");
    return Status::ok();
  }
  bool charge(uint64_t units) {
    if (units > budget_)
      return false;
    budget_ -= units;
    return true;
  }
  Status overBudget() const {
    return fail("the flatbuffer refers to far more elements than it holds "
                "(aliased vectors or tables)");
  }

  Status checkTensors();
  Status checkTensor(uint32_t i, const fb::Tensor &t);
  Status checkFiles();
  Status checkFunctions();
  Status checkFunction(const fb::Function &f, const std::string &where);
  Status checkOp(const fb::Function &f, uint32_t k, const fb::Op &op,
                 const std::string &where);

  // Who defines each value of the function being checked: kNone, an op index
  // (>= 0) or an argument (-1 - argument index).
  static constexpr int64_t kNone = INT64_MIN;
  std::string producerName(const fb::Function &f, int64_t producer) const;
  Status define(const fb::Function &f, int32_t value, int64_t producer,
                const std::string &where);

  const fb::Artifact &root_;
  uint64_t weightsSize_;
  const std::string &label_;
  Artifact::Index &index_;
  uint64_t budget_;
  std::vector<int64_t> producedBy_;
};

Status Checker::checkTensors() {
  const auto *tensors = root_.tensors();
  for (uint32_t i = 0; i < length(tensors); ++i)
    VLMC_RETURN_IF_ERROR(checkTensor(i, *tensors->Get(i)));
  return Status::ok();
}

Status Checker::checkTensor(uint32_t i, const fb::Tensor &t) {
  const auto *shape = t.shape();
  if (!charge(1 + length(shape)))
    return overBudget();
  std::string_view name = view(t.name());
  if (name.empty())
    return fail("tensor #" + str(i) + " has no name");
  auto [it, inserted] = index_.tensors.emplace(name, i);
  if (!inserted)
    return fail("tensor " + quoted(name) + " is defined twice (#" +
                str(it->second) + " and #" + str(i) + ")");
  const std::string where = "tensor " + quoted(name);
  if (!aligned(shape))
    return fail(where, "misaligned shape vector");
  if (!isKnownDType(t.dtype()))
    return fail(where, "unknown dtype " + str(int(t.dtype())));
  for (uint32_t d = 0; d < length(shape); ++d)
    if (shape->Get(d) < 0)
      return fail(where, "negative dimension in shape " + shapeString(shape));
  auto expected =
      tensorByteSize(t.dtype(), shape ? shape->data() : nullptr, length(shape));
  if (!expected)
    return fail(where, "shape " + shapeString(shape) + " overflows");
  if (*expected != t.size())
    return fail(where, "size " + std::to_string(t.size()) +
                           " does not match shape " + shapeString(shape) +
                           " of " + fb::EnumNameDType(t.dtype()) + " (" +
                           std::to_string(*expected) + " bytes)");
  if (t.offset() % kTensorAlignment != 0)
    return fail(where, "offset " + std::to_string(t.offset()) +
                           " is not a multiple of " +
                           std::to_string(kTensorAlignment));
  // Ranges may overlap: a writer may store tied weights once.
  if (t.offset() > weightsSize_ || t.size() > weightsSize_ - t.offset())
    return fail(where, std::to_string(t.size()) + " bytes at offset " +
                           std::to_string(t.offset()) +
                           " extend past the weights segment (" +
                           std::to_string(weightsSize_) + " bytes)");
  if (t.quant() && !isKnownQuantMode(t.quant()->mode()))
    return fail(where, "unknown quant mode " + str(int(t.quant()->mode())));
  return Status::ok();
}

Status Checker::checkFiles() {
  const auto *files = root_.files();
  for (uint32_t i = 0; i < length(files); ++i) {
    if (!charge(1))
      return overBudget();
    std::string_view name = view(files->Get(i)->name());
    if (name.empty())
      return fail("embedded file #" + str(i) + " has no name");
    auto [it, inserted] = index_.files.emplace(name, i);
    if (!inserted)
      return fail("embedded file " + quoted(name) + " appears twice (#" +
                  str(it->second) + " and #" + str(i) + ")");
  }
  return Status::ok();
}

Status Checker::checkFunctions() {
  const auto *functions = root_.functions();
  for (uint32_t i = 0; i < length(functions); ++i) {
    const fb::Function &f = *functions->Get(i);
    std::string_view name = view(f.name());
    if (name.empty())
      return fail("function #" + str(i) + " has no name");
    auto [it, inserted] = index_.functions.emplace(name, i);
    if (!inserted)
      return fail("function " + quoted(name) + " is defined twice (#" +
                  str(it->second) + " and #" + str(i) + ")");
    VLMC_RETURN_IF_ERROR(checkFunction(f, "function " + quoted(name)));
  }
  return Status::ok();
}

Status Checker::checkFunction(const fb::Function &f, const std::string &where) {
  const auto *values = f.values();
  const uint32_t n = length(values);
  for (uint32_t v = 0; v < n; ++v) {
    const fb::Value &value = *values->Get(v);
    const auto *shape = value.shape();
    if (!charge(1 + length(shape)))
      return overBudget();
    if (!aligned(shape))
      return fail(where, "value " + str(v) + ": misaligned shape vector");
    if (!isKnownDType(value.dtype()))
      return fail(where, "value " + str(v) + ": unknown dtype " +
                             str(int(value.dtype())));
    for (uint32_t d = 0; d < length(shape); ++d)
      if (shape->Get(d) < -1)
        return fail(where, "value " + str(v) + ": invalid dimension in " +
                               shapeString(shape) +
                               " (dims are >= 0, or -1 when dynamic)");
  }

  producedBy_.assign(n, kNone);
  const auto *inputs = f.inputs();
  std::unordered_map<std::string_view, uint32_t> argumentNames;
  for (uint32_t a = 0; a < length(inputs); ++a) {
    if (!charge(1))
      return overBudget();
    const fb::Argument &arg = *inputs->Get(a);
    std::string_view name = view(arg.name());
    if (name.empty())
      return fail(where, "input #" + str(a) + " has no name");
    if (!argumentNames.emplace(name, a).second)
      return fail(where, "input " + quoted(name) + " appears twice");
    VLMC_RETURN_IF_ERROR(define(f, arg.value(), -1 - int64_t(a),
                                where + ": input " + quoted(name)));
  }

  const auto *ops = f.ops();
  for (uint32_t k = 0; k < length(ops); ++k)
    VLMC_RETURN_IF_ERROR(checkOp(f, k, *ops->Get(k), where));

  const auto *outputs = f.outputs();
  if (!charge(length(outputs)))
    return overBudget();
  for (uint32_t o = 0; o < length(outputs); ++o) {
    int32_t id = outputs->Get(o);
    if (id < 0 || uint32_t(id) >= n)
      return fail(where, "output " + str(o) + " refers to value " + str(id) +
                             ", but the function has " + str(n) + " values");
    if (producedBy_[uint32_t(id)] == kNone)
      return fail(where, "output " + str(o) + " is value " + str(id) +
                             ", which nothing produces");
  }
  return Status::ok();
}

Status Checker::checkOp(const fb::Function &f, uint32_t k, const fb::Op &op,
                        const std::string &function) {
  const auto *inputs = op.inputs();
  const auto *outputs = op.outputs();
  if (!charge(1 + uint64_t(length(inputs)) + length(outputs)))
    return overBudget();
  const uint32_t n = length(f.values());
  std::string where = function + ": op " + str(k);
  if (!isKnownOpCode(op.code()))
    return fail(where, "unknown op code " + str(int(op.code())));
  where += std::string(" (") + fb::EnumNameOpCode(op.code());
  if (!view(op.layer()).empty())
    where += ", layer " + quoted(view(op.layer()));
  where += ")";
  // The sampler kernels' codes (Artifact.greedy_kernel / sample_kernel) name
  // no program op: no executor runs them.
  if (op.code() == fb::OpCode::ArgMax || op.code() == fb::OpCode::Sample)
    return fail(where, "is a sampler kernel's op code, not a program op");

  for (uint32_t i = 0; i < length(inputs); ++i) {
    int32_t id = inputs->Get(i);
    if (id < -1 || id >= int64_t(n)) // -1: an absent optional operand
      return fail(where, "input " + str(i) + " refers to value " + str(id) +
                             ", but the function has " + str(n) + " values");
    // Ops run in order: an executor would read a slot nothing has filled.
    if (id >= 0 && producedBy_[uint32_t(id)] == kNone)
      return fail(where, "input " + str(i) + " reads value " + str(id) +
                             ", which no input or earlier op produces");
  }
  // Executors write every output an op code defines, and nothing else.
  const uint32_t expectedOutputs =
      op.code() == fb::OpCode::AddRmsNorm || op.code() == fb::OpCode::RopeKVPairCacheWrite ? 2
                                                                                            : 1;
  if (length(outputs) != expectedOutputs)
    return fail(where, "has " + str(length(outputs)) + " outputs, " +
                           std::string(fb::EnumNameOpCode(op.code())) + " has exactly " +
                           str(expectedOutputs));
  for (uint32_t o = 0; o < length(outputs); ++o)
    VLMC_RETURN_IF_ERROR(
        define(f, outputs->Get(o), k, where + ": output " + str(o)));
  VLMC_RETURN_IF_ERROR(checkKernelIndex(where, op.kernel()));
  if (op.quant() && !isKnownQuantMode(op.quant()->mode()))
    return fail(where, "unknown quant mode " + str(int(op.quant()->mode())));
  // Not read here, but the executor will.
  if (!aligned(op.i64_attrs()))
    return fail(where, "misaligned i64_attrs vector");

  if (op.code() != fb::OpCode::Parameter)
    return Status::ok();
  const uint32_t tensors = length(root_.tensors());
  if (op.tensor() < 0 || uint32_t(op.tensor()) >= tensors)
    return fail(where, "tensor index " + str(op.tensor()) +
                           " is out of range (the artifact has " +
                           str(tensors) + " tensors)");
  const fb::Tensor &t = *root_.tensors()->Get(uint32_t(op.tensor()));
  const fb::Value &out = *f.values()->Get(uint32_t(outputs->Get(0)));
  if (!charge(length(t.shape())))
    return overBudget();
  if (t.dtype() != out.dtype() || !sameShape(t.shape(), out.shape()))
    return fail(where, "value " + str(outputs->Get(0)) + " (" +
                           fb::EnumNameDType(out.dtype()) + " " +
                           shapeString(out.shape()) +
                           ") does not match tensor " + quoted(view(t.name())) +
                           " (" + fb::EnumNameDType(t.dtype()) + " " +
                           shapeString(t.shape()) + ")");
  return Status::ok();
}

std::string Checker::producerName(const fb::Function &f,
                                  int64_t producer) const {
  if (producer >= 0)
    return "op " + str(producer);
  return "input " +
         quoted(view(f.inputs()->Get(uint32_t(-1 - producer))->name()));
}

Status Checker::define(const fb::Function &f, int32_t value, int64_t producer,
                       const std::string &where) {
  const uint32_t n = length(f.values());
  if (value < 0 || uint32_t(value) >= n)
    return fail(where, "refers to value " + str(value) +
                           ", but the function has " + str(n) + " values");
  int64_t &slot = producedBy_[uint32_t(value)];
  if (slot != kNone)
    return fail(where, "value " + str(value) + " is already produced by " +
                           producerName(f, slot));
  slot = producer;
  return Status::ok();
}

} // namespace

Status verifyContents(const fb::Artifact &root, uint64_t flatbufferSize,
                      uint64_t weightsSize, const std::string &label,
                      Artifact::Index &index) {
  index = {};
  return Checker(root, flatbufferSize, weightsSize, label, index).run();
}

} // namespace vlmc::artifact::detail
