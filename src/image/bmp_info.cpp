// ref: Pillow 9.4 BmpImagePlugin.BmpImageFile._bitmap(), read and reimplemented: header sizes
// 12 (OS/2) and 40/64/108/124; width and height unsigned, a height whose top byte is 0xFF
// meaning top-down; the bit-field layouts Pillow lists and no others; the palette test that
// turns a gray-ramp palette into mode "L" and a black-and-white one into "1".
#include "image/bmp_info.h"

#include <algorithm>
#include <cstdio>

namespace clipsearch {
namespace {

uint32_t le32(const uint8_t* p) {
  return p[0] | (p[1] << 8) | (p[2] << 16) | (uint32_t(p[3]) << 24);
}
uint16_t le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

std::string hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%X", v);
  return buf;
}

struct Masks {
  uint32_t r, g, b, a;
  bool operator==(const Masks& o) const { return r == o.r && g == o.g && b == o.b && a == o.a; }
};

int shift_of(uint32_t mask) {
  int s = 0;
  while (s < 32 && !(mask & (1u << s))) ++s;
  return s;
}

// ref: BmpImagePlugin SUPPORTED / MASK_MODES. The masks follow a 40-byte header and lie inside
// the longer ones, at offset 54 either way; only headers longer than 52 bytes carry an alpha
// mask (Pillow: len(header_data) >= 52).
Status choose_bitfields(const uint8_t* d, size_t n, uint32_t header_size, BmpInfo* info,
                        const std::string& what) {
  const size_t end = header_size >= 56 ? 70 : 66;
  if (n < end) return Status::corruption(what + ": truncated bit-field masks");
  const Masks m{le32(d + 54), le32(d + 58), le32(d + 62), header_size >= 56 ? le32(d + 66) : 0};
  if (info->bits == 32) {
    static const Masks kLayouts[] = {{0xFF0000, 0xFF00, 0xFF, 0},            // BGRX
                                     {0xFF000000, 0xFF0000, 0xFF00, 0},      // XBGR
                                     {0xFF000000, 0xFF0000, 0xFF00, 0xFF},   // ABGR
                                     {0xFF, 0xFF00, 0xFF0000, 0xFF000000},   // RGBA
                                     {0xFF0000, 0xFF00, 0xFF, 0xFF000000}};  // BGRA
    info->pixels = BmpPixels::kPacked32;
    if (m == Masks{0, 0, 0, 0}) {  // Pillow reads all-zero masks as BGRA
      info->alpha = true;
      info->shift[3] = 24;
      return Status();
    }
    if (std::find(std::begin(kLayouts), std::end(kLayouts), m) != std::end(kLayouts)) {
      info->shift[0] = shift_of(m.r);
      info->shift[1] = shift_of(m.g);
      info->shift[2] = shift_of(m.b);
      info->shift[3] = shift_of(m.a);
      info->alpha = m.a != 0;
      return Status();
    }
  } else if (info->bits == 24 && m.r == 0xFF0000 && m.g == 0xFF00 && m.b == 0xFF) {
    info->pixels = BmpPixels::kBgr24;
    return Status();
  } else if (info->bits == 16 && m.r == 0xF800 && m.g == 0x7E0 && m.b == 0x1F) {
    info->pixels = BmpPixels::kRgb565;
    return Status();
  } else if (info->bits == 16 && m.r == 0x7C00 && m.g == 0x3E0 && m.b == 0x1F) {
    info->pixels = BmpPixels::kRgb555;
    return Status();
  }
  return Status::unsupported(what + ": unsupported bit-field layout (" +
                             std::to_string(info->bits) + " bits, masks " + hex(m.r) + " " +
                             hex(m.g) + " " + hex(m.b) + " " + hex(m.a) + ")");
}

// The palette starts right after the header; `colors` entries of `entry` bytes (3 for OS/2),
// fewer where the file ends first.
Status read_palette(const uint8_t* d, size_t n, size_t at, uint32_t colors, size_t entry,
                    BmpInfo* info, const std::string& what) {
  if (colors == 0 || colors > 65536) {
    return Status::unsupported(what + ": unsupported palette size " + std::to_string(colors));
  }
  const size_t avail = at < n ? std::min(n - at, size_t{colors} * entry) : 0;
  const uint8_t* p = d + std::min(at, n);
  for (int i = 0; i < 256; ++i) info->palette[i][0] = info->palette[i][1] = info->palette[i][2] = i;
  // ref: Pillow's greyscale test: entry i (with 2 colours: entries 0 and 1 against 0 and 255)
  // equal to (i, i, i) for every i, in full.
  bool gray = true;
  for (uint32_t i = 0; i < (colors == 2 ? 2 : colors) && gray; ++i) {
    const uint8_t v = static_cast<uint8_t>(colors == 2 ? (i ? 255 : 0) : i);
    const size_t e = i * entry;
    gray = e + 3 <= avail && p[e] == v && p[e + 1] == v && p[e + 2] == v;
  }
  if (gray) {
    info->pixels = colors == 2 ? BmpPixels::kBilevel : BmpPixels::kGray;
    return Status();
  }
  const size_t entries = avail / entry;
  if (entries > 256) {  // Pillow's putpalette refuses it ("invalid palette size")
    return Status::unsupported(what + ": invalid palette size (" + std::to_string(entries) +
                               " entries)");
  }
  for (size_t i = 0; i < entries; ++i) {
    info->palette[i][0] = p[i * entry + 2];
    info->palette[i][1] = p[i * entry + 1];
    info->palette[i][2] = p[i * entry];
  }
  return Status();
}

}  // namespace

