// Device tests: need a GPU and skip without one (with the driver's reason).
// Run them on the GPU machine with `ctest -R CudaDeviceTest`.
#include "CudaTestUtil.h"

#include "vlmc/cuda/Device.h"
#include "vlmc/cuda/Nvrtc.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

namespace vlmc::cuda {
namespace {

using test::kVectorAddSource;

const char *kAddOneSource = R"(
extern "C" __global__ void add_one(float *x, unsigned n) {
  unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n)
    x[i] += 1.0f;
}
)";

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

class CudaDeviceTest : public ::testing::Test {
protected:
  void SetUp() override {
    Result<std::unique_ptr<Device>> device = Device::open(0);
    if (!device)
      GTEST_SKIP() << "no usable CUDA device: " << device.status().message();
    device_ = std::move(device).value();
  }

  // Compiles `source` for this device and loads it; skips if NVRTC is absent
  // (a machine with a driver but no toolkit).
  Module load(const char *source, const std::string &name) {
    Result<std::string> cubin =
        compileToCubin(source, name, device_->properties().arch());
    if (!cubin) {
      if (cubin.status().code() == StatusCode::kUnavailable)
        skipReason_ = "NVRTC unavailable: " + cubin.status().message();
      else
        ADD_FAILURE() << cubin.status().message();
      return Module();
    }
    Result<Module> module = device_->loadModule(*cubin);
    EXPECT_TRUE(module) << module.status().message();
    return module ? std::move(module).value() : Module();
  }

  std::vector<float> randomFloats(size_t n, std::mt19937 &rng) {
    std::uniform_real_distribution<float> dist(-100.0f, 100.0f);
    std::vector<float> v(n);
    for (float &x : v)
      x = dist(rng);
    return v;
  }

  std::unique_ptr<Device> device_;
  std::string skipReason_;
};

#define LOAD_OR_SKIP(var, source, name)                                        \
  Module var = load(source, name);                                             \
  if (!skipReason_.empty())                                                    \
    GTEST_SKIP() << skipReason_;                                               \
  ASSERT_NE(var.handle(), nullptr)

TEST_F(CudaDeviceTest, Properties) {
  const DeviceProperties &p = device_->properties();
  EXPECT_FALSE(p.name.empty());
  EXPECT_GE(p.ccMajor, 7);
  EXPECT_GT(p.smCount, 0);
  EXPECT_GT(p.totalMemory, size_t(1) << 30);
  EXPECT_GE(p.maxSharedPerBlockOptin, 48 * 1024);
  Result<MemoryInfo> memory = device_->memoryInfo();
  ASSERT_TRUE(memory) << memory.status().message();
  EXPECT_GT(memory->free, 0u);
  EXPECT_LE(memory->free, memory->total);
  std::printf("device 0: %s, %s, %d SMs, %zu MiB\n", p.name.c_str(),
              p.arch().c_str(), p.smCount, p.totalMemory >> 20);
}

TEST_F(CudaDeviceTest, CopyRoundTrip) {
  std::mt19937 rng(std::random_device{}());
  const size_t bytes = (4 << 20) + 13;
  std::vector<uint8_t> input(bytes);
  for (uint8_t &b : input)
    b = static_cast<uint8_t>(rng());
  Result<DeviceBuffer> a = device_->allocate(bytes);
  Result<DeviceBuffer> b = device_->allocate(bytes);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->size(), bytes);

  ASSERT_TRUE(device_->fill(*b, 0xCD, bytes).isOk());
  ASSERT_TRUE(device_->copyToDevice(*a, input.data(), bytes).isOk());
  ASSERT_TRUE(device_->copyDeviceToDevice(*b, *a, bytes - 100, 100, 0).isOk());
  std::vector<uint8_t> output(bytes, 0x11);
  ASSERT_TRUE(device_->copyToHost(output.data(), *b, bytes).isOk());
  ASSERT_TRUE(device_->synchronize().isOk());
  for (size_t i = 0; i < 100; ++i)
    ASSERT_EQ(output[i], 0xCD) << i;
  EXPECT_EQ(std::memcmp(output.data() + 100, input.data(), bytes - 100), 0);

  // Ranges outside a buffer are refused before reaching the driver.
  Status outside = device_->copyToHost(output.data(), *a, 16, bytes - 8);
  EXPECT_EQ(outside.code(), StatusCode::kOutOfRange);

  Result<DeviceBuffer> empty = device_->allocate(0);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
  ASSERT_TRUE(a->reset().isOk());
  EXPECT_EQ(a->ptr(), 0u);
}

