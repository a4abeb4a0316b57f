// BMP, decoded here: libvips reads BMP only through ImageMagick, which is blocked as untrusted.
// Exactly the files Pillow 9.4's BmpImagePlugin reads, with its pixels: 1, 4, 8 bits with a
// palette (an index past the palette shows Pillow's gray ramp), RLE8 and RLE4, 16 bits (5-5-5,
// or 5-6-5 bit fields), 24 bits, 32 bits (plain, or Pillow's byte-aligned bit-field layouts,
// alpha included), bottom-up or top-down. What Pillow refuses is refused with an error naming
// the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "clipsearch/image.h"

namespace clipsearch {

Result<RgbImage> bmp_decode(const uint8_t* data, size_t size, const std::string& name,
                            const DecodeOptions& options);

}  // namespace clipsearch
