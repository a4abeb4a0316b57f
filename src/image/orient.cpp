#include "image/orient.h"

#include <cstring>
#include <utility>

namespace clipsearch {

int image_exif_orientation(const uint8_t* t, size_t n) {
  if (n < 8) return 1;
  const bool le = t[0] == 'I' && t[1] == 'I' && t[2] == 42 && t[3] == 0;
  const bool be = t[0] == 'M' && t[1] == 'M' && t[2] == 0 && t[3] == 42;
  if (!le && !be) return 1;
  auto u16 = [&](size_t at) -> uint32_t {
    return le ? t[at] | (t[at + 1] << 8) : (t[at] << 8) | t[at + 1];
  };
  auto u32 = [&](size_t at) -> uint32_t {
    return le ? u16(at) | (u16(at + 2) << 16) : (u16(at) << 16) | u16(at + 2);
  };
  const size_t ifd = u32(4);
  if (ifd > n || n - ifd < 2) return 1;
  const size_t entries = u16(ifd);
  for (size_t e = 0; e < entries; ++e) {
    const size_t at = ifd + 2 + e * 12;
    if (at > n || n - at < 12) break;
    if (u16(at) != 0x0112) continue;
    // Pillow reads the first value (TiffTags knows the tag as a single value); values that
    // do not fit in the entry's 4 bytes are stored at an offset.
    const uint32_t type = u16(at + 2), count = u32(at + 4);
    const bool is_short = type == 3 || type == 8, is_long = type == 4 || type == 9;
    if (count == 0 || (!is_short && !is_long)) return 1;
    const uint64_t bytes = uint64_t{count} * (is_short ? 2 : 4);
    const size_t value_at = bytes <= 4 ? at + 8 : u32(at + 8);
    if (value_at > n || n - value_at < (is_short ? 2u : 4u)) return 1;
    return static_cast<int>(is_short ? u16(value_at) : u32(value_at));
  }
  return 1;
}

RgbImage image_orient(RgbImage in, int orientation) {
  if (orientation < 2 || orientation > 8) return in;
  const int w = in.width, h = in.height;
  const bool swap = orientation >= 5;  // 5-8 exchange width and height
  RgbImage out;
  out.width = swap ? h : w;
  out.height = swap ? w : h;
  out.pixels.resize(in.pixels.size());
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x) {
      int sx = x, sy = y;  // source pixel of output (x, y)
      switch (orientation) {
        case 2:
          sx = w - 1 - x;
          break;
        case 3:
          sx = w - 1 - x;
          sy = h - 1 - y;
          break;
        case 4:
          sy = h - 1 - y;
          break;
        case 5:
          sx = y;
          sy = x;
          break;
        case 6:
          sx = y;
          sy = h - 1 - x;
          break;
        case 7:
          sx = w - 1 - y;
          sy = h - 1 - x;
          break;
        case 8:
          sx = w - 1 - y;
          sy = x;
          break;
      }
      std::memcpy(&out.pixels[(static_cast<size_t>(y) * out.width + x) * 3],
                  &in.pixels[(static_cast<size_t>(sy) * w + sx) * 3], 3);
    }
  }
  return out;
}

}  // namespace clipsearch
