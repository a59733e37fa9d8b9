// Where an Artifact's bytes live: a read-only file mapping or a page-aligned
// heap copy. Both are released when the last shared_ptr goes.
#pragma once

#include "vlmc/support/Status.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace vlmc::artifact::detail {

struct Storage {
  std::shared_ptr<const uint8_t> bytes; // null when size == 0
  size_t size = 0;
};

// A read-only mapping of a whole regular file (vlmc/support/MappedFile.h).
Result<Storage> mapFile(const std::string &path);
// A copy whose first byte is page-aligned, like a mapping.
Result<Storage> copyAligned(std::string_view bytes);

} // namespace vlmc::artifact::detail
