// _vlmc.Model: load (artifact, or checkpoint directory compiled in-process
// and cached exactly as vlm-generate does) and generate, with the GIL
// released around compilation, decoding and generation.
#include "Binding.h"
#include "Objects.h"

#include "compiler/driver/ModelCache.h"
#include "vlmc/image/Image.h"

#include <pybind11/stl.h>

#include <sys/stat.h>

#include <cstring>
#include <utility>
#include <vector>

namespace vlmc::python {

namespace {

enum class PathKind { kMissing, kDirectory, kFile };

PathKind pathKind(const std::string &path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0)
    return PathKind::kMissing;
  return S_ISDIR(st.st_mode) ? PathKind::kDirectory : PathKind::kFile;
}

Status closedError() { return invalidArgument("the model is closed"); }

} // namespace

//===----------------------------------------------------------------------===//
// PyModel
//===----------------------------------------------------------------------===//

Result<std::shared_ptr<PyModel>> PyModel::load(const LoadOptions &o) {
  if (o.compile.target != "cpu" && o.compile.target != "cuda")
    return invalidArgument("device must be None, 'cpu' or 'cuda', got '" + o.compile.target +
                           "'");
  if (o.maxContext <= 0)
    return invalidArgument("max_context must be positive, got " + std::to_string(o.maxContext));
  if (o.numThreads < 0)
    return invalidArgument("num_threads must be >= 0, got " + std::to_string(o.numThreads));
  PathKind kind = pathKind(o.path);
  if (kind == PathKind::kMissing)
    return notFound("no such model: '" + o.path +
                    "' (vlmc loads local paths: a .vlmc artifact, or a Hugging Face or MLX "
                    "checkpoint directory; download hub models first, e.g. with "
                    "huggingface-cli download)");
  const compiler::CompileOptions &c = o.compile;
  bool compileFlags = c.quantize || c.qMode != "affine" || c.qBits || c.qGroupSize ||
                      !c.quantPredicate.empty() || c.quantizeVision || c.nvfp4GlobalScale ||
                      !c.computeType.empty();
  if (kind == PathKind::kFile && compileFlags)
    return invalidArgument(o.path + " is a compiled artifact: quantization and compute-type "
                                    "options apply to checkpoint directories only");

  compiler::CompileOptions compile = o.compile;
  compile.modelDir = o.path;

  std::string artifact = o.path;
  if (kind == PathKind::kDirectory) {
    Result<std::string> compiled = compiler::compiledArtifact(compile, o.verbose, "vlmc");
    if (!compiled)
      return compiled.status();
    artifact = *compiled;
  }
  Result<std::shared_ptr<exec::Model>> model = exec::Model::load(artifact);
  if (!model)
    return model.status();
  // vlm-generate's -qa check, with the Python spelling of the flag.
  if ((*model)->quantizeActivations() != c.quantizeActivations)
    return invalidArgument(
        (*model)->quantizeActivations()
            ? artifact + " was compiled with activation quantization (-qa): pass "
                         "quantize_activations=True, or recompile it without"
            : artifact + " was compiled without activation quantization: recompile it with "
                         "vlm-compile -qa, or drop quantize_activations=True");

  std::shared_ptr<PyModel> m(new PyModel());
  const exec::Model &em = **model;
  Result<std::shared_ptr<PyProcessor>> processor = PyProcessor::create(
      [&em](std::string_view name) -> std::optional<std::string> {
        std::optional<std::string_view> data = em.file(name);
        return data ? std::optional<std::string>(std::string(*data)) : std::nullopt;
      },
      artifact);
  if (!processor)
    return processor.status();
  m->processor_ = std::move(*processor);

  exec::SessionOptions session;
  session.maxContext = o.maxContext;
  session.numThreads = o.numThreads;
  Result<std::unique_ptr<generate::Generator>> generator =
      generate::Generator::create(*model, session);
  if (!generator)
    return generator.status();
  m->sourcePath_ = o.path;
  m->artifactPath_ = artifact;
  m->target_ = em.target();
  m->modelType_ = em.config().modelType;
  m->configJson_ = std::string(em.file("config.json").value_or("{}"));
  m->quantizeActivations_ = em.quantizeActivations();
  m->hasVision_ = em.config().vision.has_value();
  m->maxContext_ = o.maxContext;
  m->model_ = std::move(*model);
  m->generator_ = std::move(*generator);
  return m;
}

