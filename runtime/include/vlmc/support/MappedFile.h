// Read-only memory mapping of a whole regular file: safetensors checkpoints
// and .vlmc artifacts are read through it without copying.
#pragma once

#include "vlmc/support/Status.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace vlmc {

class MappedFile {
public:
  static Result<std::shared_ptr<MappedFile>> open(const std::string &path);
  ~MappedFile();
  MappedFile(const MappedFile &) = delete;
  MappedFile &operator=(const MappedFile &) = delete;

  const uint8_t *data() const { return data_; }
  size_t size() const { return size_; }

private:
  MappedFile() = default;
  const uint8_t *data_ = nullptr;
  size_t size_ = 0;
};

} // namespace vlmc
