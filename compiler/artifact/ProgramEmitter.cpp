#include "compiler/artifact/ProgramEmitter.h"

#include "compiler/artifact/OpDescription.h"

#include "dialects/vlm/IR/LayerName.h"
#include "dialects/vlm/IR/VlmOps.h"
#include "vlmc/artifact/Format.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

#include <map>

using namespace mlir;
using namespace mlir::vlm;

namespace vlmc::compiler {

namespace {

std::optional<fb::DType> dtypeOf(Type t) {
  if (t.isF32())
    return fb::DType::F32;
  if (t.isF16())
    return fb::DType::F16;
  if (t.isBF16())
    return fb::DType::BF16;
  if (t.isInteger(32))
    return t.isUnsignedInteger() ? fb::DType::U32 : fb::DType::I32;
  if (t.isSignlessInteger(64) || t.isSignedInteger(64))
    return fb::DType::I64;
  if (t.isInteger(8) || isa<Float8E4M3FNType, Float8E8M0FNUType>(t))
    return fb::DType::U8;
  return std::nullopt;
}

quant::Mode toMode(QuantMode mode) {
  switch (mode) {
  case QuantMode::affine: return quant::Mode::kAffine;
  case QuantMode::mxfp4: return quant::Mode::kMxfp4;
  case QuantMode::mxfp8: return quant::Mode::kMxfp8;
  case QuantMode::nvfp4: return quant::Mode::kNvfp4;
  }
  llvm_unreachable("unknown mode");
}

// The index of `kernel` in the program: one entry per specialization, shared
// by every op (and the greedy sampler) that needs it.
int32_t internKernel(EmittedProgram &program, std::map<std::string, int32_t> &kernelIndex,
                     codegen::KernelSource kernel) {
  auto [it, inserted] = kernelIndex.emplace(kernel.name, int32_t(program.kernels.size()));
  if (inserted)
    program.kernels.push_back(std::move(kernel));
  return it->second;
}

quant::DType floatTypeOf(ModuleOp module) {
  auto dtype = module->getAttrOfType<StringAttr>("vlm.dtype");
  if (dtype && dtype.getValue() == "bfloat16")
    return quant::DType::kBF16;
  if (dtype && dtype.getValue() == "float16")
    return quant::DType::kF16;
  return quant::DType::kF32;
}

class FunctionEmitter {
public:
  FunctionEmitter(flatbuffers::FlatBufferBuilder &fbb, EmittedProgram &program,
                  std::map<std::string, int32_t> &tensorIndex,
                  std::map<std::string, int32_t> *kernelIndex, quant::DType modelFloat)
      : fbb(fbb), program(program), tensorIndex(tensorIndex), kernelIndex(kernelIndex),
        modelFloat(modelFloat) {}

  FailureOr<flatbuffers::Offset<fb::Function>> emit(func::FuncOp func) {
    std::vector<flatbuffers::Offset<fb::Argument>> args;
    for (BlockArgument arg : func.getArguments()) {
      FailureOr<int32_t> id = define(arg, func);
      if (failed(id))
        return failure();
      auto name = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "vlm.name");
      if (!name)
        return func.emitError() << "argument " << arg.getArgNumber()
                                << " has no vlm.name";
      args.push_back(fb::CreateArgumentDirect(fbb, name.getValue().str().c_str(), *id));
    }
    std::vector<int32_t> outputs;
    for (Operation &op : func.getBody().front()) {
      if (auto ret = dyn_cast<func::ReturnOp>(op)) {
        for (Value v : ret.getOperands())
          outputs.push_back(idOf(v));
        continue;
      }
      if (failed(emitOp(&op)))
        return failure();
    }
    return fb::CreateFunctionDirect(fbb, func.getName().str().c_str(), &values, &args,
                                    &outputs, &ops);
  }

private:
  FailureOr<int32_t> define(Value v, Operation *where) {
    auto type = dyn_cast<RankedTensorType>(v.getType());
    std::optional<fb::DType> dtype = type ? dtypeOf(type.getElementType()) : std::nullopt;
    if (!dtype)
      return where->emitError() << "the artifact cannot hold a value of type "
                                << v.getType();
    std::vector<int64_t> shape;
    for (int64_t d : type.getShape())
      shape.push_back(ShapedType::isDynamic(d) ? -1 : d);
    int32_t id = int32_t(values.size());
    // Scalars carry no shape vector: flatbuffers does not 8-byte align empty
    // vectors, and the reader checks [long] alignment.
    values.push_back(fb::CreateValueDirect(fbb, *dtype, shape.empty() ? nullptr : &shape));
    ids[v] = id;
    return id;
  }

