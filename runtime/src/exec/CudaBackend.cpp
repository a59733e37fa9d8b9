#include "CudaBackend.h"

#include "CudaProfiler.h"
#include "ShapeInference.h"
#include "vlmc/artifact/Artifact.h"
#include "vlmc/cuda/KernelCache.h"

#include <chrono>

namespace vlmc::exec {

size_t dtypeBytes(fb::DType dtype) { return artifact::dtypeSize(dtype); }

//===----------------------------------------------------------------------===//
// CudaModel
//===----------------------------------------------------------------------===//

CudaModel::~CudaModel() {
  // Kernels and memory belong to the device's context: release them first.
  functions_.clear();
  modules_.clear();
  weights_.clear();
  (void)weightSegment_.reset();
}

const fb::Kernel &CudaModel::kernelInfo(size_t index) const {
  return *artifact_->root().kernels()->Get(uint32_t(index));
}

int32_t CudaModel::greedyKernel() const { return artifact_->root().greedy_kernel(); }
int32_t CudaModel::sampleKernel() const { return artifact_->root().sample_kernel(); }

Result<std::unique_ptr<CudaModel>> CudaModel::create(const artifact::Artifact &artifact,
                                                     int ordinal) {
  auto start = std::chrono::steady_clock::now();
  std::unique_ptr<CudaModel> m(new CudaModel());
  m->artifact_ = &artifact;
  Result<std::unique_ptr<cuda::Device>> device = cuda::Device::open(ordinal);
  if (!device)
    return device.status();
  m->device_ = std::move(*device);
  m->report_.device = m->device_->properties().name + " (" + m->device_->properties().arch() + ")";

  // The weights segment in one upload; tensors are views at their offsets.
  artifact::ByteSpan segment = artifact.weightsSegment();
  if (!segment.empty()) {
    Result<cuda::DeviceBuffer> buffer = m->device_->allocate(segment.size);
    if (!buffer)
      return buffer.status().withContext("uploading the weights");
    m->weightSegment_ = std::move(*buffer);
    VLMC_RETURN_IF_ERROR(m->device_->copyToDevice(m->weightSegment_, segment.data, segment.size));
  }
  m->report_.weightBytes = segment.size;
  for (size_t i = 0; i < artifact.tensorCount(); ++i) {
    const fb::Tensor *t = artifact.tensor(i);
    cuda::DeviceTensor d;
    d.dtype = t->dtype();
    if (t->shape())
      d.shape.assign(t->shape()->begin(), t->shape()->end());
    d.data = reinterpret_cast<void *>(m->weightSegment_.ptr() + t->offset());
    m->weights_.push_back(std::move(d));
  }

  // Kernels: an embedded cubin for this arch, else NVRTC through the cache.
  const auto *kernels = artifact.root().kernels();
  size_t count = kernels ? kernels->size() : 0;
  std::string arch = m->device_->properties().arch();
  std::vector<std::string> images(count);
  std::vector<cuda::KernelSpec> toCompile;
  std::vector<size_t> compiledIndex;
  for (size_t i = 0; i < count; ++i) {
    const fb::Kernel &k = *kernels->Get(uint32_t(i));
    if (k.cubins())
      for (const fb::Cubin *c : *k.cubins())
        if (c->arch()->str() == arch && c->data()) {
          images[i].assign(reinterpret_cast<const char *>(c->data()->data()), c->data()->size());
          ++m->report_.embeddedCubins;
        }
    if (images[i].empty()) {
      if (!k.source())
        return dataLoss("kernel '" + k.name()->str() + "' has neither a cubin for " + arch +
                        " nor a source");
      toCompile.push_back(cuda::generatedKernelSpec(k.name()->str(), k.source()->str(), arch));
      compiledIndex.push_back(i);
    }
  }
  if (!toCompile.empty()) {
    Result<cuda::KernelCache> cache = cuda::KernelCache::open();
    if (!cache)
      return cache.status();
    Result<std::vector<cuda::CompiledKernel>> compiled = cache->getOrCompileAll(toCompile);
    if (!compiled)
      return compiled.status();
    for (size_t j = 0; j < compiledIndex.size(); ++j) {
      images[compiledIndex[j]] = std::move((*compiled)[j].cubin);
      m->report_.cacheHits += (*compiled)[j].cacheHit;
    }
  }
  for (size_t i = 0; i < count; ++i) {
    Result<cuda::Module> module = m->device_->loadModule(images[i]);
    if (!module)
      return module.status().withContext("kernel '" + kernels->Get(uint32_t(i))->name()->str() + "'");
    Result<cuda::Function> function = module->function(kernels->Get(uint32_t(i))->name()->str());
    if (!function)
      return function.status();
    m->functions_.push_back(*function);
    m->modules_.push_back(std::move(*module));
  }
  m->report_.kernels = count;
  m->report_.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return m;
}

//===----------------------------------------------------------------------===//
// CudaExecutor
//===----------------------------------------------------------------------===//

namespace {

struct LaunchWork {
  double bytes = 0, flops = 0;
};

double tensorBytes(const cuda::DeviceTensor &t) {
  return t.data ? double(t.numel()) * double(dtypeBytes(t.dtype)) : 0.0;
}

// What a launch must at least move and compute, from the shapes the host
// knows. Attention reads a KV length that only the device knows: unknown.
LaunchWork launchWork(fb::OpCode code, const std::vector<cuda::DeviceTensor> &inputs,
                      const cuda::DeviceTensor &output) {
  LaunchWork w;
  switch (code) {
  case fb::OpCode::Attention:
    return w;
  case fb::OpCode::KVCacheWrite:
    w.bytes = 2 * tensorBytes(inputs[0]); // the update, read and written
    return w;
  case fb::OpCode::RopeKVCacheWrite: // the update and positions; not the cache
  case fb::OpCode::RopeKVPairCacheWrite:
    w.bytes = 2 * tensorBytes(inputs[0]) + tensorBytes(inputs[1]);
    if (code == fb::OpCode::RopeKVPairCacheWrite && inputs.size() > 4)
      w.bytes += 2 * tensorBytes(inputs[4]);
    return w;
  case fb::OpCode::Embedding:
  case fb::OpCode::QEmbedding:
    // Only the looked-up rows of the table are read (counted as f32-sized
    // or smaller: the output's size).
    w.bytes = tensorBytes(inputs[0]) + 2 * tensorBytes(output);
    return w;
  case fb::OpCode::Matmul:
  case fb::OpCode::QMatmul:
  case fb::OpCode::QQMatmul:
    if (!inputs.empty() && !inputs[0].shape.empty())
      w.flops = 2.0 * double(output.numel()) * double(inputs[0].shape.back());
    break;
  default:
    break;
  }
  for (const cuda::DeviceTensor &t : inputs)
    w.bytes += tensorBytes(t);
  w.bytes += tensorBytes(output);
  return w;
}

} // namespace

Result<int32_t> CudaExecutor::acquire(size_t bytes) {
  bytes = std::max<size_t>(256, (bytes + 255) / 256 * 256);
  int32_t best = -1;
  for (size_t i = 0; i < pool_.size(); ++i)
    if (pool_[i].free && pool_[i].memory.size() >= bytes &&
        (best < 0 || pool_[i].memory.size() < pool_[size_t(best)].memory.size()))
      best = int32_t(i);
  if (best < 0) {
    Result<cuda::DeviceBuffer> buffer = model_.device().allocate(bytes);
    if (!buffer)
      return buffer.status();
    pool_.push_back(Buffer{std::move(*buffer), true});
    best = int32_t(pool_.size() - 1);
  }
  pool_[size_t(best)].free = false;
  return best;
}

Status CudaExecutor::run(const Program &program,
                         const std::map<std::string, cuda::DeviceTensor> &inputs,
                         std::vector<cuda::DeviceTensor> *outputs) {
  slots_.assign(program.values().size(), cuda::DeviceTensor{});
  owned_.assign(program.values().size(), -1);
  for (const std::string &name : program.inputOrder()) {
    auto it = inputs.find(name);
    if (it == inputs.end())
      return invalidArgument(program.name() + ": missing input '" + name + "'");
    slots_[size_t(program.inputs().at(name))] = it->second;
  }
  auto releaseAll = [this] {
    for (int32_t &buffer : owned_)
      if (buffer >= 0) {
        pool_[size_t(buffer)].free = true;
        buffer = -1;
      }
  };
  for (const OpInfo &op : program.ops()) {
    Status s = runOp(program, op);
    for (int32_t root : op.release)
      if (owned_[size_t(root)] >= 0) {
        pool_[size_t(owned_[size_t(root)])].free = true;
        owned_[size_t(root)] = -1;
      }
    if (!s.isOk()) {
      releaseAll();
      return s.withContext(program.name() + ": " + fb::EnumNameOpCode(op.code) +
                           (op.layer.empty() ? std::string() : " '" + op.layer + "'"));
    }
  }
  outputs->clear();
  for (int32_t id : program.outputs())
    outputs->push_back(slots_[size_t(id)]);
  releaseAll();
  return Status::ok();
}

Status CudaExecutor::runOp(const Program &program, const OpInfo &op) {
  const fb::Op &fop = *op.op;
  int32_t out = op.outputs.empty() ? -1 : op.outputs[0];
  if (op.code == fb::OpCode::Parameter) {
    if (fop.tensor() < 0 || size_t(fop.tensor()) >= model_.weights().size())
      return dataLoss("parameter refers to no tensor");
    slots_[size_t(out)] = model_.weights()[size_t(fop.tensor())];
    return Status::ok();
  }
  std::vector<cuda::DeviceTensor> inputs;
  std::vector<const std::vector<int64_t> *> shapes;
  for (int32_t id : op.inputs) {
    inputs.push_back(id >= 0 ? slots_[size_t(id)] : cuda::DeviceTensor{});
    shapes.push_back(id >= 0 ? &slots_[size_t(id)].shape : nullptr);
  }
  Result<std::vector<int64_t>> shape = inferOutputShape(program, op, shapes);
  if (!shape)
    return shape.status();
  cuda::DeviceTensor &y = slots_[size_t(out)];
  if (op.code == fb::OpCode::Reshape) {
    y = cuda::DeviceTensor{inputs[0].data, inputs[0].dtype, *shape};
    return Status::ok();
  }
  auto allocateOutput = [&](int32_t value) -> Status {
    cuda::DeviceTensor &t = slots_[size_t(value)];
    t.dtype = fb::DType(uint8_t(program.values()[size_t(value)].dtype));
    t.shape = *shape;
    Result<int32_t> buffer = acquire(size_t(t.numel()) * dtypeBytes(t.dtype));
    if (!buffer)
      return buffer.status();
    owned_[size_t(program.root(value))] = *buffer;
    t.data = reinterpret_cast<void *>(pool_[size_t(*buffer)].memory.ptr());
    return Status::ok();
  };
  if (op.aliasedInputs[0] >= 0) { // in-place updates (the KV cache writes)
    for (size_t o = 0; o < op.outputs.size() && o < op.aliasedInputs.size(); ++o)
      if (op.aliasedInputs[o] >= 0)
        slots_[size_t(op.outputs[o])] = inputs[size_t(op.aliasedInputs[o])];
  } else {
    // Every output has the first one's shape (AddRmsNorm: the sum and the
    // normalized rows, the launch's second output).
    for (int32_t value : op.outputs)
      VLMC_RETURN_IF_ERROR(allocateOutput(value));
  }
  // A second output the kernel writes through its input pointer (the value
  // cache) is no launch output.
  const cuda::DeviceTensor *second = op.outputs.size() > 1 && op.aliasedInputs[1] < 0
                                         ? &slots_[size_t(op.outputs[1])]
                                         : nullptr;
  if (fop.kernel() < 0)
    return dataLoss("op has no kernel (compile for --target cuda)");
  const fb::Kernel &info = model_.kernelInfo(size_t(fop.kernel()));
  Result<cuda::Launch> launch = cuda::planLaunch(fop, info, inputs, y, second);
  if (!launch)
    return launch.status();
  if (launch->skip)
    return Status::ok();
  if (launch->workspaceBytes > 0) {
    if (workspace_.size() < launch->workspaceBytes) {
      // Kernels already queued may still use the old workspace.
      VLMC_RETURN_IF_ERROR(model_.device().synchronize());
      VLMC_RETURN_IF_ERROR(workspace_.reset());
      ++generation_;
      Result<cuda::DeviceBuffer> w = model_.device().allocate(launch->workspaceBytes);
      if (!w)
        return w.status();
      workspace_ = std::move(*w);
      // The kernels keep the leading counters zero between launches.
      VLMC_RETURN_IF_ERROR(model_.device().fill(workspace_, 0, workspace_.size()));
    }
    launch->args.p[cuda::kWorkspacePointer] = reinterpret_cast<void *>(workspace_.ptr());
  }
  void *params[] = {&launch->args};
  const cuda::Function &function = model_.kernel(size_t(fop.kernel()));
  if (profiler_)
    VLMC_RETURN_IF_ERROR(profiler_->begin());
  VLMC_RETURN_IF_ERROR(model_.device().launch(
      function, {launch->grid[0], launch->grid[1], launch->grid[2]}, {launch->block, 1, 1},
      launch->sharedBytes, params));
  if (profiler_) {
    LaunchWork work = launchWork(op.code, inputs, y);
    if (second)
      work.bytes += tensorBytes(*second);
    VLMC_RETURN_IF_ERROR(
        profiler_->end(function.name, fb::EnumNameOpCode(op.code), work.bytes, work.flops));
  }
  return Status::ok();
}

} // namespace vlmc::exec
