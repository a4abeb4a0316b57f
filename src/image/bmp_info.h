// What a BMP's headers say, read as Pillow 9.4's BmpImagePlugin._bitmap() reads them, so that
// the decoder (bmp.cpp) accepts exactly the files Pillow accepts and lays their pixels out the
// same way. Every read is bounds-checked; errors name the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "clipsearch/status.h"

namespace clipsearch {

// How one pixel's bits become RGB (Pillow's raw mode for the file).
enum class BmpPixels {
  kIndexed,  // 1/4/8-bit indices into the palette ("P;1", "P;4", "P")
  kGray,     // 8-bit indices into a gray-ramp palette, which Pillow reads as gray levels ("L")
  kBilevel,  // 1 bit per pixel, 0 black, 1 white: a black-and-white palette ("1")
  kRgb555,   // 16 bits, 5 per channel ("BGR;15")
  kRgb565,   // 16 bits, 5-6-5 ("BGR;16")
  kBgr24,    // "BGR"
  kPacked32  // 32 bits, one byte per channel at the shifts below (BGRX, XBGR, ...)
};

struct BmpInfo {
  int64_t width = 0;
  int64_t height = 0;
  bool top_down = false;
  int bits = 0;              // bits per pixel in the file
  uint32_t compression = 0;  // 0 raw, 1 RLE8, 2 RLE4, 3 bit fields
  BmpPixels pixels = BmpPixels::kIndexed;
  int shift[4] = {16, 8, 0, 0};  // kPacked32: R, G, B, A byte shifts
  bool alpha = false;            // kPacked32: Pillow opens the file as RGBA
  // Entries past those the file gives are a gray ramp, Pillow's default palette, which is what
  // Pillow shows for an index beyond the palette.
  uint8_t palette[256][3] = {};
  size_t offset = 0;  // where the pixel data starts
  size_t stride = 0;  // bytes per row in the file (raw files)
};

// The RLE flavours of `compression`.
constexpr uint32_t kBmpRle8 = 1;
constexpr uint32_t kBmpRle4 = 2;

Result<BmpInfo> bmp_read_info(const uint8_t* data, size_t size, const std::string& name);

}  // namespace clipsearch
