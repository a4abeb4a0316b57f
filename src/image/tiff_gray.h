// One-sample TIFFs that libvips refuses or reads otherwise than Pillow 9.4 (12-bit, float,
// signed, 32-bit, 16-bit min-is-white, a missing photometric tag), decoded here: libtiff
// decompresses the strips or tiles (as it does inside Pillow for every compressed TIFF) and the
// samples become gray levels by Pillow's rules (tiff_plan() chose the mode). Thread-safe: each
// call has its own libtiff handle and error handlers. The TIFF orientation is the caller's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "clipsearch/image.h"
#include "image/tiff_tags.h"

namespace clipsearch {

Result<RgbImage> tiff_gray_decode(const uint8_t* data, size_t size, const std::string& name,
                                  const TiffGrayMode& mode, const DecodeOptions& options);

}  // namespace clipsearch