  int32_t idOf(Value v) const { return v ? ids.lookup(v) : -1; }

  flatbuffers::Offset<fb::QuantSpec> quantSpec(QuantSpecAttr spec) {
    return fb::CreateQuantSpec(fbb, toFbMode(spec.getMode()), int32_t(spec.getBits()),
                               int32_t(spec.getGroupSize()), spec.getGlobalScale());
  }

  FailureOr<int32_t> tensorFor(ParameterOp param) {
    auto type = cast<RankedTensorType>(param.getType());
    WeightRecipe recipe;
    recipe.source = param.getSource() ? param.getSource()->str() : param.getKey().str();
    if (auto perm = param.getPermutation())
      recipe.permutation.assign(perm->begin(), perm->end());
    if (auto rows = param.getRows())
      recipe.rows = std::make_pair((*rows)[0], (*rows)[1]);
    recipe.dtype = *dtypeOf(type.getElementType());
    recipe.shape.assign(type.getShape().begin(), type.getShape().end());
    if (QuantSpecAttr spec = param.getQuantizeAttr()) {
      recipe.quantize = quant::QuantSpec{toMode(spec.getMode()), int(spec.getBits()),
                                         int(spec.getGroupSize()), spec.getGlobalScale()};
      recipe.part = param.getKey().rsplit('.').second.str();
      recipe.quantizeFrom = modelFloat;
    }
    // One artifact tensor per distinct (key, row range, type): functions share
    // weights, and a fused qkv split three ways gives three tensors.
    recipe.name = param.getKey().str();
    if (recipe.rows)
      recipe.name += "[" + std::to_string(recipe.rows->first) + ":" +
                     std::to_string(recipe.rows->second) + "]";
    std::string typeKey;
    llvm::raw_string_ostream(typeKey) << type;
    auto [it, inserted] =
        tensorIndex.emplace(recipe.name + " " + typeKey, int32_t(program.weights.size()));
    if (inserted)
      program.weights.push_back(std::move(recipe));
    return it->second;
  }

