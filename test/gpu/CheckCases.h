// The cases vlmc-kernel-check runs: an op specialization (OpDesc), fresh
// random inputs in device format, and the CPU backend's result on the same
// (dtype-rounded) values.
#pragma once

#include "compiler/codegen/Codegen.h"
#include "vlmc/cpu/ThreadPool.h"
#include "vlmc/support/Status.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace vlmc::check {

// A host tensor holding exactly the bytes the device gets.
struct HostTensor {
  bool present = true; // false: an absent optional input (nullptr)
  fb::DType dtype = fb::DType::F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};

struct Case {
  codegen::OpDesc desc;
  std::vector<HostTensor> inputs;
  fb::DType outDtype = fb::DType::F32;
  std::vector<int64_t> outShape;
  int inPlace = -1;            // the output is this input (KVCacheWrite)
  int outputs = 1;             // 2: a second output of outShape (AddRmsNorm)
  int secondInPlace = -1;      // the second output is this input (RopeKVPairCacheWrite)
  std::vector<float> expected; // the CPU backend's outputs, one after the other
  double tolerance = 0;        // on max |gpu - cpu| / max |cpu|
};

struct CaseSpec {
  std::string op;    // "QMatmul nvfp4"
  std::string shape; // "M=1 K=1536 N=8960 +bias"
  fb::DType dtype;
  // Built only when the case runs (the reference can take a while);
  // descOnly fills Case::desc alone, cheaply.
  std::function<Result<Case>(cpu::ThreadPool &, bool descOnly)> build;

  std::string name() const;
};

// Every case; `seed` makes the random inputs (each case also hashes its name
// in, so --filter reproduces the same inputs).
std::vector<CaseSpec> allCases(uint64_t seed);

} // namespace vlmc::check
