// 3x3 convolutions at stride 1 (padding 1) by Winograd's minimal filtering F(m x m, 3x3): each
// m x m block of outputs from an (m + 2)^2 block of inputs with (m + 2)^2 multiplications per
// channel pair instead of 9 m^2: F(2x2, 3x3) 16 instead of 36 (2.25 times fewer), F(4x4, 3x3) 36
// instead of 144 (4 times fewer). The products become (m + 2)^2 independent matrix products
// [tiles, in] x [in, out], one per point of the transformed tile, on the existing float32 sgemm
// path.
//
// ref: Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks" (2016): Y = A^T [(G g
// G^T) . (B^T d B)] A. F(2x2, 3x3) (points 0, 1, -1, infinity):
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1],
//   A^T = [1 1 1 0; 0 1 -1 -1].
// F(4x4, 3x3) (points 0, -1, 1, -2, 2, infinity):
//   B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0;
//          0 4 0 -5 0 1],
//   G = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1],
//   A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1].
// The transforms add and scale by small integers; in float32 F(2x2)'s result stays within a few
// units in the last place of the direct convolution's, F(4x4)'s within a few tens (its larger
// coefficients), both bounded against the definition by tensor/conv_test.cpp.
#pragma once

#include <cstdint>
#include <vector>

#include "tensor/conv.h"
#include "tensor/ops.h"
#include "tensor/packed_gemm.h"

namespace clipsearch {

// A 3x3 convolution's weight in the Winograd domain of F(tile x tile, 3x3): u[e][o][c] = (G
// g[o][c] G^T)[e], for the (tile + 2)^2 points e of the transformed tile.
struct WinogradWeights {
  int64_t tile = 2, out = 0, in = 0;
  std::vector<PackedWeights> points;  // (tile + 2)^2 matrices [out, in], packed
};

// `w` is a float32 3x3 weight [out, 9 * in] with columns in (ky, kx, c) order (conv.h's layout);
// `tile` is 2 or 4. The transform is computed in double.
WinogradWeights winograd_weights(const float* w, int64_t out, int64_t in, int64_t tile);

// conv2d_nhwc for a 3x3 kernel at stride 1 with padding 1: y = act(beta * y + conv(x) + bias).
// g.kernel, g.stride and g.padding must be 3, 1 and 1. Tiles go in passes of at most
// `tiles_per_pass` (0: as many as keep a pass's buffers near 16 MB).
void conv3x3_winograd_nhwc(const ConvGeometry& g, const float* x, const WinogradWeights& w,
                           float beta, float* y, const float* bias, Activation act,
                           std::vector<float>& scratch, int64_t tiles_per_pass = 0);

}  // namespace clipsearch
