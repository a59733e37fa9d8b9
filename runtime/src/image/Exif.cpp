// Reads the orientation tag (0x0112) from a JPEG's first APP1 "Exif" segment.
// Only the marker walk up to the first scan and IFD0 are parsed; every offset
// is bounds-checked, and anything malformed means "no orientation" (1), the
// way Pillow treats unreadable EXIF.
#include "vlmc/image/Image.h"

#include <cstring>

namespace vlmc::image {

namespace {

class TiffReader {
public:
  TiffReader(const uint8_t *data, size_t size, bool bigEndian)
      : data_(data), size_(size), bigEndian_(bigEndian) {}

  bool u16(size_t off, uint32_t &out) const {
    if (off > size_ || size_ - off < 2)
      return false;
    const uint8_t *p = data_ + off;
    out = bigEndian_ ? (p[0] << 8 | p[1]) : (p[1] << 8 | p[0]);
    return true;
  }
  bool u32(size_t off, uint32_t &out) const {
    if (off > size_ || size_ - off < 4)
      return false;
    const uint8_t *p = data_ + off;
    out = bigEndian_ ? (uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 |
                        uint32_t(p[2]) << 8 | p[3])
                     : (uint32_t(p[3]) << 24 | uint32_t(p[2]) << 16 |
                        uint32_t(p[1]) << 8 | p[0]);
    return true;
  }

private:
  const uint8_t *data_;
  size_t size_;
  bool bigEndian_;
};

// Orientation from a TIFF block (the APP1 payload after "Exif\0\0"), or 0.
int orientationFromTiff(const uint8_t *tiff, size_t size) {
  if (size < 8)
    return 0;
  bool bigEndian;
  if (tiff[0] == 'I' && tiff[1] == 'I')
    bigEndian = false;
  else if (tiff[0] == 'M' && tiff[1] == 'M')
    bigEndian = true;
  else
    return 0;
  TiffReader r(tiff, size, bigEndian);
  uint32_t magic, ifd, count;
  if (!r.u16(2, magic) || magic != 42 || !r.u32(4, ifd) || !r.u16(ifd, count))
    return 0;
  for (uint32_t i = 0; i < count; ++i) {
    size_t entry = size_t(ifd) + 2 + size_t(i) * 12;
    uint32_t tag, type, n, value;
    if (!r.u16(entry, tag) || !r.u16(entry + 2, type) || !r.u32(entry + 4, n))
      return 0;
    if (tag != 0x0112)
      continue;
    if (n < 1)
      return 0;
    // SHORT is what the standard says; some writers use LONG. Either way the
    // value sits inline in the entry.
    if (type == 3 && r.u16(entry + 8, value))
      return static_cast<int>(value);
    if (type == 4 && r.u32(entry + 8, value))
      return value <= 8 ? static_cast<int>(value) : 0;
    return 0;
  }
  return 0;
}

} // namespace

int jpegExifOrientation(std::string_view jpeg) {
  const auto *d = reinterpret_cast<const uint8_t *>(jpeg.data());
  const size_t n = jpeg.size();
  if (n < 4 || d[0] != 0xFF || d[1] != 0xD8)
    return 1;
  size_t pos = 2;
  while (pos + 4 <= n) {
    if (d[pos] != 0xFF)
      return 1; // not at a marker: give up rather than guess
    // Any number of 0xFF fill bytes may precede the marker code.
    while (pos < n && d[pos] == 0xFF)
      ++pos;
    if (pos >= n)
      return 1;
    const uint8_t marker = d[pos++];
    if (marker == 0xD9 || marker == 0xDA) // EOI, SOS: no more headers
      return 1;
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7))
      continue; // standalone markers carry no length
    if (pos + 2 > n)
      return 1;
    const size_t len = size_t(d[pos]) << 8 | d[pos + 1];
    if (len < 2 || pos + len > n)
      return 1;
    const uint8_t *payload = d + pos + 2;
    const size_t payloadSize = len - 2;
    if (marker == 0xE1 && payloadSize >= 6 &&
        std::memcmp(payload, "Exif\0\0", 6) == 0) {
      // Pillow keeps the first Exif segment; so do we.
      int o = orientationFromTiff(payload + 6, payloadSize - 6);
      return o >= 1 && o <= 8 ? o : 1;
    }
    pos += len;
  }
  return 1;
}

} // namespace vlmc::image