Result<generate::GenerateResult> PyModel::generate(const generate::GenerateRequest &request,
                                                   const generate::TokenCallback &onToken) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!generator_)
    return closedError();
  return generator_->generate(request, onToken);
}

Result<std::string> PyModel::renderPrompt(const generate::GenerateRequest &request) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!generator_)
    return closedError();
  return generator_->renderPrompt(request);
}

void PyModel::close() {
  closing_.store(true, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mutex_);
  // The Generator holds the Session (KV cache, threads) and shares the Model
  // (the mapping); both go here, not whenever Python collects the object.
  generator_.reset();
  model_.reset();
}

bool PyModel::closed() const { return closing(); }

//===----------------------------------------------------------------------===//
// Bindings
//===----------------------------------------------------------------------===//

namespace {

// An image argument converted with the GIL held, decoded without it.
struct ImageSource {
  enum class Kind { kPath, kEncoded, kPixels } kind = Kind::kPath;
  std::string data; // the path, or the PNG/JPEG bytes
  image::RgbImage pixels;
};

// Accepts a path (str or os.PathLike), encoded bytes, or (width, height,
// buffer) of 8-bit RGB. The package turns PIL images and numpy arrays into
// the last form, so this module needs neither.
ImageSource imageSource(const py::handle &item) {
  ImageSource s;
  if (py::isinstance<py::str>(item) || py::hasattr(item, "__fspath__")) {
    s.kind = ImageSource::Kind::kPath;
    s.data = py::str(py::module_::import("os").attr("fspath")(item)).cast<std::string>();
  } else if (py::isinstance<py::bytes>(item) || py::isinstance<py::bytearray>(item)) {
    s.kind = ImageSource::Kind::kEncoded;
    s.data = py::isinstance<py::bytes>(item)
                 ? item.cast<std::string>()
                 : std::string(PyByteArray_AsString(item.ptr()),
                               size_t(PyByteArray_Size(item.ptr())));
  } else if (py::isinstance<py::tuple>(item) && py::len(item) == 3) {
    auto t = item.cast<py::tuple>();
    int64_t w = t[0].cast<int64_t>(), h = t[1].cast<int64_t>();
    // Each side first, so the product cannot overflow.
    if (w <= 0 || h <= 0 || w > image::kMaxDecodedPixels || h > image::kMaxDecodedPixels ||
        w * h > image::kMaxDecodedPixels)
      throw py::value_error("image size " + std::to_string(w) + "x" + std::to_string(h) +
                            " is out of range");
    // Any buffer (bytes, bytearray, memoryview, a numpy array): its bytes in
    // C order are the rows.
    py::memoryview view(t[2]);
    Py_buffer *buf = PyMemoryView_GET_BUFFER(view.ptr());
    if (!PyBuffer_IsContiguous(buf, 'C') || buf->len != w * h * 3)
      throw py::value_error("image pixels must be " + std::to_string(w * h * 3) +
                            " contiguous bytes (height x width x 3, 8-bit RGB), got " +
                            std::to_string(buf->len));
    s.kind = ImageSource::Kind::kPixels;
    s.pixels = image::RgbImage(int(w), int(h));
    std::memcpy(s.pixels.pixels.data(), buf->buf, size_t(buf->len));
  } else {
    throw py::type_error("an image must be a path, PNG/JPEG bytes, a PIL image or a numpy "
                         "array (height x width x 3, uint8); got " +
                         std::string(py::str(py::type::handle_of(item).attr("__name__"))));
  }
  return s;
}

Status decodeImages(std::vector<ImageSource> &sources, std::vector<image::RgbImage> &out) {
  for (ImageSource &s : sources) {
    if (s.kind == ImageSource::Kind::kPixels) {
      out.push_back(std::move(s.pixels));
      continue;
    }
    Result<image::RgbImage> img = s.kind == ImageSource::Kind::kPath
                                      ? image::decodeFile(s.data)
                                      : image::decode(s.data);
    if (!img)
      return img.status();
    out.push_back(std::move(*img));
  }
  return Status::ok();
}

std::shared_ptr<PyModel> loadModel(const LoadOptions &options) {
  Result<std::shared_ptr<PyModel>> model = internalError("unreachable");
  {
    // Compiling a checkpoint and mapping the artifact can take long.
    py::gil_scoped_release release;
    model = PyModel::load(options);
  }
  return unwrap(std::move(model));
}

bool onMainThread() {
  py::module_ threading = py::module_::import("threading");
  return threading.attr("current_thread")().is(threading.attr("main_thread")());
}

py::dict generateText(PyModel &model, const std::string &prompt,
                      const std::optional<std::string> &system, const py::list &images,
                      int maxTokens, float temperature, float topP, int topK, float minP,
                      std::optional<float> repetitionPenalty, int repetitionContext,
                      std::optional<uint64_t> seed,
                      const std::vector<std::string> &stop, const py::object &callback) {
  generate::GenerateRequest request;
  request.prompt = prompt;
  request.system = system;
  request.maxTokens = maxTokens;
  request.stopStrings = stop;
  request.sampling.temperature = temperature;
  request.sampling.topP = topP;
  request.sampling.topK = topK;
  request.sampling.minP = minP;
  request.sampling.repetitionPenalty = repetitionPenalty;
  request.sampling.repetitionContext = repetitionContext;
  request.sampling.seed = seed;
  std::vector<ImageSource> sources;
  for (const py::handle &item : images)
    sources.push_back(imageSource(item));

  bool hasCallback = !callback.is_none();
  // Python runs signal handlers only on the main thread, and only when it
  // holds the GIL: checking between tokens makes Ctrl-C stop a long
  // generation there. Other threads take the GIL only for a callback.
  bool mainThread = onMainThread();
  std::optional<py::error_already_set> pyError;
  auto onToken = [&](int32_t token, std::string_view text) -> bool {
    if (model.closing())
      return false;
    if (!hasCallback && !mainThread)
      return true;
    py::gil_scoped_acquire gil;
    try {
      if (mainThread && PyErr_CheckSignals() != 0)
        throw py::error_already_set();
      if (hasCallback) {
        py::object r = callback(token, toPyStr(text));
        if (!r.is_none()) {
          int truth = PyObject_IsTrue(r.ptr());
          if (truth < 0)
            throw py::error_already_set();
          return truth != 0;
        }
      }
      return true;
    } catch (py::error_already_set &e) {
      // Raised again once generate returns: an exception must not unwind
      // through the runtime, and the GIL is needed to raise it.
      pyError.emplace(std::move(e));
      return false;
    }
  };

  Result<generate::GenerateResult> result = internalError("unreachable");
  {
    py::gil_scoped_release release;
    Status decoded = decodeImages(sources, request.images);
    result = decoded.isOk() ? model.generate(request, onToken)
                            : Result<generate::GenerateResult>(decoded);
  }
  if (pyError)
    throw std::move(*pyError);
  generate::GenerateResult r = unwrap(std::move(result));
  if (model.closing() && r.finishReason == "callback")
    throw py::value_error("the model was closed during generation");

  py::dict out;
  out["text"] = toPyStr(r.text);
  out["token_ids"] = py::cast(r.generatedIds);
  out["prompt_ids"] = py::cast(r.promptIds);
  out["finish_reason"] = r.finishReason;
  out["prompt_tokens"] = r.stats.promptTokens;
  out["generation_tokens"] = r.stats.generationTokens;
  out["prompt_tps"] = r.stats.promptTps;
  out["generation_tps"] = r.stats.generationTps;
  out["time_to_first_token"] = r.stats.timeToFirstToken;
  out["peak_memory_bytes"] = r.stats.peakMemoryBytes;
  return out;
}

} // namespace

