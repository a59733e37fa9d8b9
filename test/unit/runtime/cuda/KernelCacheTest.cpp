// The on-disk kernel cache: hits, misses, keys, corrupt entries, isolation
// and parallel compiles. Each test uses its own temp directory.
#include "CudaTestUtil.h"

#include "vlmc/cuda/KernelCache.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

namespace vlmc::cuda {
namespace {

namespace fs = std::filesystem;
using test::isCudaElf;
using test::kVectorAddSource;
using test::ScopedEnv;
using test::TempDir;

KernelSpec vectorAdd(const std::string &arch = "sm_90a",
                     std::vector<std::string> options = {}) {
  return KernelSpec{"vector_add", kVectorAddSource, arch, std::move(options)};
}

// Files in `dir` (entries and anything a writer left behind).
std::set<std::string> listDir(const std::string &dir) {
  std::set<std::string> names;
  for (const fs::directory_entry &entry : fs::directory_iterator(dir))
    names.insert(entry.path().filename().string());
  return names;
}

std::string readAll(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void writeAll(const std::string &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

class CudaKernelCacheTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty()) << "could not create a temp directory";
    Result<KernelCache> cache = KernelCache::open(dir_.path() + "/kernels");
    ASSERT_TRUE(cache) << cache.status().message();
    cache_.emplace(std::move(cache).value());
  }

  std::string pathOf(const KernelSpec &spec) {
    Result<std::string> key = cache_->key(spec);
    EXPECT_TRUE(key) << key.status().message();
    return cache_->entryPath(spec, key ? *key : "");
  }

