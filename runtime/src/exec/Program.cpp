#include "Program.h"

namespace vlmc::exec {

namespace {

// The input that output `output` is a view of (or an in-place update to),
// or -1.
int aliasedInput(fb::OpCode code, size_t output) {
  switch (code) {
  case fb::OpCode::Reshape: return output == 0 ? 0 : -1;
  case fb::OpCode::KVCacheWrite: return output == 0 ? 1 : -1; // the cache
  case fb::OpCode::RopeKVCacheWrite: return output == 0 ? 2 : -1;
  case fb::OpCode::RopeKVPairCacheWrite: return output == 0 ? 2 : output == 1 ? 5 : -1;
  default: return -1;
  }
}

} // namespace

Result<Program> Program::load(const fb::Function &function) {
  Program p;
  p.name_ = function.name()->str();
  auto fail = [&](const std::string &what) {
    return dataLoss("function '" + p.name_ + "': " + what);
  };
  if (function.values())
    for (const fb::Value *v : *function.values()) {
      ValueInfo info;
      info.dtype = ElementType(uint8_t(v->dtype()));
      if (v->shape())
        info.shape.assign(v->shape()->begin(), v->shape()->end());
      p.values_.push_back(std::move(info));
    }
  int32_t numValues = int32_t(p.values_.size());
  auto inRange = [&](int32_t id) { return id >= 0 && id < numValues; };
  p.roots_.resize(p.values_.size());
  for (int32_t i = 0; i < numValues; ++i)
    p.roots_[size_t(i)] = i;

  if (function.inputs())
    for (const fb::Argument *arg : *function.inputs()) {
      if (!inRange(arg->value()))
        return fail("input '" + arg->name()->str() + "' refers to no value");
      p.inputs_[arg->name()->str()] = arg->value();
      p.inputOrder_.push_back(arg->name()->str());
    }
  if (function.outputs())
    for (int32_t id : *function.outputs()) {
      if (!inRange(id))
        return fail("an output refers to no value");
      p.outputs_.push_back(id);
    }

  if (function.ops())
    for (const fb::Op *op : *function.ops()) {
      OpInfo info;
      info.op = op;
      info.code = op->code();
      if (op->inputs())
        info.inputs.assign(op->inputs()->begin(), op->inputs()->end());
      if (op->outputs())
        info.outputs.assign(op->outputs()->begin(), op->outputs()->end());
      if (op->layer())
        info.layer = op->layer()->str();
      for (int32_t id : info.inputs)
        if (id != -1 && !inRange(id))
          return fail("an op input refers to no value");
      for (int32_t id : info.outputs)
        if (!inRange(id))
          return fail("an op output refers to no value");
      for (size_t o = 0; o < info.outputs.size() && o < info.aliasedInputs.size(); ++o) {
        int alias = aliasedInput(info.code, o);
        if (alias < 0 || size_t(alias) >= info.inputs.size() || info.inputs[size_t(alias)] < 0)
          continue;
        info.aliasedInputs[o] = alias;
        p.roots_[size_t(info.outputs[o])] = p.roots_[size_t(info.inputs[size_t(alias)])];
      }
      p.ops_.push_back(std::move(info));
    }

  // Liveness on storage roots: a root dies after the last op that reads any
  // of its aliases, unless it is a function input or reaches an output.
  std::vector<int32_t> lastUse(p.values_.size(), -1);
  for (size_t i = 0; i < p.ops_.size(); ++i) {
    for (int32_t id : p.ops_[i].inputs)
      if (id >= 0)
        lastUse[size_t(p.roots_[size_t(id)])] = int32_t(i);
    for (int32_t id : p.ops_[i].outputs)
      lastUse[size_t(p.roots_[size_t(id)])] =
          std::max(lastUse[size_t(p.roots_[size_t(id)])], int32_t(i));
  }
  std::vector<bool> pinned(p.values_.size(), false);
  for (const auto &[name, id] : p.inputs_)
    pinned[size_t(p.roots_[size_t(id)])] = true;
  for (int32_t id : p.outputs_)
    pinned[size_t(p.roots_[size_t(id)])] = true;
  for (int32_t root = 0; root < numValues; ++root)
    if (p.roots_[size_t(root)] == root && !pinned[size_t(root)] && lastUse[size_t(root)] >= 0)
      p.ops_[size_t(lastUse[size_t(root)])].release.push_back(root);
  return p;
}

} // namespace vlmc::exec
