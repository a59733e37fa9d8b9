// ArgMax over rows (greedy sampling on the device): one block of 1024
// threads per row. Each thread scans its 16-byte vectors in increasing index
// order keeping the first largest value; the block then reduces (value,
// index) pairs preferring the larger value, then the smaller index, so the
// result is the first index of the row's maximum, as std::max_element gives.
// NaN never compares larger, so it is never picked (a row of NaNs gives 0).
#include "Internal.h"

namespace vlmc::codegen::detail {
namespace {

const char *kArgMaxText = R"cuda(
{
  __shared__ float bestValues[32];
  __shared__ int bestIndices[32];
  constexpr int N = cfg::N, VW = cfg::VW, NONE = 0x7FFFFFFF;
  const i64 row = blockIdx.x;
  if (row >= a.d[0]) return;
  const act_t *x = (const act_t *)a.p[1] + row * (i64)N;
  float best = __int_as_float(0xFF800000); // -inf
  int index = NONE;
  for (int v = threadIdx.x; v < N / VW; v += 1024) {
    float e[VW];
    act_loadv<VW>(x + (i64)v * VW, e);
#pragma unroll
    for (int j = 0; j < VW; ++j)
      if (e[j] > best || (index == NONE && e[j] == best)) {
        best = e[j];
        index = v * VW + j;
      }
  }
  auto better = [](float v, int i, float bv, int bi) {
    return v > bv || (v == bv && i < bi);
  };
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) {
    const float v = __shfl_xor_sync(0xFFFFFFFFu, best, o);
    const int i = __shfl_xor_sync(0xFFFFFFFFu, index, o);
    if (better(v, i, best, index)) { best = v; index = i; }
  }
  if ((threadIdx.x & 31) == 0) {
    bestValues[threadIdx.x >> 5] = best;
    bestIndices[threadIdx.x >> 5] = index;
  }
  __syncthreads();
  if (threadIdx.x >= 32) return;
  best = bestValues[threadIdx.x];
  index = bestIndices[threadIdx.x];
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) {
    const float v = __shfl_xor_sync(0xFFFFFFFFu, best, o);
    const int i = __shfl_xor_sync(0xFFFFFFFFu, index, o);
    if (better(v, i, best, index)) { best = v; index = i; }
  }
  if (threadIdx.x == 0) ((int *)a.p[0])[row] = index == NONE ? 0 : index;
}
)cuda";

} // namespace

Result<KernelSource> generateArgMax(const OpDesc &desc) {
  VLMC_RETURN_IF_ERROR(requireDtype(desc));
  VLMC_RETURN_IF_ERROR(requirePositive(desc, "width", desc.width));
  if (desc.width >= (int64_t(1) << 31) - 1)
    return invalidArgument("codegen: ArgMax rows of " + std::to_string(desc.width) +
                           " elements do not fit int32 indices");
  int64_t vw = desc.dtype == fb::DType::BF16 ? 8 : 4;
  while (desc.width % vw != 0)
    vw /= 2;
  KernelSource ks;
  ks.grid = fb::GridKind::Rows;
  ks.block = 1024;
  ks.rowsPerBlock = 1;
  ks.name = "vlm_argmax_n" + std::to_string(desc.width) + "_" + dtypeTag(desc.dtype);
  std::string s = prelude(desc.dtype);
  s += "namespace cfg {\n";
  s += constant("int", "N", desc.width);
  s += constant("int", "VW", vw);
  s += "} // namespace cfg\n";
  s += entry(ks.name, ks.block);
  s += kArgMaxText;
  ks.source = std::move(s);
  return ks;
}

} // namespace vlmc::codegen::detail
