// JPEG encoding of pixels already in memory, through libvips (the server's thumbnails). No file
// and no untrusted bytes are parsed here: the pixels come from the project's own decoders.
// Thread-safe.
#pragma once

#include <string>

#include "clipsearch/image.h"
#include "clipsearch/status.h"

namespace clipsearch {

// The JPEG file of `image` (8-bit RGB) at `quality` (1-100), with optimized Huffman tables.
Result<std::string> image_encode_jpeg(const RgbImage& image, int quality);

}  // namespace clipsearch
