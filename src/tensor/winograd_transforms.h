// The tile transforms of Winograd's minimal filtering (tensor/winograd.h), F(2x2, 3x3) and
// F(4x4, 3x3), over the channels of NHWC maps: the input transform B^T d B of each tile into the
// point-major matrices the products read, and the output transform A^T m A of the products back
// into the map with beta, bias and activation. Each runs at the level isa_active() chooses (the
// same C++ compiled for AVX-512, AVX2 and the baseline).
#pragma once

#include <cstdint>

#include "tensor/conv.h"
#include "tensor/ops.h"

namespace clipsearch {

// How a map of `g` is cut into tiles of tile x tile outputs, each read from an (tile + 2)^2
// block of inputs at (tile * ty - 1, tile * tx - 1).
struct WinogradTiling {
  int64_t tile = 2, alpha = 4, points = 16;  // outputs per side, inputs per side, alpha^2
  int64_t height = 0, width = 0, channels = 0;
  int64_t rows = 0, cols = 0, per_image = 0;  // tiles per column, row, image
  WinogradTiling(const ConvGeometry& g, int64_t tile_size);
};

// v[e][i][c] = (B^T d B)[e] for the tiles first + i, i in [begin, end): d the input block of
// tile first + i, zero outside the image; v holds `count` tiles per point.
void winograd_input_tiles(const WinogradTiling& t, const float* x, int64_t first, int64_t count,
                          int64_t begin, int64_t end, float* v);

// y = act(beta * y + A^T m A + bias) at the outputs of the tiles first + i, i in [begin, end),
// that fall inside the map; m[e][i][o] the products, `count` tiles per point, `out` channels.
void winograd_output_tiles(const WinogradTiling& t, const float* m, int64_t first, int64_t count,
                           int64_t begin, int64_t end, int64_t out, float beta, float* y,
                           const float* bias, Activation act);

}  // namespace clipsearch
