#include "CudaSession.h"

#include "vlmc/cpu/Kernels.h"
#include "vlmc/quant/Quant.h"

#include <algorithm>
#include <cstring>

namespace vlmc::exec {

namespace {

bool isCache(const std::string &name) {
  return name.rfind("k_cache.", 0) == 0 || name.rfind("v_cache.", 0) == 0;
}

fb::DType fbType(ElementType t) { return fb::DType(uint8_t(t)); }

} // namespace

Status CudaSession::bindCache(const std::string &name, const ValueInfo &info,
                              cuda::DeviceTensor &slot) {
  // [maxContext, kvHeads, headDim] in the program's cache type, zeroed once.
  slot.dtype = fbType(info.dtype);
  slot.shape = info.shape;
  slot.shape[0] = maxContext_;
  auto it = caches_.find(name);
  if (it == caches_.end()) {
    size_t bytes = size_t(slot.numel()) * dtypeBytes(slot.dtype);
    Result<cuda::DeviceBuffer> buffer = model_.device().allocate(bytes);
    if (!buffer)
      return buffer.status().withContext("allocating the KV cache");
    VLMC_RETURN_IF_ERROR(model_.device().fill(*buffer, 0, bytes));
    it = caches_.emplace(name, std::move(*buffer)).first;
  }
  slot.data = reinterpret_cast<void *>(it->second.ptr());
  return Status::ok();
}

Status CudaSession::upload(const std::string &name, const TensorRef &host,
                           const ValueInfo &info, cuda::DeviceBuffer &staging,
                           cuda::DeviceTensor &slot) {
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
  if (staging.size() < std::max<size_t>(bytes, 1)) {
    VLMC_RETURN_IF_ERROR(staging.reset());
    Result<cuda::DeviceBuffer> fresh = model_.device().allocate(std::max<size_t>(bytes, 256));
    if (!fresh)
      return fresh.status();
    staging = std::move(*fresh);
  }
  if (bytes)
    VLMC_RETURN_IF_ERROR(model_.device().copyToDevice(staging, data, bytes));
  slot.data = reinterpret_cast<void *>(staging.ptr());
  slot.dtype = fbType(info.dtype);
  slot.shape = host.shape; // same rank every run: no allocation once sized
  return Status::ok();
}

bool CudaSession::sameInputs(const ProgramState &state, uint64_t generation) const {
  if (!state.keysValid || state.generation != generation ||
      state.keys.size() != state.inputs.size())
    return false;
  size_t i = 0;
  for (const auto &entry : state.inputs) {
    const cuda::DeviceTensor &t = entry.second;
    const InputKey &key = state.keys[i++];
    if (key.data != t.data || key.dtype != t.dtype || key.shape != t.shape)
      return false;
  }
  return true;
}

void CudaSession::rememberInputs(ProgramState &state, uint64_t generation) {
  state.keys.resize(state.inputs.size());
  size_t i = 0;
  for (const auto &entry : state.inputs) {
    InputKey &key = state.keys[i++];
    key.data = entry.second.data;
    key.dtype = entry.second.dtype;
    key.shape = entry.second.shape;
  }
  state.generation = generation;
  state.keysValid = true;
}

Status CudaSession::runWithReplay(const Program &program, ProgramState &state,
                                  CudaExecutor &executor) {
  const bool same = sameInputs(state, executor.generation());
  if (state.graph && same) {
    VLMC_RETURN_IF_ERROR(model_.device().replay(*state.graph));
    state.outputs = state.graphOutputs;
    ++graphReplays_;
    return Status::ok();
  }
  state.graph.reset();
  // The first run with these inputs is eager: it sizes the executor's pool
  // and workspace, so that the captured run allocates nothing.
  if (!same || state.captureFailed) {
    VLMC_RETURN_IF_ERROR(executor.run(program, state.inputs, &state.outputs));
    rememberInputs(state, executor.generation());
    return Status::ok();
  }
  VLMC_RETURN_IF_ERROR(model_.device().beginCapture());
  Status recorded = executor.run(program, state.inputs, &state.outputs);
  Result<cuda::Graph> graph = model_.device().endCapture();
  if (!recorded.isOk() || !graph) {
    // Something in the run cannot be captured: stay eager for this program.
    state.captureFailed = true;
    return executor.run(program, state.inputs, &state.outputs);
  }
  state.graph = std::move(*graph);
  state.graphOutputs = state.outputs;
  // Capturing executed nothing: this step's work is the first replay.
  VLMC_RETURN_IF_ERROR(model_.device().replay(*state.graph));
  ++graphReplays_;
  return Status::ok();
}

Status CudaSession::profileKernels() {
  profiler_ = std::make_unique<CudaProfiler>(model_.device());
  return Status::ok();
}

std::vector<KernelTiming> CudaSession::kernelTimings() const {
  return profiler_ ? profiler_->totals() : std::vector<KernelTiming>{};
}

Result<CudaSession::ProgramState *> CudaSession::execute(
    const Program &program, const std::map<std::string, TensorRef> &inputs,
    CudaExecutor &executor, bool replay) {
  ProgramState &state = programs_[program.name()];
  const std::vector<std::string> &order = program.inputOrder();
  state.staging.resize(order.size());
  for (size_t i = 0; i < order.size(); ++i) {
    const std::string &name = order[i];
    const ValueInfo &info = program.values()[size_t(program.inputs().at(name))];
    cuda::DeviceTensor &slot = state.inputs[name];
    if (isCache(name)) {
      VLMC_RETURN_IF_ERROR(bindCache(name, info, slot));
      continue;
    }
    auto it = inputs.find(name);
    if (it == inputs.end())
      return invalidArgument(program.name() + ": missing input '" + name + "'");
    VLMC_RETURN_IF_ERROR(upload(name, it->second, info, state.staging[i], slot));
  }
  if (profiler_) {
    executor.setProfiler(profiler_.get());
    Status ran = executor.run(program, state.inputs, &state.outputs);
    executor.setProfiler(nullptr);
    VLMC_RETURN_IF_ERROR(ran);
    VLMC_RETURN_IF_ERROR(profiler_->collect());
  } else if (replay) {
    VLMC_RETURN_IF_ERROR(runWithReplay(program, state, executor));
  } else {
    VLMC_RETURN_IF_ERROR(executor.run(program, state.inputs, &state.outputs));
  }
  if (state.outputs.empty())
    return dataLoss(program.name() + " has no outputs");
  return &state;
}

Result<TensorRef> CudaSession::run(const Program &program,
                                   const std::map<std::string, TensorRef> &inputs,
                                   CudaExecutor &executor, bool replay,
                                   bool lastRowOnly) {
  Result<ProgramState *> state = execute(program, inputs, executor, replay);
  if (!state)
    return state.status();
  const cuda::DeviceTensor &out = (*state)->outputs[0];
  outputShape_ = out.shape;
  size_t count = size_t(out.numel()), skipped = 0;
  if (lastRowOnly && outputShape_.size() == 2 && outputShape_[0] > 1) {
    skipped = size_t(outputShape_[0] - 1) * size_t(outputShape_[1]);
    count -= skipped;
    outputShape_[0] = 1;
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
  return TensorRef{ElementType::kF32, outputShape_, output_.data()};
}

Result<int32_t> CudaSession::runPick(const Program &program,
                                     const std::map<std::string, TensorRef> &inputs,
                                     CudaExecutor &executor, bool replay,
                                     const cpu::SamplingStep *step) {
  const bool greedy = !step || step->spec.greedy();
  const int32_t kernel = greedy ? model_.greedyKernel() : model_.sampleKernel();
  if (kernel < 0) { // an artifact without the kernel: pick on the host
    Result<TensorRef> logits = run(program, inputs, executor, replay, /*lastRowOnly=*/true);
    if (!logits)
      return logits.status();
    if (greedy)
      return cpu::argMax(logits->as<float>(), logits->numel());
    return cpu::sampleToken(logits->as<float>(), logits->numel(), *step, hostScratch_);
  }
  Result<ProgramState *> state = execute(program, inputs, executor, replay);
  if (!state)
    return state.status();
  const cuda::DeviceTensor &logits = (*state)->outputs[0];
  if (logits.shape.empty() || logits.shape.back() <= 0)
    return dataLoss(program.name() + " returns no logits");
  // The last row, the penalized ids and one int32 for the token (buffers
  // kept across steps).
  const int64_t vocab = logits.shape.back(), rows = logits.numel() / vocab;
  if (pickToken_.empty()) {
    Result<cuda::DeviceBuffer> token = model_.device().allocate(256);
    if (!token)
      return token.status();
    pickToken_ = std::move(*token);
    greedyInputs_.resize(1);
    sampleInputs_.resize(2);
    sampleInputs_[1] = cuda::DeviceTensor{nullptr, fb::DType::I32, {0}};
    pickOutput_ = cuda::DeviceTensor{reinterpret_cast<void *>(pickToken_.ptr()),
                                     fb::DType::I32, {1}};
  }
  std::vector<cuda::DeviceTensor> &operands = greedy ? greedyInputs_ : sampleInputs_;
  cuda::DeviceTensor &row = operands[0];
  row.data = static_cast<char *>(logits.data) +
             size_t(rows - 1) * size_t(vocab) * dtypeBytes(logits.dtype);
  row.dtype = logits.dtype;
  row.shape.assign({1, vocab});
  if (!greedy)
    VLMC_RETURN_IF_ERROR(stagePenalizedIds(*step));
  const fb::OpCode code = greedy ? fb::OpCode::ArgMax : fb::OpCode::Sample;
  Result<cuda::Launch> launch =
      cuda::planLaunch(pickOp(code), model_.kernelInfo(size_t(kernel)), operands, pickOutput_);
  if (!launch)
    return launch.status();
  if (!greedy)
    VLMC_RETURN_IF_ERROR(cuda::setSamplingArgs(launch->args, step->spec, step->draw));
  VLMC_RETURN_IF_ERROR(bindPickWorkspace(*launch));
  void *params[] = {&launch->args};
  VLMC_RETURN_IF_ERROR(model_.device().launch(
      model_.kernel(size_t(kernel)), {launch->grid[0], launch->grid[1], launch->grid[2]},
      {launch->block, 1, 1}, launch->sharedBytes, params));
  int32_t token = 0;
  VLMC_RETURN_IF_ERROR(model_.device().download(&token, pickToken_.ptr(), sizeof token));
  if (token < 0 || token >= vocab)
    return internalError(std::string("the ") + (greedy ? "greedy" : "sample") +
                         " kernel returned index " + std::to_string(token) +
                         " for a vocabulary of " + std::to_string(vocab));
  return token;
}

Status CudaSession::stagePenalizedIds(const cpu::SamplingStep &step) {
  cuda::DeviceTensor &ids = sampleInputs_[1];
  ids.data = nullptr;
  ids.shape.assign({0});
  if (step.penalizedCount == 0)
    return Status::ok();
  const size_t bytes = step.penalizedCount * sizeof(int32_t);
  if (penalizedIds_.size() < bytes) {
    Result<cuda::DeviceBuffer> grown = model_.device().allocate(std::max<size_t>(bytes, 256));
    if (!grown)
      return grown.status();
    penalizedIds_ = std::move(*grown);
  }
  VLMC_RETURN_IF_ERROR(model_.device().copyToDevice(penalizedIds_, step.penalized, bytes));
  ids.data = reinterpret_cast<void *>(penalizedIds_.ptr());
  ids.shape.assign({int64_t(step.penalizedCount)});
  return Status::ok();
}

Status CudaSession::bindPickWorkspace(cuda::Launch &launch) {
  if (launch.workspaceBytes == 0)
    return Status::ok();
  // Zeroed once: kernels leave the leading counter bytes zero.
  if (pickWorkspace_.size() < launch.workspaceBytes) {
    Result<cuda::DeviceBuffer> grown = model_.device().allocate(launch.workspaceBytes);
    if (!grown)
      return grown.status();
    pickWorkspace_ = std::move(*grown);
    VLMC_RETURN_IF_ERROR(model_.device().fill(pickWorkspace_, 0, pickWorkspace_.size()));
  }
  launch.args.p[cuda::kWorkspacePointer] = reinterpret_cast<void *>(pickWorkspace_.ptr());
  return Status::ok();
}

// planLaunch reads the op's code and input ids: ArgMax over input 0; Sample
// over input 0 with the penalized ids in input 1 (its attributes come from
// setSamplingArgs).
const fb::Op &CudaSession::pickOp(fb::OpCode code) {
  std::vector<uint8_t> &bytes = pickOps_[code];
  if (bytes.empty()) {
    flatbuffers::FlatBufferBuilder fbb;
    std::vector<int32_t> inputs = {0}, outputs = {2};
    if (code == fb::OpCode::Sample)
      inputs.push_back(1);
    fbb.Finish(fb::CreateOpDirect(fbb, code, "device sampling", &inputs, &outputs));
    bytes.assign(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
  }
  return *flatbuffers::GetRoot<fb::Op>(bytes.data());
}

} // namespace vlmc::exec
