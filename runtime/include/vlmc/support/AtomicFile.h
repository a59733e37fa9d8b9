// A file written under a temporary name in its directory and renamed into
// place on commit(), so readers never see a partial file and a failed write
// leaves nothing behind. Artifacts and safetensors files are written so.
#pragma once

#include "vlmc/support/Status.h"

#include <memory>
#include <string>
#include <vector>

namespace vlmc {

class AtomicFile {
public:
  static Result<std::unique_ptr<AtomicFile>> create(const std::string &path);
  // Removes the temporary file unless commit() succeeded.
  ~AtomicFile();
  AtomicFile(const AtomicFile &) = delete;
  AtomicFile &operator=(const AtomicFile &) = delete;

  Status write(const void *data, size_t nbytes);
  // Flush, fsync, rename over `path`, fsync the directory.
  Status commit();

private:
  AtomicFile() = default;
  Status flush();
  Status writeAll(const void *data, size_t nbytes);
  Status ioError(const std::string &what, int err) const;


  std::string path_, tmpPath_;
  int fd_ = -1;
  // Padding and small source chunks are batched into few write() calls.
  std::vector<char> buffer_;
  bool committed_ = false;
};

} // namespace vlmc
