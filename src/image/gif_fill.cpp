#include "image/gif_fill.h"

namespace clipsearch {

bool gif_first_frame(const uint8_t* d, size_t n, GifFirstFrame* frame) {
  // Header (6) + logical screen descriptor (7).
  if (n < 13) return false;
  size_t pos = 13;
  const uint8_t flags = d[10];
  const uint8_t* global = nullptr;
  size_t global_entries = 0;
  if (flags & 0x80) {
    global_entries = size_t{1} << ((flags & 7) + 1);
    if (pos + 3 * global_entries > n) return false;
    global = d + pos;
    pos += 3 * global_entries;
  }
  int transparency = -1;
  while (pos < n) {
    const uint8_t block = d[pos++];
    if (block == 0x21) {  // extension: label, then sub-blocks
      if (pos >= n) return false;
      const uint8_t label = d[pos++];
      if (label == 0xF9 && pos + 5 <= n && d[pos] >= 4) {  // Graphic Control Extension
        transparency = (d[pos + 1] & 1) ? d[pos + 4] : -1;
      }
      while (pos < n && d[pos] != 0) pos += d[pos] + 1;  // skip sub-blocks
      ++pos;
    } else if (block == 0x2C) {  // first image descriptor
      if (pos + 9 > n) return false;
      const uint8_t iflags = d[pos + 8];
      const uint8_t* palette = global;
      size_t entries = global_entries;
      if (iflags & 0x80) {
        entries = size_t{1} << ((iflags & 7) + 1);
        if (pos + 9 + 3 * entries > n) return false;
        palette = d + pos + 9;
      }
      auto le16 = [&](size_t at) { return d[at] | (d[at + 1] << 8); };
      frame->left = le16(pos);
      frame->top = le16(pos + 2);
      frame->width = le16(pos + 4);
      frame->height = le16(pos + 6);
      const int index = transparency >= 0 ? transparency : 0;
      uint8_t* rgb = frame->fill;
      rgb[0] = rgb[1] = rgb[2] = 0;  // an index past the palette shows black
      if (palette && static_cast<size_t>(index) < entries) {
        rgb[0] = palette[3 * index];
        rgb[1] = palette[3 * index + 1];
        rgb[2] = palette[3 * index + 2];
      }
      return true;
    } else {
      return false;  // trailer or garbage before any image
    }
  }
  return false;
}

}  // namespace clipsearch
