// Safetensors parsing and validation. Layout: 8-byte little-endian header
// length N, N bytes of JSON, then the data section that tensor offsets are
// relative to.
#include "vlmc/support/MappedFile.h"
#include "vlmc/io/Safetensors.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <set>

namespace vlmc::io {

namespace {

using json = nlohmann::json;

// Same limit as the reference implementation: headers are a few MB at most.
constexpr uint64_t kMaxHeaderSize = 100'000'000;

Status tensorError(const std::string &file, const std::string &tensor,
                   const std::string &what) {
  return dataLoss(file + ": tensor '" + tensor + "': " + what);
}

bool readNonNegative(const json &v, uint64_t &out) {
  if (v.is_number_unsigned()) {
    out = v.get<uint64_t>();
    return true;
  }
  if (v.is_number_integer() && v.get<int64_t>() >= 0) {
    out = static_cast<uint64_t>(v.get<int64_t>());
    return true;
  }
  return false;
}

// Parses one tensor entry; on success `view` has everything but `data`, and
// `begin`/`end` hold the declared offsets (already checked to be consistent
// with the dtype and shape, and to lie within `dataSize`).
Status parseEntry(const std::string &file, const std::string &name,
                  const json &entry, uint64_t dataSize, TensorView &view,
                  uint64_t &begin, uint64_t &end) {
  if (!entry.is_object())
    return tensorError(file, name, "entry is not a JSON object");
  auto dt = entry.find("dtype");
  auto sh = entry.find("shape");
  auto off = entry.find("data_offsets");
  if (dt == entry.end() || sh == entry.end() || off == entry.end())
    return tensorError(file, name,
                       "entry needs 'dtype', 'shape' and 'data_offsets'");
  if (!dt->is_string())
    return tensorError(file, name, "'dtype' is not a string");
  auto dtype = parseDType(dt->get_ref<const std::string &>());
  if (!dtype)
    return tensorError(file, name,
                       "unknown dtype '" + dt->get_ref<const std::string &>() +
                           "'");
  view.name = name;
  view.dtype = *dtype;
  if (!sh->is_array())
    return tensorError(file, name, "'shape' is not an array");
  view.shape.clear();
  for (const auto &d : *sh) {
    uint64_t v;
    if (!readNonNegative(d, v) || v > static_cast<uint64_t>(INT64_MAX))
      return tensorError(file, name,
                         "'shape' has an entry that is not a non-negative "
                         "integer");
    view.shape.push_back(static_cast<int64_t>(v));
  }
  auto numel = checkedNumel(view.shape);
  uint64_t bytes;
  if (!numel || __builtin_mul_overflow(static_cast<uint64_t>(*numel),
                                       dtypeSize(view.dtype), &bytes))
    return tensorError(file, name, "shape size overflows");
  if (!off->is_array() || off->size() != 2 ||
      !readNonNegative((*off)[0], begin) || !readNonNegative((*off)[1], end))
    return tensorError(file, name,
                       "'data_offsets' must be two non-negative integers");
  if (begin > end)
    return tensorError(file, name, "'data_offsets' begin > end");
  if (end > dataSize)
    return Status(StatusCode::kOutOfRange,
                  file + ": tensor '" + name + "': byte range [" +
                      std::to_string(begin) + ", " + std::to_string(end) +
                      ") exceeds the data section (" +
                      std::to_string(dataSize) + " bytes; file truncated?)");
  if (end - begin != bytes)
    return tensorError(file, name,
                       "byte range of " + std::to_string(end - begin) +
                           " bytes does not match " + dtypeName(view.dtype) +
                           " shape (" + std::to_string(bytes) + " bytes)");
  view.nbytes = static_cast<size_t>(bytes);
  return Status::ok();
}

} // namespace

Result<SafetensorsFile> SafetensorsFile::open(const std::string &path) {
  auto mapped = MappedFile::open(path);
  if (!mapped)
    return mapped.status();
  std::shared_ptr<MappedFile> file = std::move(mapped).value();
  const uint8_t *base = file->data();
  size_t size = file->size();
  return parse(std::move(file), base, size, path);
}

Result<SafetensorsFile> SafetensorsFile::fromBytes(std::string bytes,
                                                   const std::string &label) {
  auto owned = std::make_shared<std::string>(std::move(bytes));
  const uint8_t *base = reinterpret_cast<const uint8_t *>(owned->data());
  size_t size = owned->size();
  return parse(std::move(owned), base, size, label);
}

Result<SafetensorsFile>
SafetensorsFile::parse(std::shared_ptr<const void> keepAlive,
                       const uint8_t *base, size_t size,
                       const std::string &label) {
  try {
    if (size < 8)
      return dataLoss(label + ": file is " + std::to_string(size) +
                      " bytes, too small for a safetensors header");
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i)
      n = (n << 8) | base[i];
    if (n == 0)
      return dataLoss(label + ": header length is 0");
    if (n > kMaxHeaderSize)
      return dataLoss(label + ": header length " + std::to_string(n) +
                      " exceeds the 100 MB limit");
    if (n > size - 8)
      return dataLoss(label + ": header length " + std::to_string(n) +
                      " exceeds the file size (" + std::to_string(size) +
                      " bytes; file truncated?)");

    // nlohmann keeps the last of duplicate keys silently; count top-level
    // keys through the parse callback to catch duplicates.
    std::set<std::string> seen;
    std::string duplicate;
    json::parser_callback_t cb = [&](int depth, json::parse_event_t event,
                                     json &parsed) {
      if (event == json::parse_event_t::key && depth == 1 &&
          duplicate.empty() && parsed.is_string()) {
        if (!seen.insert(parsed.get<std::string>()).second)
          duplicate = parsed.get<std::string>();
      }
      return true;
    };
    const char *hb = reinterpret_cast<const char *>(base + 8);
    // nlohmann stops at a NUL as if the input ended; valid JSON never holds
    // one, so reject it instead of ignoring whatever follows.
    if (std::memchr(hb, 0, n))
      return dataLoss(label + ": header contains a NUL byte");
    json header = json::parse(hb, hb + n, cb, /*allow_exceptions=*/false);
    if (header.is_discarded())
      return dataLoss(label + ": header is not valid JSON");
    if (!header.is_object())
      return dataLoss(label + ": header is not a JSON object");
    if (!duplicate.empty())
      return dataLoss(label + ": tensor '" + duplicate +
                      "' appears more than once in the header");

    SafetensorsFile out;
    out.path_ = label;
    out.headerSize_ = n;
    const uint64_t dataSize = size - 8 - n;
    const uint8_t *data = base + 8 + n;

    struct Range {
      uint64_t begin, end;
      size_t index;
    };
    std::vector<Range> ranges;
    for (auto it = header.begin(); it != header.end(); ++it) {
      if (it.key() == "__metadata__") {
        if (it->is_null())
          continue; // MLX writes null when there is no metadata
        if (!it->is_object())
          return dataLoss(label + ": __metadata__ is not a JSON object");
        for (auto m = it->begin(); m != it->end(); ++m) {
          if (!m->is_string())
            return dataLoss(label + ": __metadata__ value for '" + m.key() +
                            "' is not a string");
          out.metadata_[m.key()] = m->get<std::string>();
        }
        continue;
      }
      TensorView view;
      uint64_t begin = 0, end = 0;
      VLMC_RETURN_IF_ERROR(
          parseEntry(label, it.key(), *it, dataSize, view, begin, end));
      ranges.push_back({begin, end, out.tensors_.size()});
      out.tensors_.push_back(std::move(view));
    }

    // The ranges must tile the data section exactly (see Safetensors.h).
    std::sort(ranges.begin(), ranges.end(), [](const Range &a, const Range &b) {
      return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    uint64_t expected = 0;
    const Range *prev = nullptr;
    for (const Range &r : ranges) {
      const std::string &name = out.tensors_[r.index].name;
      if (r.begin < expected)
        return dataLoss(label + ": tensor '" + name + "' overlaps tensor '" +
                        out.tensors_[prev->index].name + "'");
      if (r.begin > expected)
        return dataLoss(label + ": gap of " +
                        std::to_string(r.begin - expected) +
                        " bytes before tensor '" + name + "'");
      expected = r.end;
      prev = &r;
    }
    if (expected != dataSize)
      return dataLoss(label + ": " + std::to_string(dataSize - expected) +
                      " bytes after the last tensor are not described by the "
                      "header");

    // Re-order the views by offset and resolve their data pointers.
    std::vector<TensorView> ordered;
    ordered.reserve(ranges.size());
    for (const Range &r : ranges) {
      TensorView v = std::move(out.tensors_[r.index]);
      v.data = data + r.begin;
      ordered.push_back(std::move(v));
    }
    out.tensors_ = std::move(ordered);
    for (size_t i = 0; i < out.tensors_.size(); ++i)
      out.byName_.emplace(out.tensors_[i].name, i);
    out.storage_ = std::move(keepAlive);
    return out;
  } catch (const std::exception &e) {
    // Defensive: nothing above should throw for any input, but a library
    // boundary must never let an exception through.
    return dataLoss(label + ": cannot parse safetensors header: " + e.what());
  }
}

const TensorView *SafetensorsFile::find(std::string_view name) const {
  auto it = byName_.find(std::string(name));
  return it == byName_.end() ? nullptr : &tensors_[it->second];
}

} // namespace vlmc::io
