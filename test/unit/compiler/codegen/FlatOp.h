// Test helper: an fb::Op and its fb::Kernel as the runtime sees them, built
// from an OpDesc and a generated KernelSource (a one-op artifact flatbuffer).
// Shared by the codegen unit tests and test/gpu's vlmc-kernel-check.
#pragma once

#include "compiler/codegen/Codegen.h"
#include "vlmc/artifact/vlmc_generated.h"

#include <cstdint>
#include <vector>

namespace vlmc::codegen::test {

class FlatOp {
public:
  // inputs: one value id per op input, -1 for an absent optional one.
  FlatOp(const OpDesc &d, const KernelSource &k, const std::vector<int32_t> &inputs) {
    flatbuffers::FlatBufferBuilder fbb;
    flatbuffers::Offset<fb::QuantSpec> quant = 0;
    if (d.quant.mode != fb::QuantMode::None)
      quant = fb::CreateQuantSpec(fbb, d.quant.mode, d.quant.bits, d.quant.groupSize,
                                  d.quant.globalScale);
    std::vector<int32_t> outputs = {0};
    auto op = fb::CreateOpDirect(fbb, d.code, "test", &inputs, &outputs, -1, &d.f32Attrs,
                                 &d.i64Attrs, d.flags, quant, 0);
    std::vector<flatbuffers::Offset<fb::Op>> ops = {op};
    auto fn = fb::CreateFunctionDirect(fbb, "f", nullptr, nullptr, nullptr, &ops);
    std::vector<flatbuffers::Offset<fb::Function>> fns = {fn};
    std::vector<flatbuffers::Offset<fb::Kernel>> kernels = {serializeKernel(fbb, k)};
    auto art = fb::CreateArtifactDirect(fbb, "test", "test", "cuda", false, "test", nullptr,
                                        nullptr, &fns, &kernels);
    fbb.Finish(art);
    buf_.assign(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
  }

  const fb::Op &op() const { return *artifact()->functions()->Get(0)->ops()->Get(0); }
  const fb::Kernel &kernel() const { return *artifact()->kernels()->Get(0); }

private:
  const fb::Artifact *artifact() const { return fb::GetArtifact(buf_.data()); }
  std::vector<uint8_t> buf_;
};

} // namespace vlmc::codegen::test