TEST_F(CudaDeviceTest, CompileAndLaunchVectorAdd) {
  LOAD_OR_SKIP(module, kVectorAddSource, "vector_add");
  Result<Function> function = module.function("vector_add");
  ASSERT_TRUE(function) << function.status().message();

  unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  unsigned n =
      100003; // not a multiple of the block size: the bounds check runs
  std::vector<float> a = randomFloats(n, rng), b = randomFloats(n, rng);
  size_t bytes = n * sizeof(float);
  Result<DeviceBuffer> da = device_->allocate(bytes),
                       db = device_->allocate(bytes),
                       dout = device_->allocate(bytes);
  ASSERT_TRUE(da && db && dout);
  ASSERT_TRUE(device_->copyToDevice(*da, a.data(), bytes).isOk());
  ASSERT_TRUE(device_->copyToDevice(*db, b.data(), bytes).isOk());
  // Poison the output (all-ones bytes are NaN) so a kernel that never runs
  // or skips elements cannot pass.
  ASSERT_TRUE(device_->fill(*dout, 0xFF, bytes).isOk());

  CUdeviceptr pa = da->ptr(), pb = db->ptr(), pout = dout->ptr();
  auto args = kernelArgs(pa, pb, pout, n);
  Status launched = device_->launch(*function, Dim3{(n + 255) / 256}, Dim3{256},
                                    0, args.data());
  ASSERT_TRUE(launched.isOk()) << launched.message();
  std::vector<float> out(n);
  ASSERT_TRUE(device_->copyToHost(out.data(), *dout, bytes).isOk());
  ASSERT_TRUE(device_->synchronize().isOk());
  for (unsigned i = 0; i < n; ++i)
    ASSERT_EQ(out[i], a[i] + b[i]) << "element " << i;
}

TEST_F(CudaDeviceTest, ErrorsNameTheKernel) {
  LOAD_OR_SKIP(module, kVectorAddSource, "vector_add");
  Result<Function> missing = module.function("no_such_kernel");
  ASSERT_FALSE(missing);
  EXPECT_TRUE(contains(missing.status().message(), "no_such_kernel"))
      << missing.status().message();

  Result<Function> function = module.function("vector_add");
  ASSERT_TRUE(function);
  CUdeviceptr p = 0;
  unsigned n = 0;
  auto args = kernelArgs(p, p, p, n);
  // 4096 threads per block exceeds every GPU's limit of 1024.
  Status status =
      device_->launch(*function, Dim3{1}, Dim3{4096}, 0, args.data());
  ASSERT_FALSE(status.isOk());
  EXPECT_TRUE(
      contains(status.message(), "cuLaunchKernel(vector_add): CUDA_ERROR_"))
      << status.message();
  EXPECT_TRUE(contains(status.message(), "block (4096,1,1)"))
      << status.message();
}

TEST_F(CudaDeviceTest, CubinForAnotherArchIsRefusedWithAHint) {
  const DeviceProperties &p = device_->properties();
  // SASS runs only within its major version, so pick another major.
  std::string otherArch = p.ccMajor == 8 ? "sm_90a" : "sm_80";
  Result<std::string> cubin =
      compileToCubin(kVectorAddSource, "vector_add", otherArch);
  if (!cubin && cubin.status().code() == StatusCode::kUnavailable)
    GTEST_SKIP() << "NVRTC unavailable: " << cubin.status().message();
  ASSERT_TRUE(cubin) << cubin.status().message();
  Result<Module> module = device_->loadModule(*cubin);
  ASSERT_FALSE(module);
  EXPECT_TRUE(contains(module.status().message(), "another arch"))
      << module.status().message();
}

