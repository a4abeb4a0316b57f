// Run-length encoded BMP pixel data (RLE8, RLE4) expanded to one palette index per pixel.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "clipsearch/status.h"

namespace clipsearch {

// The indices of a width x height image, rows in file order (the first row is the bottom one
// in a bottom-up file), read from data[offset...] as Pillow 9.4's BmpRleDecoder reads them.
// Pixels the stream skips (end of line, delta) are index 0. Fails, naming the file, where
// Pillow fails: a stream that ends before the picture is full ("not enough image data"), a
// delta escape cut short.
Result<std::vector<uint8_t>> bmp_rle_expand(const uint8_t* data, size_t size, size_t offset,
                                            int64_t width, int64_t height, bool rle4,
                                            const std::string& what);

}  // namespace clipsearch
