// BMP pixels, laid out as Pillow 9.4 lays them out (headers: bmp_info.cpp, RLE: bmp_rle.cpp).
// Raw rows are read the way Pillow's raw decoder reads them: `stride` bytes apart, the last
// row needing no padding, each row read with the bits per pixel of Pillow's mode (which for a
// black-and-white palette is 1 whatever the file's depth).
#include "image/bmp.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "image/bmp_info.h"
#include "image/bmp_rle.h"
#include "image/convert.h"
#include "image/decode.h"

namespace clipsearch {
namespace {

uint32_t le32(const uint8_t* p) {
  return p[0] | (p[1] << 8) | (p[2] << 16) | (uint32_t(p[3]) << 24);
}
uint16_t le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

// Bits per pixel of Pillow's raw mode for the file.
int mode_bits(const BmpInfo& info) {
  switch (info.pixels) {
    case BmpPixels::kBilevel:
      return 1;
    case BmpPixels::kGray:
      return 8;
    default:
      return info.bits;
  }
}

// ref: Pillow Unpack.c, the BGR;15 and BGR;16 unpackers: each field scaled by 255 / max, the
// quotient truncated.
void rgb16(uint16_t v, bool g6, uint8_t* o) {
  o[0] = static_cast<uint8_t>(((v >> (g6 ? 11 : 10)) & 31) * 255 / 31);
  o[1] = static_cast<uint8_t>(g6 ? ((v >> 5) & 63) * 255 / 63 : ((v >> 5) & 31) * 255 / 31);
  o[2] = static_cast<uint8_t>((v & 31) * 255 / 31);
}

// Pixel x of a row to `channels` (3, or 4 with alpha) bytes.
void unpack_pixel(const BmpInfo& info, const uint8_t* row, int64_t x, uint8_t* o) {
  switch (info.pixels) {
    case BmpPixels::kIndexed:
    case BmpPixels::kGray: {
      const int bits = mode_bits(info);
      const int per_byte = 8 / bits;
      const int shift = 8 - bits * (1 + static_cast<int>(x % per_byte));
      std::memcpy(o, info.palette[(row[x / per_byte] >> shift) & ((1 << bits) - 1)], 3);
      return;
    }
    case BmpPixels::kBilevel:
      o[0] = o[1] = o[2] = ((row[x / 8] >> (7 - x % 8)) & 1) ? 255 : 0;
      return;
    case BmpPixels::kRgb555:
    case BmpPixels::kRgb565:
      rgb16(le16(row + x * 2), info.pixels == BmpPixels::kRgb565, o);
      return;
    case BmpPixels::kBgr24:
      o[0] = row[x * 3 + 2];
      o[1] = row[x * 3 + 1];
      o[2] = row[x * 3];
      return;
    case BmpPixels::kPacked32: {
      const uint32_t v = le32(row + x * 4);
      for (int c = 0; c < (info.alpha ? 4 : 3); ++c)
        o[c] = static_cast<uint8_t>(v >> info.shift[c]);
      return;
    }
  }
}

Result<RgbImage> decode_raw(const uint8_t* d, size_t n, const BmpInfo& info,
                            const std::string& what, const DecodeOptions& options) {
  const size_t w = static_cast<size_t>(info.width), h = static_cast<size_t>(info.height);
  const size_t row_bytes = (w * mode_bits(info) + 7) / 8;
  const uint8_t* base = d + std::min(info.offset, n);
  const size_t avail = n - std::min(info.offset, n);
  std::vector<uint8_t> padded;
  if (row_bytes > info.stride) {
    // Only a gray-ramp palette on 1- or 4-bit pixels gets here: Pillow reads them as 8-bit gray
    // rows, longer than the file's. Its raw decoder refuses that; but a file opened by name is
    // memory-mapped (ImageFile.load, modes "L" and "P"), which needs height * stride bytes and
    // reads each row from its start, overlapping the next, the last past the file's end where
    // the map reads zeros. That is the reference's answer (Image.open(path)), reproduced here.
    if (avail / info.stride < h) return Status::corruption(what + ": truncated pixel data");
    padded.assign(base, base + avail);
    padded.resize(avail + row_bytes, 0);
    base = padded.data();
  } else if (avail < row_bytes || (avail - row_bytes) / info.stride < h - 1) {
    return Status::corruption(what + ": truncated pixel data");  // the last row needs no padding
  }
  const int channels = info.alpha ? 4 : 3;
  std::vector<uint8_t> px(w * h * channels);
  for (size_t y = 0; y < h; ++y) {
    const uint8_t* row = base + info.stride * (info.top_down ? y : h - 1 - y);
    uint8_t* o = &px[y * w * channels];
    for (size_t x = 0; x < w; ++x)
      unpack_pixel(info, row, static_cast<int64_t>(x), o + x * channels);
  }
  if (channels == 3) return RgbImage{static_cast<int>(w), static_cast<int>(h), std::move(px)};
  DecodedSamples samples;  // RGBA: alpha dropped or composited as for every other format
  samples.width = static_cast<int>(w);
  samples.height = static_cast<int>(h);
  samples.layout = SampleLayout::kRgba;
  samples.data = px.data();
  return image_samples_to_rgb(samples, options);
}

Result<RgbImage> decode_rle(const uint8_t* d, size_t n, const BmpInfo& info,
                            const std::string& what) {
  // Pillow hands the expanded indices to mode "P" or "L" only; its "1" and RGB modes have no
  // raw decoder for them ("unknown raw mode").
  if (info.pixels != BmpPixels::kIndexed && info.pixels != BmpPixels::kGray) {
    return Status::unsupported(
        what + ": RLE compression with " + std::to_string(info.bits) + "-bit pixels" +
        (info.pixels == BmpPixels::kBilevel ? " and a black-and-white palette" : ""));
  }
  CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<uint8_t> indices,
                              bmp_rle_expand(d, n, info.offset, info.width, info.height,
                                             info.compression == kBmpRle4, what));
  const size_t w = static_cast<size_t>(info.width), h = static_cast<size_t>(info.height);
  RgbImage out{static_cast<int>(w), static_cast<int>(h), std::vector<uint8_t>(w * h * 3)};
  for (size_t y = 0; y < h; ++y) {
    const uint8_t* row = &indices[(info.top_down ? y : h - 1 - y) * w];
    uint8_t* o = &out.pixels[y * w * 3];
    for (size_t x = 0; x < w; ++x) std::memcpy(o + x * 3, info.palette[row[x]], 3);
  }
  return out;
}

}  // namespace

Result<RgbImage> bmp_decode(const uint8_t* d, size_t n, const std::string& name,
                            const DecodeOptions& options) {
  const std::string what = name + ": BMP";
  CLIPSEARCH_ASSIGN_OR_RETURN(BmpInfo info, bmp_read_info(d, n, name));
  if (info.width <= 0 || info.height <= 0) return Status::corruption(what + ": empty image");
  CLIPSEARCH_RETURN_IF_ERROR(image_check_pixel_limit(info.width, info.height, name, options));
  if (info.compression == kBmpRle8 || info.compression == kBmpRle4) {
    return decode_rle(d, n, info, what);
  }
  return decode_raw(d, n, info, what, options);
}

}  // namespace clipsearch
