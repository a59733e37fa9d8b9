#include "compiler/driver/CompileDriver.h"

#include "compiler/InitAll.h"
#include "compiler/artifact/ArtifactWriter.h"
#include "compiler/importer/Importer.h"
#include "dialects/vlm/IR/VlmOps.h"
#include "passes/Passes.h"
#include "vlmc/cuda/Device.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <set>

namespace vlmc::compiler {

namespace {

// Why `arch` is no --cuda-arch value, or "" if it is one. A cubin must be
// recorded under the exact name the runtime gives the device's arch (it
// compares strings), so "sm_90" is refused in favour of "sm_90a".
std::string checkCudaArch(const std::string &arch) {
  llvm::StringRef digits(arch);
  digits.consume_back("a");
  unsigned number = 0;
  if (!digits.consume_front("sm_") || digits.size() < 2 ||
      !llvm::all_of(digits, llvm::isDigit) || digits.getAsInteger(10, number))
    return "--cuda-arch: '" + arch +
           "' is not a GPU architecture; expected sm_<compute capability> with an "
           "optional 'a' suffix, e.g. sm_90a, sm_100a or sm_86";
  int major = int(number / 10), minor = int(number % 10);
  std::string runtimeArch = cuda::archForComputeCapability(major, minor);
  if (runtimeArch != arch)
    return "--cuda-arch " + arch + ": the runtime loads " + runtimeArch +
           " cubins on compute capability " + std::to_string(major) + "." +
           std::to_string(minor) + " devices; use " + runtimeArch;
  return "";
}

bool checkOptions(const CompileOptions &o, std::string *error) {
  auto fail = [&](const std::string &message) {
    *error = "error: " + message + "\n";
    return false;
  };
  if (o.target != "cuda" && o.target != "cpu")
    return fail("unknown --target '" + o.target + "'; expected cuda or cpu");
  if (o.emit != "mlir" && o.emit != "artifact")
    return fail("unknown --emit '" + o.emit + "'; expected mlir or artifact");
  bool quantFlags = o.qMode != "affine" || o.qBits || o.qGroupSize ||
                    !o.quantPredicate.empty() || o.quantizeVision || o.nvfp4GlobalScale;
  if (quantFlags && !o.quantize)
    return fail("quantization flags need -q/--quantize");
  if (!o.cudaArchs.empty() && o.target != "cuda")
    return fail("--cuda-arch needs --target cuda (the " + o.target + " target has no kernels)");
  if (!o.cudaArchs.empty() && o.emit != "artifact")
    return fail("--cuda-arch needs --emit artifact (the cubins are embedded in the artifact)");
  std::set<std::string> seen;
  for (const std::string &arch : o.cudaArchs) {
    std::string message = checkCudaArch(arch);
    if (!message.empty())
      return fail(message);
    if (!seen.insert(arch).second)
      return fail("--cuda-arch lists " + arch + " twice");
  }
  return true;
}

} // namespace

bool compileModel(const CompileOptions &options, const std::string &output,
                  std::string *error) {
  if (!checkOptions(options, error))
    return false;
  mlir::DialectRegistry registry;
  registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  // Collect every diagnostic as "error: message" lines for the caller.
  llvm::raw_string_ostream diagnostics(*error);
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &diag) {
    if (diag.getSeverity() == mlir::DiagnosticSeverity::Remark)
      return mlir::success();
    diagnostics << (diag.getSeverity() == mlir::DiagnosticSeverity::Error ? "error: "
                                                                        : "warning: ")
                << diag << "\n";
    return mlir::success();
  });

  ImportOptions importOptions;
  importOptions.syntheticWeights = options.syntheticWeights;
  importOptions.hiddenStates = options.hiddenStates;
  importOptions.computeType = !options.computeType.empty() ? options.computeType
                              : options.target == "cuda"   ? "bf16"
                                                           : "f32";
  auto module = importModel(&context, options.modelDir, importOptions);
  if (mlir::failed(module))
    return false;

  mlir::PassManager pm(&context);
  if (options.quantize) {
    mlir::vlm::VlmQuantizeWeightsOptions weights;
    weights.mode = options.qMode;
    weights.bits = options.qBits;
    weights.groupSize = options.qGroupSize;
    weights.predicate = options.quantPredicate;
    weights.quantizeVision = options.quantizeVision;
    weights.globalScale = options.nvfp4GlobalScale;
    pm.addPass(mlir::vlm::createVlmQuantizeWeights(weights));
  }
  mlir::vlm::ActivationQuantizationPipelineOptions pipeline;
  pipeline.target = options.target;
  pipeline.quantizeActivations = options.quantizeActivations;
  pipeline.fuseOps = options.fuseOps;
  mlir::vlm::buildActivationQuantizationPipeline(pm, pipeline);
  if (mlir::failed(pm.run(**module)))
    return false;
  // MLX-VLM refuses -qa on a float model rather than silently running it
  // unquantized; so do we.
  if (options.quantizeActivations) {
    bool any = false;
    (*module)->walk([&](mlir::vlm::QQMatmulOp) { any = true; });
    if (!any) {
      diagnostics << "error: Activation quantization requires the model to be quantized "
                     "first. Please use a quantized model with mode 'nvfp4' or 'mxfp8' (or "
                     "pass -q --q-mode nvfp4|mxfp8).\n";
      return false;
    }
  }

  if (options.emit == "artifact") {
    if (output == "-") {
      *error = "error: --emit artifact needs -o FILE\n";
      return false;
    }
    ArtifactOptions artifactOptions;
    artifactOptions.modelDir = options.modelDir;
    artifactOptions.target = options.target;
    artifactOptions.quantizeActivations = options.quantizeActivations;
    artifactOptions.syntheticWeights = options.syntheticWeights;
    artifactOptions.cudaArchs = options.cudaArchs;
    artifactOptions.progress = options.progress;
    return mlir::succeeded(writeArtifact(**module, artifactOptions, output));
  }
  std::string openError;
  auto file = mlir::openOutputFile(output, &openError);
  if (!file) {
    diagnostics << "error: " << openError << "\n";
    return false;
  }
  (*module)->print(file->os());
  file->keep();
  return true;
}

} // namespace vlmc::compiler
