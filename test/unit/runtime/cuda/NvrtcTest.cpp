// NVRTC needs no GPU: these run (and must pass) on the CI machine, which has
// the CUDA 13 toolkit but no driver.
#include "CudaTestUtil.h"

#include "vlmc/cuda/Nvrtc.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace vlmc::cuda {
namespace {

using test::isCudaElf;
using test::kVectorAddSource;

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

TEST(CudaNvrtcTest, LoadsAndReportsArchs) {
  Result<const NvrtcInfo *> info = nvrtcInfo();
  ASSERT_TRUE(info) << info.status().message();
  EXPECT_GE((*info)->major, 12);
  const std::vector<int> &archs = (*info)->supportedArchs;
  EXPECT_NE(std::find(archs.begin(), archs.end(), 80), archs.end());
  EXPECT_NE(std::find(archs.begin(), archs.end(), 90), archs.end());
  EXPECT_FALSE((*info)->library.empty());
}

TEST(CudaNvrtcTest, CompilesVectorAddForSm90aAndSm80) {
  for (const char *arch : {"sm_90a", "sm_80"}) {
    Result<std::string> cubin =
        compileToCubin(kVectorAddSource, "vector_add", arch);
    ASSERT_TRUE(cubin) << arch << ": " << cubin.status().message();
    EXPECT_TRUE(isCudaElf(*cubin)) << arch << ": not a CUDA ELF image";
  }
}

TEST(CudaNvrtcTest, SyntaxErrorReturnsTheLog) {
  const char *source =
      "extern \"C\" __global__ void broken_kernel(float *x) { x[0] = ; }\n";
  Result<std::string> cubin = compileToCubin(source, "broken_kernel", "sm_90a");
  ASSERT_FALSE(cubin);
  const std::string &message = cubin.status().message();
  EXPECT_EQ(cubin.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(
      contains(message, "failed to compile kernel 'broken_kernel' for sm_90a"))
      << message;
  EXPECT_TRUE(contains(message, "NVRTC_ERROR_COMPILATION")) << message;
  // NVRTC's own log, naming the program file and line.
  EXPECT_TRUE(contains(message, "broken_kernel.cu(1): error")) << message;
}

TEST(CudaNvrtcTest, ExtraOptionsReachTheCompiler) {
  const char *source =
      "#ifndef VLMC_REQUIRED\n#error VLMC_REQUIRED is not defined\n#endif\n"
      "extern \"C\" __global__ void probe() {}\n";
  Result<std::string> without = compileToCubin(source, "probe", "sm_80");
  ASSERT_FALSE(without);
  EXPECT_TRUE(
      contains(without.status().message(), "VLMC_REQUIRED is not defined"))
      << without.status().message();
  Result<std::string> with =
      compileToCubin(source, "probe", "sm_80", {"-DVLMC_REQUIRED=1"});
  EXPECT_TRUE(with) << with.status().message();
}

TEST(CudaNvrtcTest, ToolkitHeadersAreOnTheIncludePath) {
  Result<const NvrtcInfo *> info = nvrtcInfo();
  ASSERT_TRUE(info) << info.status().message();
  ASSERT_FALSE((*info)->includeDir.empty())
      << "no CUDA include directory found";
  const char *source = R"(
#include <cuda_fp8.h>
#include <cuda_bf16.h>
extern "C" __global__ void to_fp8(const float *in, __nv_fp8_e4m3 *out, unsigned n) {
  unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n)
    out[i] = __nv_fp8_e4m3(__float2bfloat16(in[i]));
}
)";
  Result<std::string> cubin = compileToCubin(source, "to_fp8", "sm_90a");
  ASSERT_TRUE(cubin) << cubin.status().message();
  EXPECT_TRUE(isCudaElf(*cubin));
}

TEST(CudaNvrtcTest, RejectsVirtualAndUnknownArchs) {
  Result<std::string> virtualArch =
      compileToCubin(kVectorAddSource, "vector_add", "compute_90a");
  ASSERT_FALSE(virtualArch);
  EXPECT_TRUE(
      contains(virtualArch.status().message(), "not a real GPU architecture"))
      << virtualArch.status().message();

  Result<std::string> garbage =
      compileToCubin(kVectorAddSource, "vector_add", "sm_9x");
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.status().code(), StatusCode::kInvalidArgument);

  // A well-formed arch no NVRTC targets.
  Result<std::string> old =
      compileToCubin(kVectorAddSource, "vector_add", "sm_10");
  ASSERT_FALSE(old);
  EXPECT_TRUE(
      contains(old.status().message(), "cannot compile for sm_10 (supported: "))
      << old.status().message();
}

TEST(CudaNvrtcTest, PtxForInspection) {
  Result<std::string> ptx =
      compileToPtx(kVectorAddSource, "vector_add", "compute_90a");
  ASSERT_TRUE(ptx) << ptx.status().message();
  EXPECT_TRUE(contains(*ptx, ".target sm_90a")) << ptx->substr(0, 400);
  EXPECT_TRUE(contains(*ptx, ".entry vector_add")) << ptx->substr(0, 400);
  EXPECT_EQ(ptx->find('\0'), std::string::npos);
}

} // namespace
} // namespace vlmc::cuda
