// A function of the artifact prepared for execution: values, ops with their
// operands resolved, aliases (reshapes and KV-cache writes reuse their
// input's storage) and, per op, the values whose storage dies after it.
#pragma once

#include "vlmc/artifact/vlmc_generated.h"
#include "vlmc/exec/Tensor.h"
#include "vlmc/support/Status.h"

#include <array>
#include <map>
#include <string>
#include <vector>

namespace vlmc::exec {

struct ValueInfo {
  ElementType dtype = ElementType::kF32;
  std::vector<int64_t> shape; // -1 for dynamic dims
};

struct OpInfo {
  const fb::Op *op = nullptr;
  fb::OpCode code = fb::OpCode::Parameter;
  std::vector<int32_t> inputs; // -1 for absent optional operands
  std::vector<int32_t> outputs;
  std::string layer;
  // Per output, for views and in-place updates (Reshape, the KV cache
  // writes): the input whose storage that output is; -1 for fresh storage.
  // The verifier allows at most two outputs.
  std::array<int, 2> aliasedInputs = {-1, -1};
  // Storage roots whose last use is this op: released right after it.
  std::vector<int32_t> release;
};

class Program {
public:
  static Result<Program> load(const fb::Function &function);

  const std::string &name() const { return name_; }
  const std::vector<ValueInfo> &values() const { return values_; }
  const std::vector<OpInfo> &ops() const { return ops_; }
  const std::map<std::string, int32_t> &inputs() const { return inputs_; }
  const std::vector<std::string> &inputOrder() const { return inputOrder_; }
  const std::vector<int32_t> &outputs() const { return outputs_; }
  // The value whose storage `value` shares (itself if none).
  int32_t root(int32_t value) const { return roots_[size_t(value)]; }

private:
  std::string name_;
  std::vector<ValueInfo> values_;
  std::vector<OpInfo> ops_;
  std::map<std::string, int32_t> inputs_;
  std::vector<std::string> inputOrder_;
  std::vector<int32_t> outputs_;
  std::vector<int32_t> roots_;
};

} // namespace vlmc::exec
