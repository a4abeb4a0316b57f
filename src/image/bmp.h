// BMP, decoded here: libvips reads BMP only through ImageMagick, which is blocked as untrusted.
// Uncompressed files only (1, 4, 8 bits with a palette; 24 bits; 32 bits plain or with byte-
// aligned bit fields), bottom-up or top-down, as Pillow's BmpImagePlugin reads them; RLE and
// 16-bit files are refused with an error naming the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "clipsearch/image.h"

namespace clipsearch {

Result<RgbImage> bmp_decode(const uint8_t* data, size_t size, const std::string& name,
                            const DecodeOptions& options);

}  // namespace clipsearch