  LogicalResult emitOp(Operation *op) {
    fb::OpCode code = fb::OpCode::Parameter;
    std::vector<int32_t> inputs;
    for (Value v : op->getOperands())
      inputs.push_back(idOf(v));
    std::vector<float> f32s;
    std::vector<int64_t> i64s;
    uint32_t flags = 0;
    int32_t tensor = -1;
    flatbuffers::Offset<fb::QuantSpec> quant = 0;

    // Optional operands are absent from getOperands(); the artifact keeps
    // fixed positions with -1 instead.
    auto fixed = [&](std::initializer_list<Value> operands) {
      inputs.clear();
      for (Value v : operands)
        inputs.push_back(idOf(v));
    };
    LogicalResult result =
        llvm::TypeSwitch<Operation *, LogicalResult>(op)
            .Case([&](ParameterOp p) {
              code = fb::OpCode::Parameter;
              FailureOr<int32_t> t = tensorFor(p);
              if (failed(t))
                return failure();
              tensor = *t;
              return success();
            })
            .Case([&](MatmulOp m) {
              code = fb::OpCode::Matmul;
              fixed({m.getInput(), m.getWeight(), m.getBias()});
              return success();
            })
            .Case<QMatmulOp, QQMatmulOp>([&](auto m) {
              code = isa<QMatmulOp>(op) ? fb::OpCode::QMatmul : fb::OpCode::QQMatmul;
              fixed({m.getInput(), m.getWeight(), m.getScales(), m.getBiases(),
                     m.getGlobalScale(), m.getBias()});
              quant = quantSpec(m.getQuant());
              return success();
            })
            .Case([&](EmbeddingOp) {
              code = fb::OpCode::Embedding;
              return success();
            })
            .Case([&](QEmbeddingOp e) {
              code = fb::OpCode::QEmbedding;
              fixed({e.getIds(), e.getWeight(), e.getScales(), e.getBiases(),
                     e.getGlobalScale()});
              quant = quantSpec(e.getQuant());
              return success();
            })
            .Case([&](RmsNormOp n) {
              code = fb::OpCode::RmsNorm;
              f32s = {n.getEpsilon().convertToFloat()};
              return success();
            })
            .Case([&](AddRmsNormOp n) {
              code = fb::OpCode::AddRmsNorm;
              f32s = {n.getEpsilon().convertToFloat()};
              return success();
            })
            .Case([&](GatedActivationOp g) {
              code = fb::OpCode::GatedActivation;
              i64s = {int64_t(g.getKind())};
              return success();
            })
            .Case([&](LayerNormOp n) {
              code = fb::OpCode::LayerNorm;
              f32s = {n.getEpsilon().convertToFloat()};
              return success();
            })
            .Case<RopeOp, RopeKVCacheWriteOp, RopeKVPairCacheWriteOp>([&](auto r) {
              code = isa<RopeOp>(op)               ? fb::OpCode::Rope
                     : isa<RopeKVCacheWriteOp>(op) ? fb::OpCode::RopeKVCacheWrite
                                                   : fb::OpCode::RopeKVPairCacheWrite;
              f32s = {r.getTheta().convertToFloat()};
              if (auto sections = r.getSections())
                i64s.assign(sections->begin(), sections->end());
              if (r.getAxial())
                flags |= artifact::kFlagAxial;
              return success();
            })
            .Case([&](AttentionOp a) {
              code = fb::OpCode::Attention;
              fixed({a.getQuery(), a.getKey(), a.getValue(), a.getSegmentStarts(),
                     a.getKvLength()});
              f32s = {a.getScale().convertToFloat()};
              if (a.getCausal())
                flags |= artifact::kFlagCausal;
              return success();
            })
            .Case([&](KVCacheWriteOp) {
              code = fb::OpCode::KVCacheWrite;
              return success();
            })
            .Case([&](ActivationOp a) {
              code = fb::OpCode::Activation;
              i64s = {int64_t(a.getKind())};
              return success();
            })
            .Case([&](AddOp) {
              code = fb::OpCode::Add;
              return success();
            })
            .Case([&](MulOp) {
              code = fb::OpCode::Mul;
              return success();
            })
            .Case([&](ReshapeOp) {
              code = fb::OpCode::Reshape;
              return success();
            })
            .Case([&](PixelShuffleOp p) {
              code = fb::OpCode::PixelShuffle;
              i64s = {int64_t(p.getScale())};
              return success();
            })
            .Case([&](SpliceImageTokensOp s) {
              code = fb::OpCode::SpliceImageTokens;
              i64s = {int64_t(s.getImageTokenId())};
              return success();
            })
            .Default([&](Operation *other) {
              return other->emitError() << "'" << other->getName()
                                        << "' cannot be written to an artifact";
            });
    if (failed(result))
      return failure();

    std::vector<int32_t> outputs;
    for (Value r : op->getResults()) {
      FailureOr<int32_t> id = define(r, op);
      if (failed(id))
        return failure();
      outputs.push_back(*id);
    }
    int32_t kernel = -1;
    if (kernelIndex) {
      FailureOr<int32_t> k = kernelFor(op);
      if (failed(k))
        return failure();
      kernel = *k;
    }
    std::string layer = layerNameOf(op).value_or("");
    ops.push_back(fb::CreateOpDirect(fbb, code, layer.empty() ? nullptr : layer.c_str(),
                                     &inputs, &outputs, tensor, f32s.empty() ? nullptr : &f32s,
                                     i64s.empty() ? nullptr : &i64s, flags, quant, kernel));
    return success();
  }

