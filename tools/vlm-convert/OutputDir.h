// Atomic output directory: everything is written into a hidden staging
// directory next to the destination and renamed into place on success. If the
// conversion fails (or the process dies before commit) the destination is
// untouched; the destructor removes the staging directory.
#pragma once

#include "vlmc/support/Status.h"

#include <string>

namespace vlmc::convert {

class OutputDir {
public:
  // Fails if `dest` exists and `force` is false.
  static Result<OutputDir> create(const std::string &dest, bool force);
  OutputDir(OutputDir &&other) noexcept;
  OutputDir &operator=(OutputDir &&) = delete;
  ~OutputDir();

  const std::string &stagingPath() const { return staging_; }
  // Replaces `dest` (if any) by the staging directory.
  Status commit();

private:
  OutputDir() = default;
  std::string dest_, staging_;
  bool force_ = false;
  bool done_ = false;
};

// Copies the tokenizer/processor/template side files of an HF directory
// (*.json except config.json and the safetensors index, *.py, *.jinja, *.txt,
// *.model, *.tiktoken), as mlx_vlm.convert does.
Status copySideFiles(const std::string &srcDir, const std::string &dstDir);

} // namespace vlmc::convert
