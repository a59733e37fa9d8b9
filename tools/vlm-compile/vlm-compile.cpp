// vlm-compile: checkpoint directory -> quantized, activation-quantized,
// target-checked `vlm` program (and, with the runtime issue, an artifact).
#include "compiler/InitAll.h"
#include "compiler/artifact/ArtifactWriter.h"
#include "compiler/importer/Importer.h"
#include "passes/Passes.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <unistd.h>

namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("vlm-compile options");

cl::opt<std::string> modelDir("model", cl::desc("Model directory: config.json + "
                                                "safetensors (Hugging Face or MLX format)"),
                              cl::value_desc("DIR"), cl::Required, cl::cat(category));
cl::opt<std::string> output("o", cl::desc("Output file ('-' for stdout)"),
                            cl::value_desc("FILE"), cl::init("-"), cl::cat(category));
cl::opt<std::string> emit("emit", cl::desc("What to write: mlir (the program) or "
                                           "artifact (a .vlmc file)"),
                          cl::init("mlir"), cl::cat(category));
cl::opt<std::string> target("target", cl::desc("Execution target: cuda or cpu"),
                            cl::init("cuda"), cl::cat(category));
cl::opt<bool> quantizeActivations(
    "quantize-activations",
    cl::desc("Quantize activations of mxfp8/nvfp4 layers (required for them on cuda)"),
    cl::cat(category));
cl::alias quantizeActivationsShort("qa", cl::desc("Alias for --quantize-activations"),
                                   cl::aliasopt(quantizeActivations));
cl::OptionCategory quantCategory("weight quantization (same flags and defaults as vlm-convert)");
cl::opt<bool> quantize("quantize", cl::desc("Quantize float Linear/Embedding weights"),
                       cl::cat(quantCategory));
cl::alias quantizeShort("q", cl::desc("Alias for --quantize"), cl::aliasopt(quantize));
cl::opt<std::string> qMode("q-mode", cl::desc("affine, mxfp4, mxfp8 or nvfp4"),
                           cl::init("affine"), cl::cat(quantCategory));
cl::opt<int> qBits("q-bits", cl::desc("Bits per weight (default: the mode's)"),
                   cl::init(0), cl::cat(quantCategory));
cl::opt<int> qGroupSize("q-group-size", cl::desc("Group size (default: the mode's)"),
                        cl::init(0), cl::cat(quantCategory));
cl::opt<std::string> quantPredicate(
    "quant-predicate",
    cl::desc("Mixed recipe: mixed_2_6, mixed_3_4, mixed_3_5, mixed_3_6, mixed_3_8, "
             "mixed_4_6, mixed_4_8"),
    cl::cat(quantCategory));
cl::opt<bool> quantizeVision("quantize-vision",
                             cl::desc("Also quantize vision and projector modules"),
                             cl::cat(quantCategory));
cl::opt<bool> nvfp4GlobalScale("nvfp4-global-scale",
                               cl::desc("Two-level nvfp4 with a per-tensor global scale"),
                               cl::cat(quantCategory));

cl::opt<bool> syntheticWeights(
    "synthetic-weights",
    cl::desc("Compile from config.json alone (weights assumed present with the "
             "expected shapes): for shape-only benchmarks"),
    cl::cat(category));
cl::opt<std::string> computeType("compute-type",
                                 cl::desc("Activation and float weight type: f32, "
                                          "f16 or bf16"),
                                 cl::init("f32"), cl::cat(category));

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  vlmc::registerAllPasses();
  cl::HideUnrelatedOptions({&category, &quantCategory});
  cl::ParseCommandLineOptions(
      argc, argv,
      "vlm-compile: compile a vision-language model checkpoint ahead of time\n\n"
      "  vlm-compile --model DIR [-q --q-mode M --q-bits B --q-group-size G\n"
      "              --quant-predicate R --quantize-vision --nvfp4-global-scale]\n"
      "              [-qa] [--target cuda|cpu] [--emit mlir] [-o OUT]\n");

  if (target != "cuda" && target != "cpu") {
    llvm::errs() << "error: unknown --target '" << target << "'; expected cuda or cpu\n";
    return 1;
  }
  if (emit != "mlir" && emit != "artifact") {
    llvm::errs() << "error: unknown --emit '" << emit << "'; expected mlir or artifact\n";
    return 1;
  }
  if (emit == "artifact" && output == "-") {
    llvm::errs() << "error: --emit artifact needs -o FILE\n";
    return 1;
  }

  mlir::DialectRegistry registry;
  vlmc::registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  vlmc::compiler::ImportOptions importOptions;
  importOptions.syntheticWeights = syntheticWeights;
  importOptions.computeType = computeType;
  auto module = vlmc::compiler::importModel(&context, modelDir, importOptions);
  if (mlir::failed(module))
    return 1;

  bool quantFlags = qMode != "affine" || qBits || qGroupSize || !quantPredicate.empty() ||
                    quantizeVision || nvfp4GlobalScale;
  if (quantFlags && !quantize) {
    llvm::errs() << "error: quantization flags need -q/--quantize\n";
    return 1;
  }

  mlir::PassManager pm(&context);
  if (quantize) {
    mlir::vlm::VlmQuantizeWeightsOptions weights;
    weights.mode = qMode;
    weights.bits = qBits;
    weights.groupSize = qGroupSize;
    weights.predicate = quantPredicate;
    weights.quantizeVision = quantizeVision;
    weights.globalScale = nvfp4GlobalScale;
    pm.addPass(mlir::vlm::createVlmQuantizeWeights(weights));
  }
  mlir::vlm::ActivationQuantizationPipelineOptions pipeline;
  pipeline.target = target;
  pipeline.quantizeActivations = quantizeActivations;
  mlir::vlm::buildActivationQuantizationPipeline(pm, pipeline);
  if (mlir::failed(pm.run(**module)))
    return 1;

  if (emit == "artifact") {
    vlmc::compiler::ArtifactOptions artifactOptions;
    artifactOptions.modelDir = modelDir;
    artifactOptions.target = target;
    artifactOptions.quantizeActivations = quantizeActivations;
    artifactOptions.syntheticWeights = syntheticWeights;
    artifactOptions.progress = isatty(2);
    return mlir::failed(vlmc::compiler::writeArtifact(**module, artifactOptions, output)) ? 1
                                                                                           : 0;
  }

  // Written to a temporary and renamed on success: a failed compile leaves
  // no partial output behind.
  std::string error;
  auto file = mlir::openOutputFile(output, &error);
  if (!file) {
    llvm::errs() << "error: " << error << "\n";
    return 1;
  }
  (*module)->print(file->os());
  file->keep();
  return 0;
}
