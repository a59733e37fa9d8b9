#include "vlmc/io/SafetensorsWriter.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstring>

namespace vlmc::io {

using json = nlohmann::json;

std::optional<uint64_t> specBytes(const TensorSpec &spec) {
  auto n = checkedNumel(spec.shape);
  uint64_t bytes;
  if (!n || __builtin_mul_overflow(uint64_t(*n), dtypeSize(spec.dtype), &bytes))
    return std::nullopt;
  return bytes;
}

Result<std::string> buildHeader(const std::vector<TensorSpec> &specs,
                                const WriteOptions &options) {
  try {
    json header = json::object();
    if (!options.metadata.empty()) {
      json meta = json::object();
      for (const auto &[k, v] : options.metadata)
        meta[k] = v;
      header["__metadata__"] = meta;
    } else if (options.style == HeaderStyle::kMlx) {
      header["__metadata__"] = nullptr; // what MLX writes for no metadata
    }
    uint64_t offset = 0;
    for (const TensorSpec &s : specs) {
      auto bytes = specBytes(s);
      if (!bytes)
        return invalidArgument("tensor '" + s.name + "': invalid shape");
      if (s.name == "__metadata__" || header.contains(s.name))
        return invalidArgument("tensor '" + s.name +
                               "': duplicate or reserved name");
      json entry = json::object();
      entry["dtype"] = dtypeName(s.dtype);
      entry["shape"] = s.shape;
      entry["data_offsets"] = {offset, offset + *bytes};
      header[s.name] = std::move(entry);
      offset += *bytes;
    }
    // Non-ASCII names are written as raw UTF-8, as MLX and HF do; invalid
    // UTF-8 is replaced rather than thrown about.
    std::string text =
        header.dump(-1, ' ', false, json::error_handler_t::replace);
    if (options.style == HeaderStyle::kPadded)
      text.append((8 - text.size() % 8) % 8, ' ');
    return text;
  } catch (const std::exception &e) {
    return internalError(std::string("building safetensors header: ") +
                         e.what());
  }
}

Result<std::unique_ptr<SafetensorsWriter>>
SafetensorsWriter::create(const std::string &path,
                          std::vector<TensorSpec> specs,
                          const WriteOptions &options) {
  auto header = buildHeader(specs, options);
  if (!header)
    return Status(header.status().code(),
                  path + ": " + header.status().message());
  std::unique_ptr<SafetensorsWriter> w(new SafetensorsWriter());
  w->path_ = path;
  for (const auto &s : specs)
    w->sizes_.push_back(*specBytes(s));
  w->specs_ = std::move(specs);
  Result<std::unique_ptr<AtomicFile>> file = AtomicFile::create(path);
  if (!file)
    return file.status();
  w->file_ = std::move(*file);
  uint8_t len[8];
  uint64_t n = header->size();
  for (int i = 0; i < 8; ++i)
    len[i] = uint8_t(n >> (8 * i));
  VLMC_RETURN_IF_ERROR(w->file_->write(len, 8));
  VLMC_RETURN_IF_ERROR(w->file_->write(header->data(), header->size()));
  // Skip leading zero-byte tensors so nextName() names a real target.
  while (w->current_ < w->sizes_.size() && w->sizes_[w->current_] == 0)
    ++w->current_;
  return w;
}

SafetensorsWriter::~SafetensorsWriter() = default;

std::string SafetensorsWriter::nextName() const {
  return current_ < specs_.size() ? specs_[current_].name : std::string();
}

Status SafetensorsWriter::write(const void *data, size_t nbytes) {
  if (current_ >= specs_.size())
    return invalidArgument(path_ + ": write after the last tensor");
  uint64_t remaining = sizes_[current_] - writtenInCurrent_;
  if (nbytes > remaining)
    return invalidArgument(path_ + ": tensor '" + specs_[current_].name +
                           "': got more bytes than its shape holds");
  VLMC_RETURN_IF_ERROR(file_->write(data, nbytes));
  writtenInCurrent_ += nbytes;
  if (writtenInCurrent_ == sizes_[current_]) {
    writtenInCurrent_ = 0;
    ++current_;
    while (current_ < sizes_.size() && sizes_[current_] == 0)
      ++current_;
  }
  return Status::ok();
}

Status SafetensorsWriter::commit() {
  if (current_ != specs_.size())
    return invalidArgument(path_ + ": commit before tensor '" +
                           specs_[current_].name + "' was written");
  return file_->commit();
}

Status writeSafetensors(const std::string &path,
                        const std::vector<TensorData> &tensors,
                        const WriteOptions &options) {
  std::vector<TensorSpec> specs;
  for (const auto &t : tensors)
    specs.push_back(t.spec);
  auto w = SafetensorsWriter::create(path, specs, options);
  if (!w)
    return w.status();
  for (const auto &t : tensors)
    VLMC_RETURN_IF_ERROR((*w)->write(t.bytes.data(), t.bytes.size()));
  return (*w)->commit();
}

} // namespace vlmc::io
