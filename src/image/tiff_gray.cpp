#include "image/tiff_gray.h"

#include <tiffio.h>

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <vector>

#include "image/decode.h"

namespace clipsearch {
namespace {

// The file in memory, as libtiff's client procedures see it (read-only).
struct MemoryFile {
  const uint8_t* data;
  size_t size;
  size_t pos = 0;
};

tmsize_t mem_read(thandle_t h, void* buf, tmsize_t n) {
  auto* f = static_cast<MemoryFile*>(h);
  const size_t left = f->pos < f->size ? f->size - f->pos : 0;
  const size_t got = std::min(left, static_cast<size_t>(n));
  std::memcpy(buf, f->data + f->pos, got);
  f->pos += got;
  return static_cast<tmsize_t>(got);
}
tmsize_t mem_write(thandle_t, void*, tmsize_t) { return 0; }
toff_t mem_seek(thandle_t h, toff_t off, int whence) {
  auto* f = static_cast<MemoryFile*>(h);
  const toff_t base = whence == SEEK_CUR ? f->pos : whence == SEEK_END ? f->size : 0;
  f->pos = static_cast<size_t>(base + off);
  return f->pos;
}
int mem_close(thandle_t) { return 0; }
toff_t mem_size(thandle_t h) { return static_cast<MemoryFile*>(h)->size; }
int mem_map(thandle_t, void**, toff_t*) { return 0; }  // no mapping: reads go through mem_read
void mem_unmap(thandle_t, void*, toff_t) {}

// libtiff's first error of this decode; warnings are dropped, as libvips' fail_on = error does.
// Returning 1 keeps the message from libtiff's process-wide handlers (which libvips owns).
int on_error(TIFF*, void* user, const char* module, const char* fmt, va_list ap) {
  auto* message = static_cast<std::string*>(user);
  if (message->empty()) {
    char buf[512];
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    *message = std::string(module ? module : "libtiff") + ": " + buf;
  }
  return 1;
}
int on_warning(TIFF*, void*, const char*, const char*, va_list) { return 1; }

struct TiffHandle {
  TIFF* tif = nullptr;
  ~TiffHandle() {
    if (tif) TIFFClose(tif);
  }
};

using Clock = std::chrono::steady_clock;

// Every row, `row_bytes` apart, decompressed from strips or tiles.
bool read_rows(TIFF* tif, uint32_t w, uint32_t h, int bits, size_t row_bytes,
               Clock::time_point deadline, std::vector<uint8_t>* rows, bool* expired) {
  rows->assign(row_bytes * h, 0);
  if (!TIFFIsTiled(tif)) {
    uint32_t per_strip = h;
    TIFFGetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &per_strip);
    per_strip = std::clamp<uint32_t>(per_strip, 1, h);
    for (uint32_t y = 0; y < h; y += per_strip) {
      if ((*expired = Clock::now() > deadline)) return false;
      const size_t bytes = row_bytes * std::min(per_strip, h - y);
      if (TIFFReadEncodedStrip(tif, TIFFComputeStrip(tif, y, 0), rows->data() + row_bytes * y,
                               static_cast<tmsize_t>(bytes)) < 0) {
        return false;
      }
    }
    return true;
  }
  uint32_t tw = 0, th = 0;
  TIFFGetField(tif, TIFFTAG_TILEWIDTH, &tw);
  TIFFGetField(tif, TIFFTAG_TILELENGTH, &th);
  const size_t tile_row = static_cast<size_t>(TIFFTileRowSize(tif));
  if (tw == 0 || th == 0 || tile_row == 0) return false;
  std::vector<uint8_t> tile(static_cast<size_t>(TIFFTileSize(tif)));
  for (uint32_t ty = 0; ty < h; ty += th) {
    for (uint32_t tx = 0; tx < w; tx += tw) {
      if ((*expired = Clock::now() > deadline)) return false;
      if (TIFFReadEncodedTile(tif, TIFFComputeTile(tif, tx, ty, 0, 0), tile.data(),
                              static_cast<tmsize_t>(tile.size())) < 0) {
        return false;
      }
      // Tile widths are multiples of 16, so a tile's first column starts on a byte.
      const size_t at = static_cast<size_t>(tx) * bits / 8;
      const size_t n = std::min(tile_row, row_bytes - at);
      for (uint32_t r = 0; r < th && ty + r < h; ++r) {
        std::memcpy(rows->data() + (ty + r) * row_bytes + at, tile.data() + r * tile_row, n);
      }
    }
  }
  return true;
}

// Sample x of a row as Pillow's mode shows it in gray.
// ref: Pillow Unpack.c (1, L;2, L;4, their inverted forms, I;12) and Convert.c (i2rgb, f2l:
// clipped to 0-255, truncated).
uint8_t gray_level(const TiffGrayMode& m, const uint8_t* row, size_t x, bool clip) {
  switch (m.kind) {
    case TiffGrayKind::kBilevel:
      return (((row[x / 8] >> (7 - x % 8)) & 1) != m.invert) ? 255 : 0;
    case TiffGrayKind::kGray: {
      const int per_byte = 8 / m.bits, max = (1 << m.bits) - 1;
      const int v =
          (row[x / per_byte] >> (8 - m.bits * (1 + static_cast<int>(x % per_byte)))) & max;
      const int g = v * 255 / max;
      return static_cast<uint8_t>(m.invert ? 255 - g : g);
    }
    case TiffGrayKind::kUint: {
      uint32_t v;
      if (m.bits == 12) {
        const uint8_t* p = row + x * 12 / 8;
        v = x % 2 == 0 ? (p[0] << 4) | (p[1] >> 4) : ((p[0] & 0x0F) << 8) | p[1];
      } else {
        uint16_t s;
        std::memcpy(&s, row + x * 2, 2);
        v = s;
      }
      return static_cast<uint8_t>(clip ? std::min<uint32_t>(v, 255) : v >> (m.bits - 8));
    }
    case TiffGrayKind::kInt: {
      int32_t v;
      if (m.bits == 16) {
        int16_t s;
        std::memcpy(&s, row + x * 2, 2);
        v = s;
      } else {
        std::memcpy(&v, row + x * 4, 4);
      }
      if (v <= 0) return 0;
      return static_cast<uint8_t>(clip ? std::min<int32_t>(v, 255) : v >> (m.bits - 9));
    }
    case TiffGrayKind::kFloat: {
      float f;
      std::memcpy(&f, row + x * 4, 4);
      if (!(f > 0)) return 0;  // NaN too, as Pillow's cast gives on x86
      return f >= 255 ? 255 : static_cast<uint8_t>(f);
    }
  }
  return 0;
}

}  // namespace

