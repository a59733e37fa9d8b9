#include "Storage.h"

#include "vlmc/artifact/Format.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace vlmc::artifact::detail {

Result<Storage> mapFile(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    std::string message = path + ": cannot open: " + std::strerror(err);
    return err == ENOENT ? notFound(message) : invalidArgument(message);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return invalidArgument(path + ": not a regular file");
  }
  Storage storage;
  storage.size = size_t(st.st_size);
  if (storage.size > 0) {
    void *p = ::mmap(nullptr, storage.size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      int err = errno;
      ::close(fd);
      return Status(StatusCode::kResourceExhausted,
                    path + ": mmap failed: " + std::strerror(err));
    }
    size_t size = storage.size;
    storage.bytes.reset(
        static_cast<const uint8_t *>(p),
        [size](const uint8_t *q) { ::munmap(const_cast<uint8_t *>(q), size); });
  }
  ::close(fd); // the mapping keeps the file open
  return storage;
}

Result<Storage> copyAligned(std::string_view bytes) {
  Storage storage;
  storage.size = bytes.size();
  if (bytes.empty())
    return storage;
  void *p = nullptr;
  if (::posix_memalign(&p, kWeightsAlignment, bytes.size()) != 0)
    return Status(StatusCode::kResourceExhausted,
                  "cannot allocate " + std::to_string(bytes.size()) +
                      " bytes for an in-memory artifact");
  std::memcpy(p, bytes.data(), bytes.size());
  storage.bytes.reset(static_cast<const uint8_t *>(p), [](const uint8_t *q) {
    std::free(const_cast<uint8_t *>(q));
  });
  return storage;
}

} // namespace vlmc::artifact::detail