void registerModel(py::module_ &m) {
  py::class_<PyModel, std::shared_ptr<PyModel>>(m, "Model",
                                                "A loaded model (use vlmc.load)")
      .def_static(
          "load",
          [](const std::string &path, const std::string &device, bool quantizeActivations,
             bool quantize, const std::string &qMode, int qBits, int qGroupSize,
             const std::string &quantPredicate, bool quantizeVision, bool nvfp4GlobalScale,
             const std::string &computeType, int64_t maxContext, int numThreads,
             bool verbose) {
            LoadOptions o;
            o.path = path;
            compiler::CompileOptions &c = o.compile;
            c.target = device;
            c.quantizeActivations = quantizeActivations;
            c.quantize = quantize;
            c.qMode = qMode;
            c.qBits = qBits;
            c.qGroupSize = qGroupSize;
            c.quantPredicate = quantPredicate;
            c.quantizeVision = quantizeVision;
            c.nvfp4GlobalScale = nvfp4GlobalScale;
            c.computeType = computeType;
            o.maxContext = maxContext;
            o.numThreads = numThreads;
            o.verbose = verbose;
            return loadModel(o);
          },
          py::arg("path"), py::arg("device") = "cpu", py::arg("quantize_activations") = false,
          py::arg("quantize") = false, py::arg("q_mode") = "affine", py::arg("q_bits") = 0,
          py::arg("q_group_size") = 0, py::arg("quant_predicate") = "",
          py::arg("quantize_vision") = false, py::arg("nvfp4_global_scale") = false,
          py::arg("compute_type") = "", py::arg("max_context") = 4096,
          py::arg("num_threads") = 0, py::arg("verbose") = false)
      .def("generate", &generateText, py::arg("prompt"), py::arg("system") = py::none(),
           py::arg("images") = py::list(), py::arg("max_tokens") = 256,
           py::arg("temperature") = 0.0f, py::arg("top_p") = 1.0f, py::arg("top_k") = 0,
           py::arg("min_p") = 0.0f, py::arg("repetition_penalty") = py::none(),
           py::arg("repetition_context_size") = 20, py::arg("seed") = py::none(), py::arg("stop") = std::vector<std::string>(),
           py::arg("callback") = py::none(),
           "Generates from a raw prompt (the chat template is applied here). `callback(token, "
           "text)` runs for each token with the GIL held; returning False stops.")
      .def(
          "render_prompt",
          [](PyModel &model, const std::string &prompt, const std::optional<std::string> &system,
             int numImages) {
            generate::GenerateRequest request;
            request.prompt = prompt;
            request.system = system;
            // Only the count matters for the template (one image part each).
            request.images.resize(size_t(std::max(numImages, 0)));
            Result<std::string> text = internalError("unreachable");
            {
              py::gil_scoped_release release;
              text = model.renderPrompt(request);
            }
            return toPyStr(unwrap(std::move(text)));
          },
          py::arg("prompt"), py::arg("system") = py::none(), py::arg("num_images") = 0)
      .def(
          "close",
          [](PyModel &model) {
            // Waits for a generation in another thread: never with the GIL.
            py::gil_scoped_release release;
            model.close();
          },
          "Frees the model now (idempotent).")
      .def_property_readonly("closed", &PyModel::closed)
      .def_property_readonly("processor", &PyModel::processor)
      .def_property_readonly("source_path", &PyModel::sourcePath)
      .def_property_readonly("artifact_path", &PyModel::artifactPath)
      .def_property_readonly("target", &PyModel::target)
      .def_property_readonly("model_type", &PyModel::modelType)
      .def_property_readonly("config_json", &PyModel::configJson)
      .def_property_readonly("quantize_activations", &PyModel::quantizeActivations)
      .def_property_readonly("has_vision", &PyModel::hasVision)
      .def_property_readonly("max_context", &PyModel::maxContext);
}

} // namespace vlmc::python
