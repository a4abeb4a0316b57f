// PNG, GIF, WebP, TIFF and HEIF/AVIF through libvips (JPEG and BMP have their own decoders).
// Thread-safe. libvips' error buffer is process-wide; error messages are still per call (see
// VipsErrorGate in vips_load.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "clipsearch/image.h"
#include "image/decode.h"

namespace clipsearch {

Result<RgbImage> vips_decode(ImageFormat format, const uint8_t* data, size_t size,
                             const std::string& name, const DecodeOptions& options);

}  // namespace clipsearch
