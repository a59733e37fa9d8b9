// Embedding, QEmbedding and SpliceImageTokens: row gathers.
//
// Embedding/QEmbedding: a warp per id (8 per block), 16-byte vector copies;
// QEmbedding dequantizes the gathered row only (quant::dequantize's values).
// A float table may have rows known at run time only (a gather over
// activations: Qwen2.5-VL's window order); the kernel then bounds ids by
// the launch's d[1] instead of a constant.
// An id outside [0, vocab) yields a zero row: the CPU backend reports it as
// an error, which the runtime checks on the host ids before uploading.
//
// SpliceImageTokens: a block per token; the image row of an image token is
// the count of image tokens before it, found with __syncthreads_count over
// the preceding ids. Image tokens beyond the image rows get zero rows (the
// CPU backend's count check belongs on the host, where the ids come from).
#include "Internal.h"

namespace vlmc::codegen::detail {
namespace {

const char *kEmbeddingText = R"cuda(
{
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const i64 i = (i64)blockIdx.x * 8 + warp;
  if (i >= a.d[0]) return;
  const int id = ((const int *)a.p[1])[i];
#if VLM_DYNAMIC_V
  const i64 rows = a.d[1];
#else
  const i64 rows = cfg::V;
#endif
  const bool ok = id >= 0 && (i64)id < rows;
  act_t *out = (act_t *)a.p[0] + i * cfg::E;
#if VLM_QUANT
  const QMat q = q_matrix(a, 2);
  for (i64 e = (i64)lane * 8; e < cfg::E; e += 32 * 8) {
    float v[8];
    if (ok) {
      q_dequant8(q, id, e, v);
    } else {
#pragma unroll
      for (int k = 0; k < 8; ++k) v[k] = 0.0f;
    }
    act_storev<8>(out + e, v);
  }
#else
  const act_t *table = (const act_t *)a.p[2];
  for (i64 e = (i64)lane * cfg::VW; e < cfg::E; e += 32 * cfg::VW) {
    float v[cfg::VW];
    if (ok) {
      act_loadv<cfg::VW>(table + (i64)id * cfg::E + e, v);
    } else {
#pragma unroll
      for (int k = 0; k < cfg::VW; ++k) v[k] = 0.0f;
    }
    act_storev<cfg::VW>(out + e, v);
  }
#endif
}
)cuda";

const char *kSpliceText = R"cuda(
{
  // p[1] image [rows, E], p[2] embeddings [L, E], p[3] ids [L].
  const i64 i = blockIdx.x;
  const i64 imageRows = a.d[1];
  const int token = (int)a.d[2];
  const int *ids = (const int *)a.p[3];
  i64 before = 0;
  for (i64 b = 0; b < i; b += 256) {
    const i64 j = b + threadIdx.x;
    before += __syncthreads_count(j < i && ids[j] == token);
  }
  const act_t *src;
  if (ids[i] == token) src = before < imageRows ? (const act_t *)a.p[1] + before * cfg::E : nullptr;
  else src = (const act_t *)a.p[2] + i * cfg::E;
  act_t *dst = (act_t *)a.p[0] + i * cfg::E;
  if (src == dst) return; // in place over the embeddings
  for (i64 e = (i64)threadIdx.x * cfg::VW; e < cfg::E; e += 256 * cfg::VW) {
    float v[cfg::VW];
    if (src) {
      act_loadv<cfg::VW>(src + e, v);
    } else {
#pragma unroll
      for (int k = 0; k < cfg::VW; ++k) v[k] = 0.0f;
    }
    act_storev<cfg::VW>(dst + e, v);
  }
}
)cuda";

int64_t vectorWidth(int64_t width, fb::DType dtype) {
  int64_t v = dtype == fb::DType::BF16 ? 8 : 4;
  while (width % v != 0)
    v /= 2;
  return v;
}

} // namespace

Result<KernelSource> generateEmbedding(const OpDesc &desc) {
  VLMC_RETURN_IF_ERROR(requireDtype(desc));
  const bool quantized = desc.code == fb::OpCode::QEmbedding;
  const bool dynamicVocab = desc.vocab < 0 && !quantized;
  if (!dynamicVocab)
    VLMC_RETURN_IF_ERROR(requirePositive(desc, "vocab", desc.vocab));
  VLMC_RETURN_IF_ERROR(requirePositive(desc, "width", desc.width));
  if (quantized)
    VLMC_RETURN_IF_ERROR(validateQuant(desc, desc.width));
  if (desc.vocab >= (int64_t(1) << 31))
    return invalidArgument("codegen: embedding vocab must be below 2^31");
  KernelSource ks;
  ks.grid = fb::GridKind::Rows;
  ks.block = kBlock;
  ks.rowsPerBlock = kBlock / 32;
  ks.name = std::string(quantized ? "vlm_qembedding_" + quantTag(desc.quant) : "vlm_embedding") +
            "_v" + (dynamicVocab ? std::string("dyn") : std::to_string(desc.vocab)) + "_e" +
            std::to_string(desc.width) + "_" +
            dtypeTag(desc.dtype);
  std::string s = prelude(desc.dtype);
  s += std::string("#define VLM_QUANT ") + (quantized ? "1" : "0") + "\n";
  s += std::string("#define VLM_DYNAMIC_V ") + (dynamicVocab ? "1" : "0") + "\n";
  s += "namespace cfg {\n";
  s += constant("i64", "V", dynamicVocab ? 0 : desc.vocab);
  s += constant("i64", "E", desc.width);
  s += constant("int", "VW", vectorWidth(desc.width, desc.dtype));
  s += "} // namespace cfg\n";
  if (quantized)
    s += quantHelpers(desc, desc.width);
  s += entry(ks.name, ks.block);
  s += kEmbeddingText;
  ks.source = std::move(s);
  return ks;
}

Result<KernelSource> generateSplice(const OpDesc &desc) {
  VLMC_RETURN_IF_ERROR(requireDtype(desc));
  VLMC_RETURN_IF_ERROR(requirePositive(desc, "width", desc.width));
  KernelSource ks;
  ks.grid = fb::GridKind::Rows;
  ks.block = kBlock;
  ks.rowsPerBlock = 1;
  ks.name = "vlm_splice_image_tokens_e" + std::to_string(desc.width) + "_" + dtypeTag(desc.dtype);
  std::string s = prelude(desc.dtype);
  s += "namespace cfg {\n";
  s += constant("i64", "E", desc.width);
  s += constant("int", "VW", vectorWidth(desc.width, desc.dtype));
  s += "} // namespace cfg\n";
  s += entry(ks.name, ks.block);
  s += kSpliceText;
  ks.source = std::move(s);
  return ks;
}

} // namespace vlmc::codegen::detail
