#include "compiler/importer/Importer.h"

#include "compiler/importer/Families.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Verifier.h"

using namespace mlir;

namespace vlmc::compiler {

namespace {

FailureOr<FloatType> computeTypeOf(MLIRContext *ctx, const std::string &name) {
  if (name == "f32")
    return FloatType(Float32Type::get(ctx));
  if (name == "f16")
    return FloatType(Float16Type::get(ctx));
  if (name == "bf16")
    return FloatType(BFloat16Type::get(ctx));
  return failure();
}

void setModelAttributes(ModuleOp module, const model::ModelConfig &config) {
  Builder b(module.getContext());
  module->setAttr("vlm.family", b.getStringAttr(model::familyName(config.family)));
  module->setAttr("vlm.model_type", b.getStringAttr(config.modelType));
  if (config.imageTokenId)
    module->setAttr("vlm.image_token_id", b.getI64IntegerAttr(*config.imageTokenId));
  module->setAttr("vlm.num_layers", b.getI64IntegerAttr(config.text.layers));
  module->setAttr("vlm.dtype", b.getStringAttr(config.dtype));
}

FailureOr<OwningOpRef<ModuleOp>> fail(Location loc, const std::string &message) {
  emitError(loc) << message;
  return failure();
}

} // namespace

FailureOr<OwningOpRef<ModuleOp>> importModel(MLIRContext *context,
                                             const std::string &modelDir,
                                             const ImportOptions &options) {
  context->loadDialect<vlm::VlmDialect, func::FuncDialect>();
  Location loc = FileLineColLoc::get(context, modelDir + "/config.json", 0, 0);
  Result<model::ModelConfig> config = model::loadModelConfig(modelDir);
  if (!config)
    return fail(UnknownLoc::get(context), config.status().message());
  FailureOr<FloatType> compute = computeTypeOf(context, options.computeType);
  if (failed(compute))
    return fail(loc, "unknown compute type '" + options.computeType +
                         "'; expected f32, f16 or bf16");

  std::optional<io::Checkpoint> checkpoint;
  std::optional<WeightCatalog> catalog;
  if (options.syntheticWeights) {
    catalog = WeightCatalog::synthetic(io::DType::kBF16);
  } else {
    Result<io::Checkpoint> opened = io::Checkpoint::open(modelDir);
    if (!opened)
      return fail(UnknownLoc::get(context), opened.status().message());
    checkpoint = std::move(*opened);
    Result<WeightCatalog> indexed = WeightCatalog::fromCheckpoint(*checkpoint, *config);
    if (!indexed)
      return fail(UnknownLoc::get(context), indexed.status().message());
    catalog = std::move(*indexed);
  }

  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  setModelAttributes(*module, *config);
  OpBuilder builder(context);
  GraphBuilder graph(builder, *catalog, *config, *compute);
  if (config->vision) {
    LogicalResult vision = config->family == model::Family::kIdefics3
                               ? buildIdefics3Vision(graph, *module, *config)
                               : buildQwenVision(graph, *module, *config);
    if (failed(vision))
      return failure();
  }
  if (failed(buildTextModel(graph, *module, *config, options.hiddenStates)))
    return failure();
  if (failed(verify(*module)))
    return failure();
  return module;
}

} // namespace vlmc::compiler
