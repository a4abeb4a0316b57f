// 8-bit CIELab TIFF pixels to sRGB as Pillow 9.4 converts them: its Image.convert("RGB") from
// mode "LAB" builds a LittleCMS transform from a Lab (v2, D50) profile to LittleCMS' built-in
// sRGB profile, perceptual intent, no flags, 8 bits in and out (ref: Image.convert and
// ImageCms.buildTransform; _imagingcms.c findLCMStype("LAB")). The same library and the same
// transform give the same bytes; a reimplementation of its optimised 8-bit pipeline would not.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "clipsearch/image.h"

namespace clipsearch {

// `labq`: libvips' LabQ coding of the file's samples, 4 bytes a pixel (L, then a and b signed
// as the TIFF stores them, then a byte libvips fills with low bits, ignored).
Result<RgbImage> tiff_lab_to_rgb(const uint8_t* labq, int width, int height,
                                 const std::string& what);

}  // namespace clipsearch
