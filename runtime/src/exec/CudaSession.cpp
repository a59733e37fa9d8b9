#include "CudaSession.h"

#include "vlmc/quant/Quant.h"

#include <cstring>

namespace vlmc::exec {

namespace {

bool isCache(const std::string &name) {
  return name.rfind("k_cache.", 0) == 0 || name.rfind("v_cache.", 0) == 0;
}

fb::DType fbType(ElementType t) { return fb::DType(uint8_t(t)); }

} // namespace

Result<cuda::DeviceTensor> CudaSession::cache(const std::string &name, const ValueInfo &info) {
  // [maxContext, kvHeads, headDim] in the program's cache type, zeroed once.
  std::vector<int64_t> shape = info.shape;
  shape[0] = maxContext_;
  size_t bytes = dtypeBytes(fbType(info.dtype));
  for (int64_t d : shape)
    bytes *= size_t(d);
  auto it = caches_.find(name);
  if (it == caches_.end()) {
    Result<cuda::DeviceBuffer> buffer = model_.device().allocate(bytes);
    if (!buffer)
      return buffer.status().withContext("allocating the KV cache");
    VLMC_RETURN_IF_ERROR(model_.device().fill(*buffer, 0, bytes));
    it = caches_.emplace(name, std::move(*buffer)).first;
  }
  return cuda::DeviceTensor{reinterpret_cast<void *>(it->second.ptr()), fbType(info.dtype),
                            shape};
}

Result<cuda::DeviceTensor> CudaSession::upload(const std::string &program,
                                               const std::string &name, const TensorRef &host,
                                               const ValueInfo &info) {
  const void *data = host.data;
  size_t bytes = host.bytes();
  if (host.dtype != info.dtype) {
    // Host inputs are f32; the device program may compute in bf16/f16.
    if (host.dtype != ElementType::kF32 ||
        (info.dtype != ElementType::kBF16 && info.dtype != ElementType::kF16))
      return invalidArgument("input '" + name + "' is " + elementTypeName(host.dtype) +
                             " but the program takes " + elementTypeName(info.dtype));
    converted_.resize(size_t(host.numel()) * 2);
    VLMC_RETURN_IF_ERROR(quant::convertFromFloat(
        host.as<float>(), host.numel(),
        info.dtype == ElementType::kBF16 ? quant::DType::kBF16 : quant::DType::kF16,
        converted_.data()));
    data = converted_.data();
    bytes = converted_.size();
  }
  cuda::DeviceBuffer &buffer = staging_[program + "/" + name];
  if (buffer.size() < std::max<size_t>(bytes, 1)) {
    VLMC_RETURN_IF_ERROR(buffer.reset());
    Result<cuda::DeviceBuffer> fresh = model_.device().allocate(std::max<size_t>(bytes, 256));
    if (!fresh)
      return fresh.status();
    buffer = std::move(*fresh);
  }
  if (bytes)
    VLMC_RETURN_IF_ERROR(model_.device().copyToDevice(buffer, data, bytes));
  return cuda::DeviceTensor{reinterpret_cast<void *>(buffer.ptr()), fbType(info.dtype),
                            host.shape};
}

namespace {

std::string signatureOf(const std::map<std::string, cuda::DeviceTensor> &inputs,
                        uint64_t generation) {
  std::string s = std::to_string(generation);
  for (const auto &[name, t] : inputs) {
    s += ";" + name + "@" + std::to_string(reinterpret_cast<uintptr_t>(t.data)) + ":" +
         std::to_string(int(t.dtype));
    for (int64_t d : t.shape)
      s += "," + std::to_string(d);
  }
  return s;
}

} // namespace

Status CudaSession::runWithReplay(const Program &program,
                                  const std::map<std::string, cuda::DeviceTensor> &device,
                                  CudaExecutor &executor,
                                  std::vector<cuda::DeviceTensor> *outputs) {
  CapturedRun &captured = captured_[program.name()];
  std::string signature = signatureOf(device, executor.generation());
  if (captured.graph && captured.signature == signature) {
    VLMC_RETURN_IF_ERROR(model_.device().replay(*captured.graph));
    *outputs = captured.outputs;
    ++replayStats_.replays;
    return Status::ok();
  }
  captured.graph.reset();
  // The first run with these inputs is eager: it sizes the executor's pool
  // and workspace, so that the captured run allocates nothing.
  if (captured.signature != signature || captured.captureFailed) {
    VLMC_RETURN_IF_ERROR(executor.run(program, device, outputs));
    captured.signature = signatureOf(device, executor.generation());
    ++replayStats_.eagerRuns;
    return Status::ok();
  }
  VLMC_RETURN_IF_ERROR(model_.device().beginCapture());
  Status recorded = executor.run(program, device, outputs);
  Result<cuda::Graph> graph = model_.device().endCapture();
  if (!recorded.isOk() || !graph) {
    // Something in the run cannot be captured: stay eager for this program.
    captured.captureFailed = true;
    ++replayStats_.failedCaptures;
    VLMC_RETURN_IF_ERROR(executor.run(program, device, outputs));
    ++replayStats_.eagerRuns;
    return Status::ok();
  }
  captured.graph = std::move(*graph);
  captured.outputs = *outputs;
  ++replayStats_.captures;
  // Capturing executed nothing: this step's work is the first replay.
  VLMC_RETURN_IF_ERROR(model_.device().replay(*captured.graph));
  ++replayStats_.replays;
  return Status::ok();
}

Status CudaSession::profileKernels() {
  profiler_ = std::make_unique<CudaProfiler>(model_.device());
  return Status::ok();
}

std::vector<KernelTiming> CudaSession::kernelTimings() const {
  return profiler_ ? profiler_->totals() : std::vector<KernelTiming>{};
}

Result<TensorRef> CudaSession::run(const Program &program,
                                   const std::map<std::string, TensorRef> &inputs,
                                   CudaExecutor &executor, bool replay,
                                   bool lastRowOnly) {
  std::map<std::string, cuda::DeviceTensor> device;
  for (const std::string &name : program.inputOrder()) {
    const ValueInfo &info = program.values()[size_t(program.inputs().at(name))];
    Result<cuda::DeviceTensor> t = Status();
    if (isCache(name)) {
      t = cache(name, info);
    } else {
      auto it = inputs.find(name);
      if (it == inputs.end())
        return invalidArgument(program.name() + ": missing input '" + name + "'");
      t = upload(program.name(), name, it->second, info);
    }
    if (!t)
      return t.status();
    device[name] = std::move(*t);
  }
  std::vector<cuda::DeviceTensor> outputs;
  if (profiler_) {
    executor.setProfiler(profiler_.get());
    Status ran = executor.run(program, device, &outputs);
    executor.setProfiler(nullptr);
    VLMC_RETURN_IF_ERROR(ran);
    VLMC_RETURN_IF_ERROR(profiler_->collect());
  } else if (replay) {
    VLMC_RETURN_IF_ERROR(runWithReplay(program, device, executor, &outputs));
  } else {
    VLMC_RETURN_IF_ERROR(executor.run(program, device, &outputs));
  }
  const cuda::DeviceTensor &out = outputs[0];
  std::vector<int64_t> shape = out.shape;
  size_t count = size_t(out.numel()), skipped = 0;
  if (lastRowOnly && shape.size() == 2 && shape[0] > 1) {
    skipped = size_t(shape[0] - 1) * size_t(shape[1]);
    count -= skipped;
    shape[0] = 1;
  }
  size_t bytes = count * dtypeBytes(out.dtype);
  downloaded_.resize(bytes);
  VLMC_RETURN_IF_ERROR(model_.device().download(
      downloaded_.data(),
      reinterpret_cast<CUdeviceptr>(out.data) + skipped * dtypeBytes(out.dtype), bytes));
  output_.resize(count);
  if (out.dtype == fb::DType::F32)
    std::memcpy(output_.data(), downloaded_.data(), bytes);
  else
    VLMC_RETURN_IF_ERROR(quant::convertToFloat(
        downloaded_.data(), out.dtype == fb::DType::BF16 ? quant::DType::kBF16 : quant::DType::kF16,
        int64_t(count), output_.data()));
  return TensorRef{ElementType::kF32, shape, output_.data()};
}

} // namespace vlmc::exec
