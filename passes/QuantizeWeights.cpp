#include "dialects/vlm/IR/VlmOps.h"
#include "passes/Passes.h"

#include "vlmc/model/QuantRecipe.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::vlm {
#define GEN_PASS_DEF_VLMQUANTIZEWEIGHTS
#include "passes/Passes.h.inc"
} // namespace mlir::vlm

using namespace mlir;
using namespace mlir::vlm;

namespace {

constexpr llvm::StringLiteral kWeightSuffix = ".weight";

QuantMode toQuantMode(vlmc::quant::Mode mode) {
  switch (mode) {
  case vlmc::quant::Mode::kAffine: return QuantMode::affine;
  case vlmc::quant::Mode::kMxfp4: return QuantMode::mxfp4;
  case vlmc::quant::Mode::kMxfp8: return QuantMode::mxfp8;
  case vlmc::quant::Mode::kNvfp4: return QuantMode::nvfp4;
  }
  llvm_unreachable("unknown mode");
}

// The float dtype affine scales and biases are stored in: the checkpoint's
// (MLX stores them in the weight dtype).
Type scaleFloatType(ModuleOp module) {
  auto dtype = module->getAttrOfType<StringAttr>("vlm.dtype");
  Builder b(module.getContext());
  if (dtype && dtype.getValue() == "bfloat16")
    return b.getBF16Type();
  if (dtype && dtype.getValue() == "float16")
    return b.getF16Type();
  return b.getF32Type();
}

// A float 2-D weight parameter feeding a matmul (as its weight) or an
// embedding (as its table): the layers mlx_vlm.convert may quantize.
bool isQuantizableUse(OpOperand &use) {
  Operation *user = use.getOwner();
  if (auto mm = dyn_cast<MatmulOp>(user))
    return use.get() == mm.getWeight();
  if (auto emb = dyn_cast<EmbeddingOp>(user))
    return use.get() == emb.getTable();
  return false;
}

struct QuantizedParts {
  Value weight, scales, biases, globalScale;
};

struct QuantizeWeightsPass
    : mlir::vlm::impl::VlmQuantizeWeightsBase<QuantizeWeightsPass> {
  using VlmQuantizeWeightsBase::VlmQuantizeWeightsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    vlmc::model::QuantOptions options;
    options.mode = mode;
    if (bits > 0)
      options.bits = int(bits);
    if (groupSize > 0)
      options.groupSize = int(groupSize);
    options.predicate = predicate;
    options.quantizeVision = quantizeVision;
    options.nvfp4GlobalScale = globalScale;
    vlmc::Result<vlmc::model::QuantRecipe> recipe =
        vlmc::model::QuantRecipe::create(options);
    if (!recipe) {
      module.emitError() << recipe.status().message();
      return signalPassFailure();
    }

    SmallVector<ParameterOp> candidates;
    llvm::SetVector<StringRef> paths;
    module.walk([&](ParameterOp param) {
      auto type = cast<RankedTensorType>(param.getType());
      if (!param.getKey().ends_with(kWeightSuffix) || type.getRank() != 2 ||
          !isa<FloatType>(type.getElementType()) || param->use_empty() ||
          !llvm::all_of(param->getUses(), isQuantizableUse))
        return;
      candidates.push_back(param);
      paths.insert(param.getKey().drop_back(kWeightSuffix.size()));
    });
    // Mixed recipes read the layer index from the language model's paths,
    // which MLX visits first.
    std::vector<std::string> modulePaths;
    for (StringRef p : paths)
      if (p.starts_with("language_model."))
        modulePaths.push_back(p.str());
    for (StringRef p : paths)
      if (!p.starts_with("language_model."))
        modulePaths.push_back(p.str());
    auto numLayers = module->getAttrOfType<IntegerAttr>("vlm.num_layers");
    vlmc::Status located =
        recipe->locateLayers(modulePaths, numLayers ? numLayers.getInt() : 0);
    if (!located.isOk()) {
      module.emitError() << located.message();
      return signalPassFailure();
    }

    Type scaleFloat = scaleFloatType(module);
    for (ParameterOp param : candidates) {
      std::string path = param.getKey().drop_back(kWeightSuffix.size()).str();
      auto type = cast<RankedTensorType>(param.getType());
      vlmc::model::LayerChoice choice = recipe->choose(path, type.getDimSize(1));
      if (choice.notDivisible)
        param.emitRemark() << "layer '" << path << "' stays in float: its input dim "
                           << type.getDimSize(1)
                           << " is not a multiple of the group size";
      if (!choice.spec)
        continue;
      FailureOr<QuantSpecAttr> spec = specAttr(param, *choice.spec);
      if (failed(spec))
        return signalPassFailure();
      QuantizedParts parts = createParts(param, *spec, scaleFloat);
      rewriteUsers(param, *spec, parts);
      param.erase();
    }
  }

  FailureOr<QuantSpecAttr> specAttr(ParameterOp param,
                                    const vlmc::quant::QuantSpec &spec) {
    return QuantSpecAttr::getChecked([&] { return param.emitError(); },
                                     param.getContext(), toQuantMode(spec.mode),
                                     unsigned(spec.bits), unsigned(spec.groupSize),
                                     spec.globalScale);
  }

  QuantizedParts createParts(ParameterOp param, QuantSpecAttr spec, Type scaleFloat) {
    OpBuilder b(param);
    auto type = cast<RankedTensorType>(param.getType());
    int64_t n = type.getDimSize(0), k = type.getDimSize(1);
    StringRef path = param.getKey().drop_back(kWeightSuffix.size());
    // Every part is derived from the stored float weight.
    StringAttr source = param.getSourceAttr() ? param.getSourceAttr()
                                              : param.getKeyAttr();
    auto part = [&](StringRef suffix, ArrayRef<int64_t> shape, Type element) {
      StringAttr key = b.getStringAttr(path + suffix);
      auto op = ParameterOp::create(b, param.getLoc(), RankedTensorType::get(shape, element), key,
                                    param.getScopeAttr(), source == key ? StringAttr() : source,
                                    param.getPermutationAttr(), param.getRowsAttr(), spec);
      return op.getResult();
    };
    Type u8 = b.getIntegerType(8, /*isSigned=*/false);
    bool affine = spec.getMode() == QuantMode::affine;
    QuantizedParts parts;
    parts.weight = part(".weight", {n, spec.packedColumns(k)},
                        b.getIntegerType(32, /*isSigned=*/false));
    parts.scales = part(".scales", {n, k / spec.getGroupSize()}, affine ? scaleFloat : u8);
    if (affine)
      parts.biases = part(".biases", {n, k / spec.getGroupSize()}, scaleFloat);
    if (spec.getGlobalScale())
      parts.globalScale = part(".global_scale", {1}, b.getF32Type());
    return parts;
  }

  void rewriteUsers(ParameterOp param, QuantSpecAttr spec, const QuantizedParts &p) {
    for (Operation *user : llvm::make_early_inc_range(param->getUsers())) {
      OpBuilder b(user);
      Operation *replacement;
      if (auto mm = dyn_cast<MatmulOp>(user))
        replacement = QMatmulOp::create(b, mm.getLoc(), mm.getType(), mm.getInput(), p.weight,
                                        p.scales, p.biases, p.globalScale, mm.getBias(), spec);
      else {
        auto emb = cast<EmbeddingOp>(user);
        replacement = QEmbeddingOp::create(b, emb.getLoc(), emb.getType(), emb.getIds(), p.weight,
                                           p.scales, p.biases, p.globalScale, spec);
      }
      user->replaceAllUsesWith(replacement);
      user->erase();
    }
  }
};

} // namespace
