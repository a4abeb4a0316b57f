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

// Size, EXIF orientation and DateTimeOriginal of any libvips-readable format (JPEG included:
// libvips reads its header lazily, without decoding), into *header (format already set).
Status vips_read_header(const uint8_t* data, size_t size, const std::string& name,
                        ImageHeader* header);

}  // namespace clipsearch
