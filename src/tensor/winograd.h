// 3x3 convolutions at stride 1 (padding 1) by Winograd's minimal filtering F(2x2, 3x3): each 2x2
// block of outputs from a 4x4 block of inputs with 16 multiplications per channel pair instead
// of 36. The products become 16 independent matrix products [tiles, in] x [in, out], one per
// point of the 4x4 transformed tile, on the existing float32 sgemm path.
//
// ref: Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks" (2016): Y = A^T [(G g
// G^T) . (B^T d B)] A with
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1],
//   A^T = [1 1 1 0; 0 1 -1 -1].
// The transforms add and halve; in float32 the result stays within a few units in the last place
// of the direct convolution's (tensor/conv_test.cpp bounds it against the definition).
#pragma once

#include <cstdint>
#include <vector>

#include "tensor/conv.h"
#include "tensor/ops.h"

namespace clipsearch {

// A 3x3 convolution's weight in the Winograd domain: u[e][o][c] = (G g[o][c] G^T)[e], for the 16
// points e of the 4x4 tile.
struct WinogradWeights {
  int64_t out = 0, in = 0;
  std::vector<WeightMatrix> points;  // 16 float32 matrices [out, in]
};

// `w` is a float32 3x3 weight [out, 9 * in] with columns in (ky, kx, c) order (conv.h's layout).
WinogradWeights winograd_weights(const WeightMatrix& w);

// conv2d_nhwc for a 3x3 kernel at stride 1 with padding 1: y = act(beta * y + conv(x) + bias).
// g.kernel, g.stride and g.padding must be 3, 1 and 1. Tiles go in passes of at most
// `tiles_per_pass` (0: as many as keep a pass's buffers near 16 MB).
void conv3x3_winograd_nhwc(const ConvGeometry& g, const float* x, const WinogradWeights& w,
                           float beta, float* y, const float* bias, Activation act,
                           std::vector<float>& scratch, int64_t tiles_per_pass = 0);

}  // namespace clipsearch
