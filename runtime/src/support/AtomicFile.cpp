#include "vlmc/support/AtomicFile.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace vlmc {

namespace {

constexpr size_t kBufferSize = size_t(1) << 20;

// Same directory as the target, so rename() is atomic.
std::string tempNameFor(const std::string &path) {
  static std::atomic<unsigned> counter{0};
  return path + ".tmp." + std::to_string(::getpid()) + "." +
         std::to_string(counter++);
}

std::string parentDir(const std::string &path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

} // namespace

Status AtomicFile::ioError(const std::string &what, int err) const {
  return unavailable(path_ + ": " + what + ": " + std::strerror(err));
}

Result<std::unique_ptr<AtomicFile>>
AtomicFile::create(const std::string &path) {
  std::unique_ptr<AtomicFile> f(new AtomicFile());
  f->path_ = path;
  f->tmpPath_ = tempNameFor(path);
  f->fd_ = ::open(f->tmpPath_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                  0644);
  if (f->fd_ < 0) {
    int err = errno;
    Status st = f->ioError("cannot create '" + f->tmpPath_ + "'", err);
    f->tmpPath_.clear(); // nothing to remove
    return st;
  }
  f->buffer_.reserve(kBufferSize);
  return f;
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0)
    ::close(fd_);
  if (!committed_ && !tmpPath_.empty())
    ::unlink(tmpPath_.c_str());
}

Status AtomicFile::writeAll(const void *data, size_t nbytes) {
  const char *p = static_cast<const char *>(data);
  while (nbytes > 0) {
    ssize_t k = ::write(fd_, p, nbytes);
    if (k < 0) {
      int err = errno;
      if (err == EINTR)
        continue;
      return ioError("write failed", err);
    }
    p += k;
    nbytes -= size_t(k);
  }
  return Status::ok();
}

Status AtomicFile::flush() {
  Status st = writeAll(buffer_.data(), buffer_.size());
  buffer_.clear();
  return st;
}

Status AtomicFile::write(const void *data, size_t nbytes) {
  if (fd_ < 0)
    return invalidArgument(path_ + ": write after commit");
  if (buffer_.size() + nbytes <= kBufferSize) {
    const char *p = static_cast<const char *>(data);
    buffer_.insert(buffer_.end(), p, p + nbytes);
    return Status::ok();
  }
  VLMC_RETURN_IF_ERROR(flush());
  if (nbytes >= kBufferSize)
    return writeAll(data, nbytes);
  const char *p = static_cast<const char *>(data);
  buffer_.insert(buffer_.end(), p, p + nbytes);
  return Status::ok();
}

Status AtomicFile::commit() {
  if (fd_ < 0)
    return invalidArgument(path_ + ": committed twice");
  VLMC_RETURN_IF_ERROR(flush());
  if (::fsync(fd_) != 0)
    return ioError("fsync failed", errno);
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0)
    return ioError("close failed", errno);
  if (::rename(tmpPath_.c_str(), path_.c_str()) != 0) {
    int err = errno;
    return ioError("cannot rename '" + tmpPath_ + "' into place", err);
  }
  committed_ = true;
  // Make the rename itself durable.
  int dfd =
      ::open(parentDir(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::ok();
}

} // namespace vlmc
