#include "vlmc/exec/Model.h"

#include "CpuExecutor.h"
#include "CudaBackend.h"
#include "CudaSession.h"
#include "Program.h"
#include "vlmc/artifact/Artifact.h"
#include "vlmc/cpu/Kernels.h"
#include "vlmc/cpu/Sampling.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>

namespace vlmc::exec {

//===----------------------------------------------------------------------===//
// Model
//===----------------------------------------------------------------------===//

Model::~Model() = default;

Result<CudaModel *> Model::cudaModel() const {
  std::lock_guard<std::mutex> lock(cudaMutex_);
  if (!cuda_) {
    Result<std::unique_ptr<CudaModel>> created = CudaModel::create(*artifact_, 0);
    if (!created)
      return created.status();
    cuda_ = std::move(*created);
  }
  return cuda_.get();
}

Result<std::string> Model::prepareDevice() const {
  if (target() != "cuda")
    return invalidArgument("this artifact was compiled for " + target() + ", not cuda");
  Result<CudaModel *> device = cudaModel();
  if (!device)
    return device.status();
  const CudaLoadReport &r = (*device)->report();
  const size_t compiled = r.kernels - r.cacheHits - r.embeddedCubins;
  char line[512];
  std::snprintf(line, sizeof line,
                "%s: %.1f MiB of weights uploaded, %zu kernels (%zu embedded cubins, %zu from "
                "the kernel cache, %zu compiled with NVRTC) in %.2f s",
                r.device.c_str(), double(r.weightBytes) / (1 << 20), r.kernels,
                r.embeddedCubins, r.cacheHits, compiled, r.seconds);
  return std::string(line);
}

Result<std::shared_ptr<Model>> Model::load(const std::string &path) {
  Result<artifact::Artifact> opened = artifact::Artifact::open(path);
  if (!opened)
    return opened.status();
  std::shared_ptr<Model> model(new Model());
  model->artifact_ = std::make_unique<artifact::Artifact>(std::move(*opened));
  const fb::Artifact &root = model->artifact_->root();
  model->target_ = root.target() ? root.target()->str() : "";
  model->quantizeActivations_ = root.quantize_activations();

  std::optional<std::string_view> config = model->file("config.json");
  if (!config)
    return dataLoss(path + ": the artifact embeds no config.json");
  Result<model::ModelConfig> parsed =
      model::parseModelConfig(std::string(*config), path + ":config.json");
  if (!parsed)
    return parsed.status();
  model->config_ = std::move(*parsed);

  for (size_t i = 0; i < model->artifact_->tensorCount(); ++i) {
    const fb::Tensor *t = model->artifact_->tensor(i);
    TensorRef ref;
    ref.dtype = ElementType(uint8_t(t->dtype()));
    if (t->shape())
      ref.shape.assign(t->shape()->begin(), t->shape()->end());
    // Weights are read in place from the read-only mapping.
    ref.data = const_cast<uint8_t *>(model->artifact_->tensorData(i).data);
    model->weights_.push_back(std::move(ref));
  }
  if (root.functions())
    for (const fb::Function *f : *root.functions()) {
      Result<Program> program = Program::load(*f);
      if (!program)
        return program.status().withContext(path);
      model->programs_.push_back(std::make_unique<Program>(std::move(*program)));
    }
  if (!model->program("prefill") || !model->program("decode_step"))
    return dataLoss(path + ": the artifact has no prefill/decode_step functions");
  return model;
}

std::optional<std::string_view> Model::file(std::string_view name) const {
  return artifact_->embeddedFile(name);
}

const Program *Model::program(std::string_view name) const {
  for (const auto &p : programs_)
    if (p->name() == name)
      return p.get();
  return nullptr;
}

//===----------------------------------------------------------------------===//
// Session
//===----------------------------------------------------------------------===//

struct Session::Impl {
  explicit Impl(int threads) : pool(threads) {}
  cpu::ThreadPool pool;
  std::unique_ptr<CpuExecutor> vision, prefill, decode;
  // CUDA artifacts: the device executors and caches instead.
  std::unique_ptr<CudaExecutor> cudaVision, cudaPrefill, cudaDecode;
  std::unique_ptr<CudaSession> cuda;
  // Per layer: k then v, each [maxContext, kvHeads, headDim].
  std::vector<std::vector<float>> caches;
  std::vector<float> noImages;
  std::vector<TensorRef> lastOutputs;
  // The text programs' named inputs, kept so that a decode step rebinds them
  // in place instead of building a map.
  std::map<std::string, TensorRef> textInputs;
  // Host-side inputs kept alive for the duration of a run.
  std::vector<int32_t> ids, positions, ints[4];
  std::vector<float> floats;
  int32_t kvOffset = 0, kvLength = 0;
  cpu::SamplingScratch samplingScratch;
};

Session::~Session() = default;

Result<std::unique_ptr<Session>> Session::create(std::shared_ptr<const Model> model,
                                                 const SessionOptions &options) {
  if (options.maxContext <= 0)
    return invalidArgument("maxContext must be positive");
  if (model->target() != "cpu" && model->target() != "cuda")
    return invalidArgument("this artifact was compiled for the unknown target '" +
                           model->target() + "'");
  std::unique_ptr<Session> s(new Session());
  s->model_ = std::move(model);
  s->options_ = options;
  s->impl_ = std::make_unique<Impl>(options.numThreads);
  if (s->model_->target() == "cuda") {
    Result<CudaModel *> device = s->model_->cudaModel();
    if (!device)
      return device.status();
    s->impl_->cudaVision = std::make_unique<CudaExecutor>(**device);
    s->impl_->cudaPrefill = std::make_unique<CudaExecutor>(**device);
    s->impl_->cudaDecode = std::make_unique<CudaExecutor>(**device);
    s->impl_->cuda = std::make_unique<CudaSession>(**device, options.maxContext);
    return s;
  }
  const auto &weights = s->model_->weights();
  s->impl_->prefill = std::make_unique<CpuExecutor>(s->impl_->pool, weights);
  s->impl_->decode = std::make_unique<CpuExecutor>(s->impl_->pool, weights);
  s->impl_->vision = std::make_unique<CpuExecutor>(s->impl_->pool, weights);
  const model::TextConfig &t = s->model_->config().text;
  size_t cacheFloats = size_t(options.maxContext * t.kvHeads * t.headDim);
  s->impl_->caches.assign(size_t(2 * t.layers), std::vector<float>(cacheFloats, 0.0f));
  for (int64_t l = 0; l < t.layers; ++l)
    for (int kv = 0; kv < 2; ++kv)
      s->impl_->textInputs[(kv ? "v_cache." : "k_cache.") + std::to_string(l)] =
          TensorRef{ElementType::kF32, {options.maxContext, t.kvHeads, t.headDim},
                    s->impl_->caches[size_t(2 * l + kv)].data()};
  return s;
}

const std::vector<TensorRef> &Session::lastOutputs() const { return impl_->lastOutputs; }

int64_t Session::graphReplays() const {
  return impl_->cuda ? impl_->cuda->graphReplays() : 0;
}

Status Session::profileKernels() {
  if (!impl_->cuda)
    return invalidArgument("kernel profiles need an artifact compiled for --target cuda");
  return impl_->cuda->profileKernels();
}

std::vector<KernelTiming> Session::kernelTimings() const {
  return impl_->cuda ? impl_->cuda->kernelTimings() : std::vector<KernelTiming>{};
}

Result<int64_t> Session::deviceMemoryInUse() const {
  if (!impl_->cuda)
    return invalidArgument("device memory is known for the CUDA target only");
  Result<CudaModel *> device = model_->cudaModel();
  if (!device)
    return device.status();
  Result<cuda::MemoryInfo> info = (*device)->device().memoryInfo();
  if (!info)
    return info.status();
  return int64_t(info->total - info->free);
}

void Session::reset() {
  length_ = 0;
  ropeDelta_ = 0;
}

namespace {

TensorRef i32Tensor(std::vector<int32_t> &data, std::vector<int64_t> shape) {
  return TensorRef{ElementType::kI32, std::move(shape), data.data()};
}

// Points `slot` at `data` with `shape`, reusing the slot's storage.
void bind(TensorRef &slot, ElementType dtype, std::initializer_list<int64_t> shape,
          void *data) {
  slot.dtype = dtype;
  slot.shape.assign(shape);
  slot.data = data;
}

} // namespace

Result<TensorRef> Session::runText(const char *function, const std::vector<int32_t> &ids,
                                   const std::vector<int32_t> &positions, int64_t streams,
                                   const TensorRef *imageEmbeddings,
                                   const cpu::SamplingStep *sampling, int32_t *picked) {
  const Program *program = model_->program(function);
  const model::ModelConfig &config = model_->config();
  int64_t s = int64_t(ids.size());
  // Checked here for every backend: a GPU embedding kernel cannot report a
  // bad id, it would only read a zero row.
  for (int64_t i = 0; i < s; ++i)
    if (ids[size_t(i)] < 0 || ids[size_t(i)] >= config.text.vocab)
      return invalidArgument("token id " + std::to_string(ids[size_t(i)]) + " at position " +
                             std::to_string(i) + " is outside the vocabulary [0, " +
                             std::to_string(config.text.vocab) + ")");
  Impl &impl = *impl_;
  impl.ids = ids;
  impl.positions = positions;
  impl.kvOffset = int32_t(length_);
  impl.kvLength = int32_t(length_ + s);

  std::map<std::string, TensorRef> &inputs = impl.textInputs;
  bind(inputs["input_ids"], ElementType::kI32, {s}, impl.ids.data());
  if (streams == 1)
    bind(inputs["position_ids"], ElementType::kI32, {s}, impl.positions.data());
  else
    bind(inputs["position_ids"], ElementType::kI32, {streams, s}, impl.positions.data());
  bind(inputs["kv_offset"], ElementType::kI32, {}, &impl.kvOffset);
  bind(inputs["kv_length"], ElementType::kI32, {}, &impl.kvLength);
  if (program->inputs().count("image_embeds")) {
    if (imageEmbeddings) {
      inputs["image_embeds"] = *imageEmbeddings;
    } else {
      impl.noImages.assign(size_t(config.text.hidden), 0.0f);
      bind(inputs["image_embeds"], ElementType::kF32, {0, config.text.hidden},
           impl.noImages.data());
    }
  }
  const bool decode = std::strcmp(function, "decode_step") == 0;
  const bool lastRowOnly = !decode && options_.prefillLastLogitsOnly;
  if (impl.cuda) {
    CudaExecutor &executor = decode ? *impl.cudaDecode : *impl.cudaPrefill;
    const bool replay = decode && options_.cudaGraphs;
    if (picked) {
      Result<int32_t> token = impl.cuda->runPick(*program, inputs, executor, replay, sampling);
      if (!token)
        return token.status();
      *picked = *token;
      impl.lastOutputs.clear();
      length_ += s;
      return TensorRef{};
    }
    Result<TensorRef> logits = impl.cuda->run(*program, inputs, executor, replay, lastRowOnly);
    if (!logits)
      return logits.status();
    impl.lastOutputs.resize(1);
    impl.lastOutputs[0] = *logits;
    length_ += s;
    return logits;
  }

  CpuExecutor &executor = decode ? *impl.decode : *impl.prefill;
  VLMC_RETURN_IF_ERROR(executor.run(*program, inputs, &impl.lastOutputs));
  length_ += s;
  const TensorRef &logits = impl.lastOutputs[0];
  if (picked) {
    const int64_t vocab = logits.shape.empty() ? 0 : logits.shape.back();
    if (vocab <= 0)
      return dataLoss(std::string(function) + " returns no logits");
    const float *row = logits.as<float>() + (logits.numel() / vocab - 1) * vocab;
    *picked = sampling && !sampling->spec.greedy()
                  ? cpu::sampleToken(row, vocab, *sampling, impl.samplingScratch)
                  : cpu::argMax(row, vocab);
    return TensorRef{};
  }
  if (lastRowOnly && logits.shape.size() == 2) {
    int64_t vocab = logits.shape[1];
    return TensorRef{logits.dtype, {1, vocab}, logits.as<float>() + (logits.shape[0] - 1) * vocab};
  }
  return logits;
}

Result<TensorRef> Session::prefill(const std::vector<int32_t> &ids,
                                   const TensorRef *imageEmbeddings,
                                   const std::vector<ImageInput> &images) {
  const model::ModelConfig &config = model_->config();
  int64_t s = int64_t(ids.size());
  if (s == 0)
    return invalidArgument("prefill needs at least one token");
  if (length_ + s > options_.maxContext)
    return outOfRange("the prompt of " + std::to_string(s) + " tokens does not fit the context (" +
                      std::to_string(length_) + " of " + std::to_string(options_.maxContext) +
                      " positions used)");
  if (imageEmbeddings && !model_->program("vision_encoder"))
    return invalidArgument("this model has no vision encoder: images are not supported");

  std::vector<int32_t> positions;
  int64_t streams = 1;
  if (!config.text.mropeSection.empty()) {
    streams = int64_t(config.text.mropeSection.size());
    if (length_ == 0) {
      std::vector<QwenGrid> grids;
      for (const ImageInput &image : images)
        grids.push_back(image.grid);
      Result<QwenRopeIndex> index = qwenRopeIndex(
          ids, config.imageTokenId.value_or(-1), grids,
          config.vision ? config.vision->spatialMergeSize : 2);
      if (!index)
        return index.status();
      positions = std::move(index->positions);
      ropeDelta_ = index->ropeDelta;
    } else {
      if (!images.empty())
        return invalidArgument("images can only be given in the first prefill of a session");
      for (int64_t k = 0; k < streams; ++k)
        for (int64_t i = 0; i < s; ++i)
          positions.push_back(int32_t(length_ + ropeDelta_ + i));
    }
  } else {
    for (int64_t i = 0; i < s; ++i)
      positions.push_back(int32_t(length_ + i));
  }
  return runText("prefill", ids, positions, streams, imageEmbeddings);
}

Result<TensorRef> Session::decode(int32_t token) { return decodeStep(token, nullptr, nullptr); }

Result<int32_t> Session::decodeGreedy(int32_t token) {
  int32_t next = 0;
  Result<TensorRef> ran = decodeStep(token, nullptr, &next);
  if (!ran)
    return ran.status();
  return next;
}

Result<int32_t> Session::decodeSample(int32_t token, const cpu::SamplingStep &step) {
  int32_t next = 0;
  Result<TensorRef> ran = decodeStep(token, &step, &next);
  if (!ran)
    return ran.status();
  return next;
}

Result<TensorRef> Session::decodeStep(int32_t token, const cpu::SamplingStep *sampling,
                                      int32_t *picked) {
  if (length_ + 1 > options_.maxContext)
    return outOfRange("the context is full (" + std::to_string(options_.maxContext) +
                      " positions)");
  int64_t streams = model_->config().text.mropeSection.empty()
                        ? 1
                        : int64_t(model_->config().text.mropeSection.size());
  // Written in place (runText copies its arguments into these very vectors).
  Impl &impl = *impl_;
  impl.ids.assign(1, token);
  impl.positions.assign(size_t(streams), int32_t(length_ + ropeDelta_));
  return runText("decode_step", impl.ids, impl.positions, streams, nullptr, sampling, picked);
}

//===----------------------------------------------------------------------===//
// Vision
//===----------------------------------------------------------------------===//

namespace {

// Idefics3VisionEmbeddings: a tile's real patches get position ids spread over
// the full grid by bucketizing fractional coordinates.
std::vector<int32_t> idefics3Positions(const std::vector<uint8_t> &patchMask, int64_t grid) {
  std::vector<int32_t> ids(patchMask.size(), 0);
  int64_t rows = 0, cols = 0;
  for (int64_t y = 0; y < grid; ++y)
    rows += patchMask[size_t(y * grid)];
  for (int64_t x = 0; x < grid; ++x)
    cols += patchMask[size_t(x)];
  auto bucket = [&](int64_t i, int64_t n) {
    // torch.bucketize(i / n, boundaries = [1/grid, 2/grid, ...), right=True)
    float coord = float(i) * (1.0f / float(n));
    int64_t b = 0;
    for (int64_t k = 1; k < grid; ++k)
      if (float(k) * (1.0f / float(grid)) <= coord)
        b = k;
    return b;
  };
  int64_t next = 0;
  std::vector<int32_t> values;
  for (int64_t y = 0; y < rows; ++y)
    for (int64_t x = 0; x < cols; ++x)
      values.push_back(int32_t(bucket(y, rows) * grid + bucket(x, cols)));
  for (size_t i = 0; i < patchMask.size(); ++i)
    if (patchMask[i] && next < int64_t(values.size()))
      ids[i] = values[size_t(next++)];
  return ids;
}

} // namespace

Result<TensorRef> Session::encodeImages(const std::vector<ImageInput> &images) {
  const Program *program = model_->program("vision_encoder");
  if (!program)
    return invalidArgument("this model has no vision encoder: images are not supported");
  const model::ModelConfig &config = model_->config();
  const model::VisionConfig &v = *config.vision;
  Impl &impl = *impl_;
  std::map<std::string, TensorRef> inputs;
  impl.floats.clear();
  for (auto &vec : impl.ints)
    vec.clear();

  if (config.family == model::Family::kIdefics3) {
    int64_t side = v.imageSize, p = v.patchSize, g = side / p, c = v.inChannels;
    int64_t patchDim = c * p * p;
    std::vector<int32_t> &positions = impl.ints[0], &segments = impl.ints[1];
    segments.push_back(0);
    int64_t tiles = 0;
    for (const ImageInput &image : images) {
      size_t tileFloats = size_t(c * side * side);
      if (image.pixels.size() != size_t(image.tiles) * tileFloats)
        return invalidArgument("an image has " + std::to_string(image.pixels.size()) +
                               " values but " + std::to_string(image.tiles) + " tiles of " +
                               std::to_string(c) + "x" + std::to_string(side) + "x" +
                               std::to_string(side) + " were announced");
      for (int64_t t = 0; t < image.tiles; ++t) {
        const float *tile = image.pixels.data() + size_t(t) * tileFloats;
        // All-zero tiles are padding and dropped, as transformers does.
        bool empty = true;
        for (size_t i = 0; i < tileFloats && empty; ++i)
          empty = tile[i] == 0.0f;
        if (empty)
          continue;
        std::vector<uint8_t> patchMask(size_t(g * g), 1);
        if (!image.pixelMask.empty()) {
          const uint8_t *mask = image.pixelMask.data() + size_t(t * side * side);
          for (int64_t py = 0; py < g; ++py)
            for (int64_t px = 0; px < g; ++px) {
              uint8_t any = 0;
              for (int64_t y = 0; y < p && !any; ++y)
                for (int64_t x = 0; x < p && !any; ++x)
                  any = mask[(py * p + y) * side + px * p + x];
              patchMask[size_t(py * g + px)] = any;
            }
        }
        // Patches flattened in Conv2d weight order (c, y, x).
        for (int64_t py = 0; py < g; ++py)
          for (int64_t px = 0; px < g; ++px)
            for (int64_t ch = 0; ch < c; ++ch)
              for (int64_t y = 0; y < p; ++y)
                for (int64_t x = 0; x < p; ++x)
                  impl.floats.push_back(tile[(ch * side + py * p + y) * side + px * p + x]);
        std::vector<int32_t> ids = idefics3Positions(patchMask, g);
        positions.insert(positions.end(), ids.begin(), ids.end());
        segments.push_back(segments.back() + int32_t(g * g));
        ++tiles;
      }
    }
    int64_t n = tiles * g * g;
    inputs["patches"] = TensorRef{ElementType::kF32, {n, patchDim}, impl.floats.data()};
    inputs["position_ids"] = i32Tensor(positions, {n});
    inputs["tile_segments"] = i32Tensor(segments, {int64_t(segments.size())});
  } else {
    std::vector<QwenGrid> grids;
    for (const ImageInput &image : images) {
      grids.push_back(image.grid);
      impl.floats.insert(impl.floats.end(), image.pixels.begin(), image.pixels.end());
    }
    Result<QwenVisionInputs> vin =
        qwenVisionInputs(v, grids, config.family == model::Family::kQwen2_5VL);
    if (!vin)
      return vin.status();
    int64_t patchDim = v.inChannels * v.temporalPatchSize * v.patchSize * v.patchSize;
    if (int64_t(impl.floats.size()) != vin->numPatches * patchDim)
      return invalidArgument("the images have " + std::to_string(impl.floats.size()) +
                             " pixel values but their grids need " +
                             std::to_string(vin->numPatches) + " patches of " +
                             std::to_string(patchDim));
    impl.ints[0] = std::move(vin->ropePositions);
    impl.ints[1] = std::move(vin->imageSegments);
    inputs["patches"] =
        TensorRef{ElementType::kF32, {vin->numPatches, patchDim}, impl.floats.data()};
    inputs["rope_positions"] = i32Tensor(impl.ints[0], {2, vin->numPatches});
    inputs["image_segments"] = i32Tensor(impl.ints[1], {int64_t(impl.ints[1].size())});
    if (config.family == model::Family::kQwen2_5VL) {
      impl.ints[2] = std::move(vin->windowIndex);
      impl.ints[3] = std::move(vin->windowSegments);
      impl.positions = std::move(vin->windowReverseIndex);
      inputs["window_index"] = i32Tensor(impl.ints[2], {int64_t(impl.ints[2].size())});
      inputs["window_segments"] = i32Tensor(impl.ints[3], {int64_t(impl.ints[3].size())});
      inputs["window_reverse_index"] =
          i32Tensor(impl.positions, {int64_t(impl.positions.size())});
    }
  }
  if (impl.cuda)
    return impl.cuda->run(*program, inputs, *impl.cudaVision);
  std::vector<TensorRef> outputs;
  VLMC_RETURN_IF_ERROR(impl.vision->run(*program, inputs, &outputs));
  return outputs[0];
}

} // namespace vlmc::exec
