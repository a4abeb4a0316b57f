// Resizing a grid of vectors (a [height, width, channels] float32 map) as PyTorch's
// F.interpolate(mode="bicubic", antialias=True, align_corners=False) resizes [channels, height,
// width]: what open_clip's resize_pos_embed does to a checkpoint's position embeddings when the
// model runs at another image size.
#pragma once

#include <cstdint>

namespace clipsearch {

// src [height, width, channels] -> dst [out_height, out_width, channels].
// ref: ATen UpSampleKernel.cpp, the antialiased separable path: for each output index i, the
// taps of center = scale * (i + 0.5) within support = 2 * max(scale, 1), weighted by the cubic
// kernel with a = -0.5 (Pillow's) at (j + xmin - center + 0.5) / max(scale, 1), normalized;
// scale = in / out; the width pass first, then the height pass; float32 throughout.
void resize_bicubic_antialias(const float* src, int64_t height, int64_t width, int64_t channels,
                              int64_t out_height, int64_t out_width, float* dst);

}  // namespace clipsearch
