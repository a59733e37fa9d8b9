// Driver loading without a GPU: the machine's own libcuda.so.1 (absent here,
// so Driver::get() must fail cleanly) and fake drivers for every other path.
#include "CudaTestUtil.h"

#include "vlmc/cuda/Device.h"
#include "vlmc/cuda/Driver.h"

#include <gtest/gtest.h>

namespace vlmc::cuda {
namespace {

using test::besideTestBinary;
using test::ScopedEnv;

bool startsWith(const std::string &text, const std::string &prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

TEST(CudaDriverTest, SystemDriverFailsCleanlyWithoutGpu) {
  Result<const Driver *> driver = Driver::get();
  if (driver)
    GTEST_SKIP() << "a CUDA driver and device are present (CUDA "
                 << (*driver)->version()
                 << "); the failure paths are covered by the fake-driver tests";
  const std::string &message = driver.status().message();
  EXPECT_EQ(driver.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(
      startsWith(message,
                 "no NVIDIA driver: libcuda.so.1 could not be loaded (") ||
      startsWith(message, "no CUDA device") ||
      startsWith(message, "driver too old (needs CUDA 12.x)"))
      << message;
  // The failure is remembered, not retried.
  Result<const Driver *> again = Driver::get();
  ASSERT_FALSE(again);
  EXPECT_EQ(again.status().message(), message);
}

TEST(CudaDriverTest, DeviceOpenWithoutGpuReturnsTheDriverStatus) {
  Result<const Driver *> driver = Driver::get();
  if (driver)
    GTEST_SKIP()
        << "a CUDA device is present; CudaDeviceTest covers Device::open";
  Result<std::unique_ptr<Device>> device = Device::open(0);
  ASSERT_FALSE(device);
  EXPECT_EQ(device.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(device.status().message(), driver.status().message());
}

TEST(CudaDriverTest, MissingLibrary) {
  Result<std::unique_ptr<Driver>> driver =
      Driver::load("libvlmc-no-such-driver.so.1");
  ASSERT_FALSE(driver);
  EXPECT_EQ(driver.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(startsWith(
      driver.status().message(),
      "no NVIDIA driver: libvlmc-no-such-driver.so.1 could not be loaded ("))
      << driver.status().message();
}

TEST(CudaDriverTest, LibraryThatIsNotADriver) {
  Result<std::unique_ptr<Driver>> driver = Driver::load("libm.so.6");
  ASSERT_FALSE(driver);
  EXPECT_NE(driver.status().message().find("not a CUDA driver library"),
            std::string::npos)
      << driver.status().message();
}

TEST(CudaDriverTest, PreCuda12DriverIsTooOld) {
  Result<std::unique_ptr<Driver>> driver =
      Driver::load(besideTestBinary("libvlmc_fake_cuda11.so"));
  ASSERT_FALSE(driver);
  const std::string &message = driver.status().message();
  EXPECT_TRUE(startsWith(message, "driver too old (needs CUDA 12.x)"))
      << message;
  EXPECT_NE(message.find("CUDA 11.8"), std::string::npos) << message;
}

TEST(CudaDriverTest, OldVersionBehindNewApiIsTooOld) {
  ScopedEnv mode("VLMC_FAKE_CUDA", "old");
  Result<std::unique_ptr<Driver>> driver =
      Driver::load(besideTestBinary("libvlmc_fake_cuda12.so"));
  ASSERT_FALSE(driver);
  EXPECT_TRUE(
      startsWith(driver.status().message(), "driver too old (needs CUDA 12.x)"))
      << driver.status().message();
  EXPECT_NE(driver.status().message().find("CUDA 11.8"), std::string::npos);
}

TEST(CudaDriverTest, NoDeviceFromCuInit) {
  ScopedEnv mode("VLMC_FAKE_CUDA", "nodevice");
  Result<std::unique_ptr<Driver>> driver =
      Driver::load(besideTestBinary("libvlmc_fake_cuda12.so"));
  ASSERT_FALSE(driver);
  EXPECT_EQ(driver.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(startsWith(driver.status().message(), "no CUDA device"))
      << driver.status().message();
}

TEST(CudaDriverTest, NoDeviceFromCount) {
  ScopedEnv mode("VLMC_FAKE_CUDA", "zero");
  Result<std::unique_ptr<Driver>> driver =
      Driver::load(besideTestBinary("libvlmc_fake_cuda12.so"));
  ASSERT_FALSE(driver);
  EXPECT_TRUE(startsWith(driver.status().message(), "no CUDA device"))
      << driver.status().message();
}

TEST(CudaDriverTest, MissingEntryPointIsNamed) {
  ScopedEnv mode("VLMC_FAKE_CUDA", "missing");
  Result<std::unique_ptr<Driver>> driver =
      Driver::load(besideTestBinary("libvlmc_fake_cuda12.so"));
  ASSERT_FALSE(driver);
  EXPECT_NE(driver.status().message().find("cuGraphLaunch"), std::string::npos)
      << driver.status().message();
}

// The fake answers only unversioned names, so a successful load shows that
// every table entry was requested as cuMemAlloc, not cuMemAlloc_v2.
TEST(CudaDriverTest, ResolvesUnversionedNamesAndFormatsErrors) {
  ScopedEnv mode("VLMC_FAKE_CUDA", std::nullopt);
  Result<std::unique_ptr<Driver>> loaded =
      Driver::load(besideTestBinary("libvlmc_fake_cuda12.so"));
  ASSERT_TRUE(loaded) << loaded.status().message();
  const Driver &driver = **loaded;
  EXPECT_EQ(driver.version(), 12080);
  EXPECT_EQ(driver.deviceCount(), 1);

  CUdeviceptr ptr = 0;
  Status status = VLMC_CU(driver, cuMemAlloc, &ptr, 1 << 20);
  EXPECT_EQ(status.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(status.message(),
            "cuMemAlloc: CUDA_ERROR_OUT_OF_MEMORY (out of memory)");

  EXPECT_EQ(driver.errorName(static_cast<CUresult>(12345)), "CUDA error 12345");
  EXPECT_EQ(
      driver.check(CUDA_ERROR_INVALID_VALUE, "cuLaunchKernel(k)").message(),
      "cuLaunchKernel(k): CUDA_ERROR_INVALID_VALUE (invalid argument)");
  EXPECT_TRUE(driver.check(CUDA_SUCCESS, "cuInit").isOk());
}

TEST(CudaArchTest, ArchFromComputeCapability) {
  auto arch = [](int major, int minor) {
    DeviceProperties p;
    p.ccMajor = major;
    p.ccMinor = minor;
    return p.arch();
  };
  EXPECT_EQ(arch(8, 0), "sm_80");
  EXPECT_EQ(arch(8, 6), "sm_86");
  EXPECT_EQ(arch(8, 9), "sm_89");
  EXPECT_EQ(arch(9, 0), "sm_90a");
  EXPECT_EQ(arch(10, 0), "sm_100a");
  EXPECT_EQ(arch(12, 0), "sm_120a");
  // What the compiler names precompiled cubins with.
  EXPECT_EQ(archForComputeCapability(8, 6), "sm_86");
  EXPECT_EQ(archForComputeCapability(9, 0), "sm_90a");
  EXPECT_EQ(archForComputeCapability(10, 0), "sm_100a");
}

TEST(CudaArchTest, KernelArgsHoldArgumentAddresses) {
  float *a = nullptr;
  unsigned n = 7;
  auto args = kernelArgs(a, n);
  ASSERT_EQ(args.size(), 2u);
  EXPECT_EQ(args[0], static_cast<void *>(&a));
  EXPECT_EQ(args[1], static_cast<void *>(&n));
}

} // namespace
} // namespace vlmc::cuda
