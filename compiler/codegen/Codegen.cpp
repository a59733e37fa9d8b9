// generateKernel: validation common to all ops and the dispatch to the
// per-family generators; small source-building helpers.
#include "Internal.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace vlmc::codegen {
namespace detail {

const char *dtypeTag(fb::DType dtype) { return dtype == fb::DType::BF16 ? "bf16" : "f32"; }

std::string quantTag(const QuantDesc &q) {
  switch (q.mode) {
  case fb::QuantMode::Affine: {
    std::string s = "affine" + std::to_string(q.bits) + "g" + std::to_string(q.groupSize);
    if (q.scaleDtype == fb::DType::F16)
      s += "f16s";
    else if (q.scaleDtype == fb::DType::BF16)
      s += "bf16s";
    else
      s += "f32s";
    return s;
  }
  case fb::QuantMode::Mxfp4: return "mxfp4";
  case fb::QuantMode::Mxfp8: return "mxfp8";
  case fb::QuantMode::Nvfp4: return q.globalScale ? "nvfp4gs" : "nvfp4";
  default: return "none";
  }
}

std::string constant(const char *type, const char *name, int64_t value) {
  return std::string("constexpr ") + type + " " + name + " = " + std::to_string(value) + ";\n";
}

std::string constant(const char *name, bool value) {
  return std::string("constexpr bool ") + name + " = " + (value ? "true" : "false") + ";\n";
}

std::string floatLiteral(float v) {
  // %a prints the exact binary value; NVRTC (C++17) reads hex floats.
  char buf[64];
  std::snprintf(buf, sizeof buf, "%af", static_cast<double>(v));
  return buf;
}

std::string entry(const std::string &name, int block, int minBlocks) {
  return "extern \"C\" __global__ void __launch_bounds__(" + std::to_string(block) +
         (minBlocks > 0 ? ", " + std::to_string(minBlocks) : std::string()) + ") " + name +
         "(KernelArgs a)";
}

static const char *modeName(fb::QuantMode m) {
  switch (m) {
  case fb::QuantMode::Affine: return "affine";
  case fb::QuantMode::Mxfp4: return "mxfp4";
  case fb::QuantMode::Mxfp8: return "mxfp8";
  case fb::QuantMode::Nvfp4: return "nvfp4";
  default: return "none";
  }
}

const char *quantModeName(fb::QuantMode m) { return modeName(m); }

static std::string opName(const OpDesc &desc) {
  return std::string("codegen: ") + fb::EnumNameOpCode(desc.code);
}

Status requireDtype(const OpDesc &desc) {
  if (desc.dtype != fb::DType::BF16 && desc.dtype != fb::DType::F32)
    return invalidArgument(opName(desc) + ": activations must be bf16 or f32, not " +
                           fb::EnumNameDType(desc.dtype));
  return Status::ok();
}

Status requirePositive(const OpDesc &desc, const char *what, int64_t v) {
  if (v <= 0)
    return invalidArgument(opName(desc) + ": " + what + " must be positive but is " +
                           std::to_string(v));
  return Status::ok();
}

Status validateQuant(const OpDesc &desc, int64_t cols) {
  const QuantDesc &q = desc.quant;
  const std::string op = opName(desc);
  switch (q.mode) {
  case fb::QuantMode::Affine:
    if (q.bits != 2 && q.bits != 3 && q.bits != 4 && q.bits != 5 && q.bits != 6 && q.bits != 8)
      return invalidArgument(op + ": affine bits must be 2, 3, 4, 5, 6 or 8, not " +
                             std::to_string(q.bits));
    if (q.groupSize != 32 && q.groupSize != 64 && q.groupSize != 128)
      return invalidArgument(op + ": affine group size must be 32, 64 or 128, not " +
                             std::to_string(q.groupSize));
    if (q.scaleDtype != fb::DType::F32 && q.scaleDtype != fb::DType::F16 &&
        q.scaleDtype != fb::DType::BF16)
      return invalidArgument(op + ": affine scales must be f32, f16 or bf16, not " +
                             fb::EnumNameDType(q.scaleDtype));
    if (q.globalScale)
      return invalidArgument(op + ": only nvfp4 may have a global scale");
    break;
  case fb::QuantMode::Mxfp4:
  case fb::QuantMode::Mxfp8:
  case fb::QuantMode::Nvfp4: {
    const int bits = q.mode == fb::QuantMode::Mxfp8 ? 8 : 4;
    const int group = q.mode == fb::QuantMode::Nvfp4 ? 16 : 32;
    if (q.bits != bits || q.groupSize != group)
      return invalidArgument(op + ": " + modeName(q.mode) + " needs bits " +
                             std::to_string(bits) + " and group size " + std::to_string(group) +
                             ", not " + std::to_string(q.bits) + "/" +
                             std::to_string(q.groupSize));
    if (q.globalScale && q.mode != fb::QuantMode::Nvfp4)
      return invalidArgument(op + ": only nvfp4 may have a global scale");
    break;
  }
  default:
    return invalidArgument(op + ": needs a quantization mode");
  }
  if (cols % q.groupSize != 0)
    return invalidArgument(op + ": " + std::to_string(cols) +
                           " columns are not a multiple of the group size " +
                           std::to_string(q.groupSize));
  return Status::ok();
}

} // namespace detail