Result<RgbImage> tiff_gray_decode(const uint8_t* data, size_t size, const std::string& name,
                                  const TiffGrayMode& mode, const DecodeOptions& options) {
  const std::string what = name + ": TIFF";
  const Clock::time_point deadline =
      Clock::now() + std::chrono::microseconds(static_cast<int64_t>(options.timeout_seconds * 1e6));
  std::string message;
  TIFFOpenOptions* opts = TIFFOpenOptionsAlloc();
  TIFFOpenOptionsSetErrorHandlerExtR(opts, on_error, &message);
  TIFFOpenOptionsSetWarningHandlerExtR(opts, on_warning, nullptr);
  MemoryFile file{data, size};
  TiffHandle handle;
  handle.tif = TIFFClientOpenExt(name.c_str(), "rm", &file, mem_read, mem_write, mem_seek,
                                 mem_close, mem_size, mem_map, mem_unmap, opts);
  TIFFOpenOptionsFree(opts);
  if (!handle.tif) return Status::corruption(what + " header: " + message);
  uint32_t w = 0, h = 0;
  TIFFGetField(handle.tif, TIFFTAG_IMAGEWIDTH, &w);
  TIFFGetField(handle.tif, TIFFTAG_IMAGELENGTH, &h);
  if (w == 0 || h == 0) return Status::corruption(what + ": empty image");
  CLIPSEARCH_RETURN_IF_ERROR(image_check_pixel_limit(w, h, name, options));
  const size_t row_bytes = (static_cast<size_t>(w) * mode.bits + 7) / 8;
  if (static_cast<size_t>(TIFFScanlineSize(handle.tif)) != row_bytes) {
    return Status::corruption(what + ": rows of " + std::to_string(TIFFScanlineSize(handle.tif)) +
                              " bytes, " + std::to_string(row_bytes) + " expected");
  }
  std::vector<uint8_t> rows;
  bool expired = false;
  if (!read_rows(handle.tif, w, h, mode.bits, row_bytes, deadline, &rows, &expired)) {
    if (expired) return image_timeout_error(name, options);
    return Status::corruption(what + ": " + (message.empty() ? "unreadable strips" : message));
  }
  const bool clip = options.sixteen_bit == SixteenBit::kClip;
  RgbImage out{static_cast<int>(w), static_cast<int>(h), std::vector<uint8_t>(size_t{w} * h * 3)};
  for (size_t y = 0; y < h; ++y) {
    const uint8_t* row = rows.data() + y * row_bytes;
    uint8_t* o = &out.pixels[y * w * 3];
    for (size_t x = 0; x < w; ++x)
      o[x * 3] = o[x * 3 + 1] = o[x * 3 + 2] = gray_level(mode, row, x, clip);
  }
  return out;
}

}  // namespace clipsearch
