// EXIF orientation (tag 0x0112, values 1-8) applied to a decoded image, as Pillow's
// ImageOps.exif_transpose() does: 2 mirror, 3 rotate 180, 4 flip, 5 transpose, 6 rotate 90
// clockwise, 7 transverse, 8 rotate 90 counter-clockwise. Other values leave the image as is.
#pragma once

#include <cstddef>
#include <cstdint>

#include "clipsearch/image.h"

namespace clipsearch {

// The orientation tag of an EXIF block's first IFD (the main image; IFD1 describes the
// thumbnail), as Pillow's Image.getexif() reads it: `tiff` is the APP1 payload after
// "Exif\0\0", a TIFF header and its IFDs. The tag's first value where it is a SHORT or LONG; 1
// where it is absent or malformed. Every read is bounds-checked.
int image_exif_orientation(const uint8_t* tiff, size_t size);

RgbImage image_orient(RgbImage in, int orientation);

}  // namespace clipsearch
