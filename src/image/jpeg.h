// JPEG, decoded here with libjpeg-turbo straight into the pipeline's RGB buffer (no libvips:
// its pipeline costs about a quarter more time than the decode itself on 8-megapixel photos).
//
// Same samples as Pillow 9.4 on the same libjpeg-turbo: libjpeg's defaults (islow IDCT, fancy
// upsampling), RGB output for YCbCr, RGB and grayscale files, CMYK/YCCK read as inverted inks
// ("CMYK;I", which Pillow assumes for every CMYK JPEG) and converted with Pillow's formula, no ICC
// profile applied. EXIF orientation from the first "Exif" APP1 segment, as Pillow reads it.
//
// Safety: the pixel limit is checked on the header before anything else is allocated; libjpeg's
// errors come back through longjmp (never exit()); truncated data (libjpeg's "premature end"
// warning) is an error, other corrupt-data warnings are not (Pillow decodes those files too);
// the wall-clock limit is checked from libjpeg's progress hook, which also runs between the scans
// of a progressive file. Fast mode uses libjpeg's DCT scaling (1/2, 1/4, 1/8).
//
// Thread-safe: all state is per call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "clipsearch/image.h"

namespace clipsearch {

Result<RgbImage> jpeg_decode(const uint8_t* data, size_t size, const std::string& name,
                             const DecodeOptions& options);

}  // namespace clipsearch