Result<BmpInfo> bmp_read_info(const uint8_t* d, size_t n, const std::string& name) {
  const std::string what = name + ": BMP";
  if (n < 26) return Status::corruption(what + ": truncated header");
  BmpInfo info;
  size_t offset = le32(d + 10);
  const uint32_t header_size = le32(d + 14);
  uint32_t colors = 0;
  size_t entry = 4;
  if (header_size == 12) {  // OS/2 BITMAPCOREHEADER: unsigned 16-bit sizes, always bottom-up
    info.width = le16(d + 18);
    info.height = le16(d + 20);
    info.bits = le16(d + 24);
    entry = 3;
  } else if (header_size == 40 || header_size == 64 || header_size == 108 || header_size == 124) {
    if (n < 14 + size_t{header_size}) return Status::corruption(what + ": truncated header");
    info.width = le32(d + 18);
    info.top_down = d[25] == 0xFF;  // ref: Pillow's y_flip, the height's top byte
    info.height = info.top_down ? (int64_t{1} << 32) - le32(d + 22) : le32(d + 22);
    info.bits = le16(d + 28);
    info.compression = le32(d + 30);
    colors = le32(d + 46);
  } else {
    return Status::unsupported(what + ": unsupported header size " + std::to_string(header_size));
  }
  if (colors == 0 && info.bits < 32) colors = uint32_t{1} << info.bits;
  if (offset == 14 + size_t{header_size} && info.bits <= 8) offset += 4 * size_t{colors};
  info.offset = offset;
  info.stride = ((static_cast<size_t>(info.width) * info.bits + 31) >> 3) & ~size_t{3};
  switch (info.bits) {
    case 1:
    case 4:
    case 8:
      info.pixels = BmpPixels::kIndexed;
      break;
    case 16:
      info.pixels = BmpPixels::kRgb555;
      break;
    case 24:
      info.pixels = BmpPixels::kBgr24;
      break;
    case 32:
      info.pixels = BmpPixels::kPacked32;
      break;
    default:
      return Status::unsupported(what + ": unsupported pixel depth " + std::to_string(info.bits));
  }
  if (info.compression == 3) {
    CLIPSEARCH_RETURN_IF_ERROR(choose_bitfields(d, n, header_size, &info, what));
  } else if (info.compression > kBmpRle4) {
    return Status::unsupported(what + ": unsupported compression " +
                               std::to_string(info.compression));
  }
  if (info.pixels == BmpPixels::kIndexed) {
    CLIPSEARCH_RETURN_IF_ERROR(read_palette(d, n, 14 + header_size, colors, entry, &info, what));
  }
  return info;
}

}  // namespace clipsearch
