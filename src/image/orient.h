// EXIF orientation (tag 0x0112, values 1-8) applied to a decoded image, as Pillow's
// ImageOps.exif_transpose() does: 2 mirror, 3 rotate 180, 4 flip, 5 transpose, 6 rotate 90
// clockwise, 7 transverse, 8 rotate 90 counter-clockwise. Other values leave the image as is.
#pragma once

#include "clipsearch/image.h"

namespace clipsearch {

RgbImage image_orient(RgbImage in, int orientation);

}  // namespace clipsearch
