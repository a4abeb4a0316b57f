// Pillow-exact convolution resampling of 8-bit RGB images (src/libImaging/Resample.c in Pillow
// 9.4, reimplemented): a separable filter whose support is scaled by the reduction factor,
// coefficients normalized to sum 1 in double precision, then rounded to fixed point with
// 22 fractional bits; a horizontal pass, a uint8 intermediate image, then a vertical pass.
//
// image_resize_window() computes only a rectangle of the resized image; its pixels are exactly
// those of the full resize, so a resize followed by a crop costs only the crop.
#pragma once

#include "clipsearch/image.h"

namespace clipsearch {

// kSimd: the vectorized loops where the CPU has them (AVX2), else the portable ones; kScalar:
// the portable loops only, for tests (both give the same bytes).
enum class ResampleKernels { kSimd, kScalar };

// Pixels [x0, x1) x [y0, y1) of `in` resized to out_width x out_height. The window must lie
// inside the output (asserted).
RgbImage image_resize_window(const RgbImage& in, int out_width, int out_height, int x0, int y0,
                             int x1, int y1, ResampleFilter filter,
                             ResampleKernels kernels = ResampleKernels::kSimd);

}  // namespace clipsearch