Result<KernelSource> generateKernel(const OpDesc &desc) {
  using namespace detail;
  switch (desc.code) {
  case fb::OpCode::Parameter:
  case fb::OpCode::Reshape: {
    // Views: the runtime aliases buffers, nothing runs on the device.
    KernelSource k;
    k.name = desc.code == fb::OpCode::Parameter ? "vlm_parameter" : "vlm_reshape";
    k.grid = fb::GridKind::None;
    return k;
  }
  case fb::OpCode::Matmul:
  case fb::OpCode::QMatmul:
  case fb::OpCode::QQMatmul: return generateMatmul(desc);
  case fb::OpCode::Embedding:
  case fb::OpCode::QEmbedding: return generateEmbedding(desc);
  case fb::OpCode::RmsNorm:
  case fb::OpCode::LayerNorm:
  case fb::OpCode::AddRmsNorm: return generateNorm(desc);
  case fb::OpCode::Rope:
  case fb::OpCode::RopeKVCacheWrite:
  case fb::OpCode::RopeKVPairCacheWrite: return generateRope(desc);
  case fb::OpCode::Attention: return generateAttention(desc);
  case fb::OpCode::KVCacheWrite: return generateKvCacheWrite(desc);
  case fb::OpCode::Activation:
  case fb::OpCode::Add:
  case fb::OpCode::Mul:
  case fb::OpCode::GatedActivation: return generateElementwise(desc);
  case fb::OpCode::PixelShuffle: return generatePixelShuffle(desc);
  case fb::OpCode::SpliceImageTokens: return generateSplice(desc);
  case fb::OpCode::ArgMax: return generateArgMax(desc);
  case fb::OpCode::Sample: return generateSample(desc);
  }
  return invalidArgument("codegen: unknown op code " + std::to_string(int(desc.code)));
}

flatbuffers::Offset<fb::Kernel> serializeKernel(flatbuffers::FlatBufferBuilder &fbb,
                                                const KernelSource &kernel,
                                                const std::vector<KernelCubin> &cubins) {
  auto name = fbb.CreateString(kernel.name);
  auto source = fbb.CreateString(kernel.source);
  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::Cubin>>> cubinTables;
  if (!cubins.empty()) {
    std::vector<flatbuffers::Offset<fb::Cubin>> tables;
    for (const KernelCubin &cubin : cubins)
      tables.push_back(fb::CreateCubin(
          fbb, fbb.CreateString(cubin.arch),
          fbb.CreateVector(reinterpret_cast<const uint8_t *>(cubin.image.data()),
                           cubin.image.size())));
    cubinTables = fbb.CreateVector(tables);
  }
  return fb::CreateKernel(fbb, name, source, cubinTables, kernel.grid, kernel.block,
                          kernel.rowsPerBlock, kernel.tileM, kernel.tileN, kernel.sharedBytes);
}

} // namespace vlmc::codegen