TEST_F(CudaDeviceTest, EventsTimeWork) {
  LOAD_OR_SKIP(module, kAddOneSource, "add_one");
  Result<Function> function = module.function("add_one");
  ASSERT_TRUE(function);
  unsigned n = 1 << 24;
  Result<DeviceBuffer> x = device_->allocate(n * sizeof(float));
  ASSERT_TRUE(x);
  ASSERT_TRUE(device_->fill(*x, 0, x->size()).isOk());
  Result<Event> start = device_->createEvent(), end = device_->createEvent();
  ASSERT_TRUE(start && end);
  CUdeviceptr px = x->ptr();
  auto args = kernelArgs(px, n);
  ASSERT_TRUE(device_->record(*start).isOk());
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(
        device_->launch(*function, Dim3{n / 256}, Dim3{256}, 0, args.data())
            .isOk());
  ASSERT_TRUE(device_->record(*end).isOk());
  ASSERT_TRUE(end->synchronize().isOk());
  Result<float> ms = Event::elapsedMs(*start, *end);
  ASSERT_TRUE(ms) << ms.status().message();
  EXPECT_GT(*ms, 0.0f);
  EXPECT_LT(*ms, 10000.0f);
}

TEST_F(CudaDeviceTest, GraphCaptureAndReplay) {
  LOAD_OR_SKIP(module, kAddOneSource, "add_one");
  Result<Function> function = module.function("add_one");
  ASSERT_TRUE(function);
  unsigned n = 4099;
  std::vector<float> zeros(n, 0.0f);
  Result<DeviceBuffer> x = device_->allocate(n * sizeof(float));
  ASSERT_TRUE(x);
  ASSERT_TRUE(device_->copyToDevice(*x, zeros.data(), x->size()).isOk());
  ASSERT_TRUE(device_->synchronize().isOk());

  CUdeviceptr px = x->ptr();
  auto args = kernelArgs(px, n);
  ASSERT_TRUE(device_->beginCapture().isOk());
  Status launched = device_->launch(*function, Dim3{(n + 127) / 128}, Dim3{128},
                                    0, args.data());
  Status launchedAgain = device_->launch(*function, Dim3{(n + 127) / 128},
                                         Dim3{128}, 0, args.data());
  Result<Graph> graph = device_->endCapture();
  ASSERT_TRUE(launched.isOk() && launchedAgain.isOk())
      << launched.message() << launchedAgain.message();
  ASSERT_TRUE(graph) << graph.status().message();

  // Captured work was recorded, not run.
  std::vector<float> out(n, -1.0f);
  ASSERT_TRUE(device_->copyToHost(out.data(), *x, x->size()).isOk());
  ASSERT_TRUE(device_->synchronize().isOk());
  EXPECT_EQ(out[0], 0.0f);

  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(device_->replay(*graph).isOk());
  ASSERT_TRUE(device_->copyToHost(out.data(), *x, x->size()).isOk());
  ASSERT_TRUE(device_->synchronize().isOk());
  for (unsigned i = 0; i < n; ++i)
    ASSERT_EQ(out[i], 6.0f) << "element " << i;
}

TEST_F(CudaDeviceTest, OutOfMemoryReportsBytesAskedAndFree) {
  size_t absurd = device_->properties().totalMemory * 4;
  Result<DeviceBuffer> buffer = device_->allocate(absurd);
  ASSERT_FALSE(buffer);
  const std::string &message = buffer.status().message();
  EXPECT_EQ(buffer.status().code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(contains(message, "cuMemAlloc: CUDA_ERROR_OUT_OF_MEMORY"))
      << message;
  EXPECT_TRUE(
      contains(message, "asked for " + std::to_string(absurd) + " bytes"))
      << message;
  EXPECT_TRUE(contains(message, " free of ")) << message;
  // The failed allocation leaves the device usable.
  Result<DeviceBuffer> small = device_->allocate(1 << 20);
  EXPECT_TRUE(small) << small.status().message();
}

} // namespace
} // namespace vlmc::cuda
