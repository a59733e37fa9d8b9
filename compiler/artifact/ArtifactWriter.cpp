#include "compiler/artifact/ArtifactWriter.h"

#include "compiler/artifact/KernelPrecompiler.h"
#include "compiler/artifact/ProgramEmitter.h"
#include "compiler/artifact/WeightMaterializer.h"
#include "vlmc/artifact/ArtifactBuilder.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <fstream>
#include <sstream>

using namespace mlir;

namespace vlmc::compiler {

namespace {

// What the front-end reads next to the weights (tokenizer, chat template,
// image processor), embedded so the artifact is self-contained.
constexpr const char *kEmbeddedFiles[] = {
    "config.json",           "generation_config.json", "tokenizer.json",
    "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja",
    "chat_template.json",    "preprocessor_config.json", "processor_config.json",
};

std::optional<std::string> readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return std::nullopt;
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

artifact::QuantInfo quantInfo(const quant::QuantSpec &spec) {
  artifact::QuantInfo q;
  switch (spec.mode) {
  case quant::Mode::kAffine: q.mode = fb::QuantMode::Affine; break;
  case quant::Mode::kMxfp4: q.mode = fb::QuantMode::Mxfp4; break;
  case quant::Mode::kMxfp8: q.mode = fb::QuantMode::Mxfp8; break;
  case quant::Mode::kNvfp4: q.mode = fb::QuantMode::Nvfp4; break;
  }
  q.bits = spec.bits;
  q.groupSize = spec.groupSize;
  q.globalScale = spec.globalScale;
  return q;
}

std::string stringAttr(ModuleOp module, StringRef name) {
  auto attr = module->getAttrOfType<StringAttr>(name);
  return attr ? attr.getValue().str() : std::string();
}

} // namespace

LogicalResult writeArtifact(ModuleOp module, const ArtifactOptions &options,
                            const std::string &path) {
  auto fail = [&](const std::string &message) {
    emitError(module.getLoc()) << message;
    return failure();
  };
  artifact::ArtifactBuilder builder;
  FailureOr<EmittedProgram> program =
      emitProgram(module, builder.fbb(), options.target == "cuda");
  if (failed(program))
    return failure();
  // Before the weights: a kernel that does not compile fails in seconds.
  FailureOr<std::vector<std::vector<codegen::KernelCubin>>> cubins =
      precompileKernels(module.getLoc(), program->kernels, options.cudaArchs, options.progress);
  if (failed(cubins))
    return failure();
  for (auto [kernel, kernelCubins] : llvm::zip_equal(program->kernels, *cubins))
    if (Status s = builder.addKernel(codegen::serializeKernel(builder.fbb(), kernel, kernelCubins));
        !s.isOk())
      return fail(s.message());
  for (auto function : program->functions)
    if (Status s = builder.addFunction(function); !s.isOk())
      return fail(s.message());

  std::optional<io::Checkpoint> checkpoint;
  if (!options.syntheticWeights) {
    Result<io::Checkpoint> opened = io::Checkpoint::open(options.modelDir);
    if (!opened)
      return fail(opened.status().message());
    checkpoint = std::move(*opened);
  }
  WeightMaterializer materializer(checkpoint ? &*checkpoint : nullptr);
  size_t total = program->weights.size(), done = 0;
  for (const WeightRecipe &recipe : program->weights) {
    artifact::TensorInfo info;
    info.name = recipe.name;
    info.dtype = recipe.dtype;
    info.shape = recipe.shape;
    if (recipe.quantize)
      info.quant = quantInfo(*recipe.quantize);
    Result<uint32_t> added = builder.addTensor(
        info, [&materializer, &recipe, &options, &done, total](artifact::TensorSink &sink) {
          Result<std::vector<uint8_t>> bytes = materializer.materialize(recipe);
          if (!bytes)
            return bytes.status().withContext("weight '" + recipe.name + "'");
          if (options.progress)
            llvm::errs() << "\r[" << ++done << "/" << total << "] " << recipe.name
                         << "\x1b[K";
          return sink.write(bytes->data(), bytes->size());
        });
    if (!added)
      return fail(added.status().message());
  }

  if (!options.syntheticWeights)
    for (const char *name : kEmbeddedFiles)
      if (std::optional<std::string> data = readFile(options.modelDir + "/" + name))
        if (Status s = builder.addEmbeddedFile(name, *data); !s.isOk())
          return fail(s.message());

  artifact::ModelInfo model;
  model.family = stringAttr(module, "vlm.family");
  model.modelType = stringAttr(module, "vlm.model_type");
  model.target = options.target;
  model.quantizeActivations = options.quantizeActivations;
  model.compilerVersion = "vlmc 0.1.0";
  builder.setModelInfo(model);
  Status written = builder.finishToFile(path);
  if (options.progress)
    llvm::errs() << "\n";
  if (!written.isOk())
    return fail(written.message());
  return success();
}

} // namespace vlmc::compiler
