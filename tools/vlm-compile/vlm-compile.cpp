// vlm-compile: checkpoint directory -> quantized, activation-quantized,
// target-checked `vlm` program, written as a .vlmc artifact or as MLIR.
#include "compiler/InitAll.h"
#include "compiler/driver/CompileDriver.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

#include <unistd.h>

namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("vlm-compile options");

cl::opt<std::string> modelDir("model", cl::desc("Model directory: config.json + "
                                                "safetensors (Hugging Face or MLX format)"),
                              cl::value_desc("DIR"), cl::Required, cl::cat(category));
cl::opt<std::string> output("o", cl::desc("Output file ('-' for stdout, MLIR only)"),
                            cl::value_desc("FILE"), cl::init("-"), cl::cat(category));
cl::opt<std::string> emit("emit", cl::desc("What to write: mlir (the program) or "
                                           "artifact (a .vlmc file)"),
                          cl::init("mlir"), cl::cat(category));
cl::opt<std::string> target("target", cl::desc("Execution target: cuda or cpu"),
                            cl::init("cuda"), cl::cat(category));
cl::list<std::string> cudaArchs(
    "cuda-arch",
    cl::desc("Also compile every CUDA kernel with NVRTC for these GPU archs "
             "(comma-separated, e.g. sm_90a,sm_100a; the 'a' suffix from sm_90 "
             "on) and embed the cubins: a GPU of a listed arch loads them "
             "instead of compiling at load time; others still compile the "
             "embedded sources. Needs the CUDA toolkit's libnvrtc, no GPU; "
             "--target cuda and --emit artifact only"),
    cl::value_desc("ARCHS"), cl::CommaSeparated, cl::cat(category));
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
             "expected shapes; an artifact gets pseudo-random values): for "
             "shape-only benchmarks"),
    cl::cat(category));
cl::opt<std::string> computeType("compute-type",
                                 cl::desc("Activation and float weight type: f32, "
                                          "f16 or bf16 (default: bf16 for cuda, f32 "
                                          "for cpu)"),
                                 cl::init(""), cl::cat(category));

cl::opt<bool> noFusion(
    "no-fusion",
    cl::desc("Keep residual adds, norms, activations and products as separate "
             "ops (vlm-fuse-ops off): for comparisons and debugging"),
    cl::cat(category));

cl::opt<bool> emitHiddenStates(
    "emit-hidden-states",
    cl::desc("@prefill also returns every hidden state (for checks against transformers)"),
    cl::cat(category));

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
      "              [-qa] [--target cuda|cpu] [--emit mlir|artifact] [-o OUT]\n"
      "              [--cuda-arch sm_90a,sm_100a,...]\n");

  vlmc::compiler::CompileOptions options;
  options.modelDir = modelDir;
  options.target = target;
  options.quantizeActivations = quantizeActivations;
  options.quantize = quantize;
  options.qMode = qMode;
  options.qBits = qBits;
  options.qGroupSize = qGroupSize;
  options.quantPredicate = quantPredicate;
  options.quantizeVision = quantizeVision;
  options.nvfp4GlobalScale = nvfp4GlobalScale;
  options.syntheticWeights = syntheticWeights;
  options.computeType = computeType;
  options.emit = emit;
  options.cudaArchs.assign(cudaArchs.begin(), cudaArchs.end());
  options.fuseOps = !noFusion;
  options.hiddenStates = emitHiddenStates;
  options.progress = isatty(2);
  std::string error;
  if (!vlmc::compiler::compileModel(options, output, &error)) {
    llvm::errs() << (error.empty() ? "error: compilation failed\n" : error);
    return 1;
  }
  return 0;
}
