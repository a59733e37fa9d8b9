#include "Storage.h"

#include "vlmc/artifact/Format.h"
#include "vlmc/support/MappedFile.h"

#include <cstdlib>
#include <cstring>

namespace vlmc::artifact::detail {

Result<Storage> mapFile(const std::string &path) {
  Result<std::shared_ptr<MappedFile>> file = MappedFile::open(path);
  if (!file)
    return file.status();
  Storage storage;
  storage.size = (*file)->size();
  if (storage.size > 0) // shares ownership of the mapping
    storage.bytes = std::shared_ptr<const uint8_t>(*file, (*file)->data());
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