  TempDir dir_;
  std::optional<KernelCache> cache_;
};

TEST_F(CudaKernelCacheTest, MissThenHit) {
  Result<CompiledKernel> first = cache_->getOrCompile(vectorAdd());
  ASSERT_TRUE(first) << first.status().message();
  EXPECT_FALSE(first->cacheHit);
  EXPECT_TRUE(first->stored.isOk()) << first->stored.message();
  EXPECT_TRUE(isCudaElf(first->cubin));
  EXPECT_EQ(
      listDir(cache_->directory()),
      std::set<std::string>{fs::path(pathOf(vectorAdd())).filename().string()});

  Result<CompiledKernel> second = cache_->getOrCompile(vectorAdd());
  ASSERT_TRUE(second) << second.status().message();
  EXPECT_TRUE(second->cacheHit);
  EXPECT_EQ(second->cubin, first->cubin);

  // A second cache on the same directory (another process, later) hits too.
  Result<KernelCache> reopened = KernelCache::open(cache_->directory());
  ASSERT_TRUE(reopened);
  Result<CompiledKernel> third = reopened->getOrCompile(vectorAdd());
  ASSERT_TRUE(third);
  EXPECT_TRUE(third->cacheHit);
  EXPECT_EQ(third->cubin, first->cubin);
}

TEST_F(CudaKernelCacheTest, KeyCoversNameSourceArchAndOptions) {
  Result<std::string> base = cache_->key(vectorAdd());
  ASSERT_TRUE(base) << base.status().message();
  EXPECT_EQ(base->size(), 64u);
  EXPECT_EQ(*cache_->key(vectorAdd()), *base);

  KernelSpec renamed = vectorAdd();
  renamed.name = "vector_add2";
  KernelSpec edited = vectorAdd();
  edited.source += "\n";
  std::set<std::string> keys = {
      *base,
      *cache_->key(renamed),
      *cache_->key(edited),
      *cache_->key(vectorAdd("sm_80")),
      *cache_->key(vectorAdd("sm_90a", {"-DSCALE=2.0f"})),
      *cache_->key(vectorAdd("sm_90a", {"-DSCALE=2.0f", "--use_fast_math"})),
      *cache_->key(vectorAdd("sm_90a", {"--use_fast_math", "-DSCALE=2.0f"})),
  };
  EXPECT_EQ(keys.size(), 7u) << "two different specs share a key";

  // Field boundaries are part of the key: moving a character from one
  // option to the next changes it.
  EXPECT_NE(*cache_->key(vectorAdd("sm_90a", {"-DA", "B"})),
            *cache_->key(vectorAdd("sm_90a", {"-D", "AB"})));
}

TEST_F(CudaKernelCacheTest, CorruptEntriesAreDeletedAndRebuilt) {
  Result<CompiledKernel> original = cache_->getOrCompile(vectorAdd());
  ASSERT_TRUE(original) << original.status().message();
  const std::string path = pathOf(vectorAdd());
  const std::string good = readAll(path);
  ASSERT_GT(good.size(), original->cubin.size());

  std::string flipped = good;
  flipped[good.size() - 100] ^= 0x5a;
  std::string badMagic = good;
  badMagic[0] = 'X';
  const std::pair<const char *, std::string> kDamage[] = {
      {"payload bit flip", flipped},
      {"truncated payload", good.substr(0, good.size() / 2)},
      {"truncated header", good.substr(0, 20)},
      {"empty file", ""},
      {"wrong magic", badMagic},
      {"payload appended", good + "extra"},
  };
  for (const auto &[what, bytes] : kDamage) {
    writeAll(path, bytes);
    Result<CompiledKernel> rebuilt = cache_->getOrCompile(vectorAdd());
    ASSERT_TRUE(rebuilt) << what << ": " << rebuilt.status().message();
    EXPECT_FALSE(rebuilt->cacheHit) << what;
    EXPECT_EQ(rebuilt->cubin, original->cubin) << what;
    EXPECT_TRUE(rebuilt->stored.isOk()) << what;
    EXPECT_EQ(readAll(path), good) << what << ": entry not rewritten";
    Result<CompiledKernel> again = cache_->getOrCompile(vectorAdd());
    ASSERT_TRUE(again);
    EXPECT_TRUE(again->cacheHit) << what;
  }
}

// An intact entry for another key, under this key's file name, is not used.
TEST_F(CudaKernelCacheTest, EntryForAnotherKeyIsRejected) {
  KernelSpec other = vectorAdd("sm_90a", {"-DSCALE=3.0f"});
  ASSERT_TRUE(cache_->getOrCompile(vectorAdd()));
  ASSERT_TRUE(cache_->getOrCompile(other));
  std::string otherEntry = readAll(pathOf(other));
  writeAll(pathOf(vectorAdd()), otherEntry);

  Result<CompiledKernel> kernel = cache_->getOrCompile(vectorAdd());
  ASSERT_TRUE(kernel);
  EXPECT_FALSE(kernel->cacheHit);
  EXPECT_NE(readAll(pathOf(vectorAdd())), otherEntry);
}

TEST_F(CudaKernelCacheTest, DirectoriesAreIsolated) {
  TempDir otherDir;
  Result<KernelCache> other = KernelCache::open(otherDir.path());
  ASSERT_TRUE(other) << other.status().message();

  ASSERT_TRUE(cache_->getOrCompile(vectorAdd()));
  Result<CompiledKernel> inOther = other->getOrCompile(vectorAdd());
  ASSERT_TRUE(inOther);
  EXPECT_FALSE(inOther->cacheHit);
  EXPECT_EQ(listDir(otherDir.path()).size(), 1u);
}

TEST_F(CudaKernelCacheTest, CompileErrorsAreNotCached) {
  KernelSpec broken{
      "broken", "extern \"C\" __global__ void broken( {}", "sm_90a", {}};
  Result<CompiledKernel> kernel = cache_->getOrCompile(broken);
  ASSERT_FALSE(kernel);
  EXPECT_NE(kernel.status().message().find("'broken'"), std::string::npos);
  EXPECT_TRUE(listDir(cache_->directory()).empty());
}

TEST_F(CudaKernelCacheTest, ParallelCompileKeepsOrder) {
  std::vector<KernelSpec> specs;
  for (int i = 0; i < 5; ++i)
    specs.push_back(vectorAdd(i % 2 ? "sm_80" : "sm_90a",
                              {"-DSCALE=" + std::to_string(i + 2) + ".0f"}));
  Result<std::vector<CompiledKernel>> cold = cache_->getOrCompileAll(specs, 3);
  ASSERT_TRUE(cold) << cold.status().message();
  ASSERT_EQ(cold->size(), specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    EXPECT_FALSE((*cold)[i].cacheHit) << i;
    // Each result belongs to its own spec: a serial lookup now hits it.
    Result<CompiledKernel> serial = cache_->getOrCompile(specs[i]);
    ASSERT_TRUE(serial);
    EXPECT_TRUE(serial->cacheHit);
    EXPECT_EQ(serial->cubin, (*cold)[i].cubin) << i;
  }
  Result<std::vector<CompiledKernel>> warm = cache_->getOrCompileAll(specs, 3);
  ASSERT_TRUE(warm);
  for (const CompiledKernel &kernel : *warm)
    EXPECT_TRUE(kernel.cacheHit);
  // Temp files never outlive a write.
  EXPECT_EQ(listDir(cache_->directory()).size(), specs.size());

  std::vector<size_t> progress;
  Result<std::vector<std::string>> uncached = compileAllToCubin(
      specs, 2, [&](size_t finished, size_t total) {
        EXPECT_EQ(total, specs.size());
        progress.push_back(finished);
      });
  ASSERT_TRUE(uncached) << uncached.status().message();
  for (size_t i = 0; i < specs.size(); ++i)
    EXPECT_TRUE(isCudaElf((*uncached)[i])) << i;
  std::vector<size_t> counted(specs.size());
  for (size_t i = 0; i < counted.size(); ++i)
    counted[i] = i + 1;
  EXPECT_EQ(progress, counted);
}

TEST_F(CudaKernelCacheTest, ParallelCompileReportsEveryFailure) {
  std::vector<KernelSpec> specs = {vectorAdd(),
                                   {"bad_one", "nonsense", "sm_90a", {}},
                                   vectorAdd("sm_80"),
                                   {"bad_two", "more nonsense", "sm_80", {}}};
  Result<std::vector<CompiledKernel>> all = cache_->getOrCompileAll(specs, 2);
  ASSERT_FALSE(all);
  const std::string &message = all.status().message();
  EXPECT_EQ(all.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(message.find("2 of 4 kernels failed"), std::string::npos)
      << message;
  EXPECT_NE(message.find("[bad_one]"), std::string::npos) << message;
  EXPECT_NE(message.find("[bad_two]"), std::string::npos) << message;
}

TEST(CudaKernelCacheDirTest, DefaultDirectoryFromEnvironment) {
  {
    ScopedEnv cache("VLMC_CACHE_DIR", "/tmp/explicit");
    EXPECT_EQ(*defaultKernelCacheDir(), "/tmp/explicit");
  }
  ScopedEnv cache("VLMC_CACHE_DIR", std::nullopt);
  {
    ScopedEnv xdg("XDG_CACHE_HOME", "/tmp/xdg");
    EXPECT_EQ(*defaultKernelCacheDir(), "/tmp/xdg/vlmc/kernels");
  }
  ScopedEnv xdg("XDG_CACHE_HOME", std::nullopt);
  {
    ScopedEnv home("HOME", "/tmp/home");
    EXPECT_EQ(*defaultKernelCacheDir(), "/tmp/home/.cache/vlmc/kernels");
  }
  ScopedEnv home("HOME", std::nullopt);
  Result<std::string> none = defaultKernelCacheDir();
  ASSERT_FALSE(none);
  EXPECT_NE(none.status().message().find("VLMC_CACHE_DIR"), std::string::npos);
}

TEST(CudaKernelCacheDirTest, OpenCreatesDirectoriesAndFailsCleanly) {
  TempDir dir;
  Result<KernelCache> nested = KernelCache::open(dir.path() + "/a/b/c");
  ASSERT_TRUE(nested) << nested.status().message();
  EXPECT_TRUE(fs::is_directory(dir.path() + "/a/b/c"));

  // A regular file where a directory should be (works even as root, unlike
  // permission bits).
  writeAll(dir.path() + "/file", "x");
  Result<KernelCache> blocked = KernelCache::open(dir.path() + "/file/kernels");
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(blocked.status().message().find("cannot create directory"),
            std::string::npos)
      << blocked.status().message();
}

} // namespace
} // namespace vlmc::cuda
