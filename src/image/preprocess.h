// Geometry of the reference's preprocessing: the shortest-edge resize size and the centre crop
// offsets (transformers and torchvision round them differently).
#pragma once

#include "clipsearch/image.h"

namespace clipsearch {

// Offset into the resized image of the crop's first row (or column) along one axis; negative
// where the crop is larger than the image (the border is then zero-padded).
int image_crop_offset(int size, int crop, bool round_half_even);

}  // namespace clipsearch
