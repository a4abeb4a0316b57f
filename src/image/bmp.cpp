#include "image/bmp.h"

#include <cstring>
#include <vector>

#include "image/decode.h"

namespace clipsearch {
namespace {

uint32_t le32(const uint8_t* p) {
  return p[0] | (p[1] << 8) | (p[2] << 16) | (uint32_t(p[3]) << 24);
}
uint16_t le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

// Shift of a byte-aligned 8-bit mask (0xFF << 8k), or -1.
int byte_shift(uint32_t mask) {
  for (int s = 0; s < 32; s += 8) {
    if (mask == (0xFFu << s)) return s;
  }
  return -1;
}

}  // namespace

Result<RgbImage> bmp_decode(const uint8_t* d, size_t n, const std::string& name,
                            const DecodeOptions& options) {
  const std::string what = name + ": BMP";
  if (n < 26) return Status::corruption(what + ": truncated header");
  const uint32_t offset = le32(d + 10);
  const uint32_t header = le32(d + 14);
  int64_t width, height;
  int bpp;
  uint32_t compression = 0, colors = 0;
  size_t palette_entry = 4;
  if (header == 12) {  // OS/2 BITMAPCOREHEADER
    width = le16(d + 18);
    height = static_cast<int16_t>(le16(d + 20));
    bpp = le16(d + 24);
    palette_entry = 3;
  } else if (header >= 40 && header <= 124) {
    if (n < 14 + size_t{40}) return Status::corruption(what + ": truncated header");
    width = static_cast<int32_t>(le32(d + 18));
    height = static_cast<int32_t>(le32(d + 22));
    bpp = le16(d + 28);
    compression = le32(d + 30);
    colors = le32(d + 46);
  } else {
    return Status::unsupported(what + ": unsupported header size " + std::to_string(header));
  }
  const bool top_down = height < 0;
  if (top_down) height = -height;
  if (width <= 0 || height <= 0) return Status::corruption(what + ": empty image");
  CLIPSEARCH_RETURN_IF_ERROR(image_check_pixel_limit(width, height, name, options));
  // Channel shifts for 32-bit pixels (little-endian BGRX by default).
  int rs = 16, gs = 8, bs = 0;
  if (compression == 3 || compression == 6) {
    const size_t masks_at = 14 + (header >= 52 ? 40 : header);  // in the header, or after it
    if (bpp != 32 || masks_at + 12 > n) {
      return Status::unsupported(what + ": unsupported bit fields (" + std::to_string(bpp) +
                                 " bits)");
    }
    rs = byte_shift(le32(d + masks_at));
    gs = byte_shift(le32(d + masks_at + 4));
    bs = byte_shift(le32(d + masks_at + 8));
    if (rs < 0 || gs < 0 || bs < 0)
      return Status::unsupported(what + ": unsupported bit field masks");
  } else if (compression != 0) {
    return Status::unsupported(what + ": compressed (RLE) files are not supported");
  }
  if (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 24 && bpp != 32) {
    return Status::unsupported(what + ": " + std::to_string(bpp) + "-bit pixels are not supported");
  }
  // Palette, expanded to 256 RGB entries (missing entries are black).
  uint8_t palette[256][3] = {};
  if (bpp <= 8) {
    size_t entries = colors ? colors : (size_t{1} << bpp);
    if (entries > 256) entries = 256;
    const size_t at = 14 + header + ((compression == 3 && header == 40) ? 12 : 0);
    if (at + entries * palette_entry > n) return Status::corruption(what + ": truncated palette");
    for (size_t i = 0; i < entries; ++i) {
      const uint8_t* e = d + at + i * palette_entry;
      palette[i][0] = e[2];
      palette[i][1] = e[1];
      palette[i][2] = e[0];
    }
  }
  const size_t stride = ((static_cast<size_t>(width) * bpp + 31) / 32) * 4;
  if (offset > n || (n - offset) / stride < static_cast<size_t>(height)) {
    return Status::corruption(what + ": truncated pixel data");
  }
  RgbImage out;
  out.width = static_cast<int>(width);
  out.height = static_cast<int>(height);
  out.pixels.resize(static_cast<size_t>(width) * height * 3);
  for (int64_t y = 0; y < height; ++y) {
    const uint8_t* row = d + offset + stride * static_cast<size_t>(top_down ? y : height - 1 - y);
    uint8_t* o = &out.pixels[static_cast<size_t>(y) * width * 3];
    for (int64_t x = 0; x < width; ++x, o += 3) {
      if (bpp <= 8) {
        const int per_byte = 8 / bpp;
        const int shift = 8 - bpp * (1 + static_cast<int>(x % per_byte));
        const int index = (row[x / per_byte] >> shift) & ((1 << bpp) - 1);
        std::memcpy(o, palette[index], 3);
      } else if (bpp == 24) {
        o[0] = row[x * 3 + 2];
        o[1] = row[x * 3 + 1];
        o[2] = row[x * 3 + 0];
      } else {
        const uint32_t v = le32(row + x * 4);
        o[0] = static_cast<uint8_t>(v >> rs);
        o[1] = static_cast<uint8_t>(v >> gs);
        o[2] = static_cast<uint8_t>(v >> bs);
      }
    }
  }
  return out;
}

}  // namespace clipsearch