  // The generated kernel of `op`, shared by every op of the same
  // specialization; -1 for views.
  FailureOr<int32_t> kernelFor(Operation *op) {
    FailureOr<std::optional<codegen::OpDesc>> desc = describeOp(op);
    if (failed(desc))
      return failure();
    if (!*desc)
      return -1;
    Result<codegen::KernelSource> kernel = codegen::generateKernel(**desc);
    if (!kernel) {
      op->emitError() << "CUDA code generation failed: " << kernel.status().message();
      return failure();
    }
    if (kernel->grid == fb::GridKind::None)
      return -1;
    return internKernel(program, *kernelIndex, std::move(*kernel));
  }

  flatbuffers::FlatBufferBuilder &fbb;
  EmittedProgram &program;
  std::map<std::string, int32_t> &tensorIndex;
  std::map<std::string, int32_t> *kernelIndex; // null: no kernels (cpu target)
  quant::DType modelFloat;
  llvm::DenseMap<Value, int32_t> ids;
  std::vector<flatbuffers::Offset<fb::Value>> values;
  std::vector<flatbuffers::Offset<fb::Op>> ops;
};

} // namespace

static_assert(int64_t(ActivationKind::silu) == int64_t(artifact::ActivationKind::kSilu) &&
                  int64_t(ActivationKind::gelu) == int64_t(artifact::ActivationKind::kGelu) &&
                  int64_t(ActivationKind::gelu_tanh) ==
                      int64_t(artifact::ActivationKind::kGeluTanh) &&
                  int64_t(ActivationKind::quick_gelu) ==
                      int64_t(artifact::ActivationKind::kQuickGelu),
              "the dialect's and the artifact's activation numbering must agree");

// The runtime samples on the device: an ArgMax for greedy decoding and a
// Sample kernel for the rest, over the logits that @decode_step returns first
// ([1, vocab] in the compute type).
static LogicalResult addSamplingKernels(ModuleOp module, EmittedProgram &program,
                                        std::map<std::string, int32_t> &kernelIndex) {
  auto decode = module.lookupSymbol<func::FuncOp>("decode_step");
  if (!decode || decode.getNumResults() == 0)
    return success();
  auto logits = dyn_cast<RankedTensorType>(decode.getResultTypes()[0]);
  std::optional<fb::DType> dtype = logits ? dtypeOf(logits.getElementType()) : std::nullopt;
  if (!logits || logits.getRank() < 1 || logits.isDynamicDim(logits.getRank() - 1) ||
      !dtype || (*dtype != fb::DType::BF16 && *dtype != fb::DType::F32))
    return success(); // sampled on the host
  codegen::OpDesc desc;
  desc.dtype = *dtype;
  desc.width = logits.getShape().back();
  for (fb::OpCode code : {fb::OpCode::ArgMax, fb::OpCode::Sample}) {
    // A vocabulary whose penalty bitmap does not fit shared memory samples
    // on the host.
    if (code == fb::OpCode::Sample && desc.width > codegen::maxSampleVocabulary())
      continue;
    desc.code = code;
    Result<codegen::KernelSource> kernel = codegen::generateKernel(desc);
    if (!kernel)
      return decode.emitError() << "CUDA code generation of the device sampler failed: "
                                << kernel.status().message();
    int32_t index = internKernel(program, kernelIndex, std::move(*kernel));
    (code == fb::OpCode::ArgMax ? program.greedyKernel : program.sampleKernel) = index;
  }
  return success();
}

FailureOr<EmittedProgram> emitProgram(ModuleOp module, flatbuffers::FlatBufferBuilder &fbb,
                                      bool cudaKernels) {
  EmittedProgram program;
  std::map<std::string, int32_t> tensorIndex, kernelIndex;
  quant::DType modelFloat = floatTypeOf(module);
  for (auto func : module.getOps<func::FuncOp>()) {
    FunctionEmitter emitter(fbb, program, tensorIndex, cudaKernels ? &kernelIndex : nullptr,
                            modelFloat);
    FailureOr<flatbuffers::Offset<fb::Function>> f = emitter.emit(func);
    if (failed(f))
      return failure();
    program.functions.push_back(*f);
  }
  if (cudaKernels)
    if (failed(addSamplingKernels(module, program, kernelIndex)))
      return failure();
  return program;
}

} // namespace vlmc::compiler
