// 2-d convolutions and average pooling on NHWC float32 activations, as matrix products.
//
// A convolution is a product of its weight [out, kernel * kernel * in] (columns in (ky, kx, c)
// order) with the patch matrix of the input [output pixels, kernel * kernel * in]: a 1x1
// convolution at stride 1 multiplies the activations in place; any other is unfolded (im2col)
// a block of output rows at a time, in cache, each block multiplied on its own thread (or, with
// few output rows, unfolded whole and multiplied on the pool). The products go through
// weight_linear.h, so every precision of WeightMatrix works here too. The bias and activation
// that follow (a folded batch norm and its ReLU) are applied to each block of rows while it is
// still in cache; with a packed weight, by the kernel as it stores (packed_gemm.h, PackedOutput).
#pragma once

#include <cstdint>
#include <vector>

#include "tensor/ops.h"
#include "tensor/packed_gemm.h"
#include "tensor/weight_matrix.h"

namespace clipsearch {

// The shape of a convolution's input and its kernel. Square kernels, equal strides and padding.
struct ConvGeometry {
  int64_t batch = 0, height = 0, width = 0, channels = 0;  // input [batch, height, width, channels]
  int64_t kernel = 1, stride = 1, padding = 0;
  // ref: torch.nn.Conv2d: floor((size + 2 * padding - kernel) / stride) + 1.
  int64_t out_height() const { return (height + 2 * padding - kernel) / stride + 1; }
  int64_t out_width() const { return (width + 2 * padding - kernel) / stride + 1; }
  int64_t out_pixels() const { return batch * out_height() * out_width(); }
  int64_t patch() const { return kernel * kernel * channels; }  // columns of the patch matrix
};

// y[p, :] = act(beta * y[p, :] + patch(x, p) . W^T + bias) for every output pixel p: x [batch,
// height, width, channels], y [batch, out_height, out_width, W.out()], both NHWC. W is [out,
// patch()] with columns in (ky, kx, c) order. Padding reads zeros. bias [W.out()] may be null;
// bias and activation are applied to each block of rows while it is in cache. `scratch` holds
// the patch blocks (grown on demand). Runs on the thread pool.
void conv2d_nhwc(const ConvGeometry& g, const float* x, const WeightMatrix& w, float beta, float* y,
                 const float* bias, Activation act, std::vector<float>& scratch);
// The same with a float32 weight packed at load (packed_gemm.h): no repacking per call, which is
// what small maps (a single image's later stages) pay for most with sgemm.
void conv2d_nhwc(const ConvGeometry& g, const float* x, const PackedWeights& w, float beta,
                 float* y, const float* bias, Activation act, std::vector<float>& scratch);

// ref: torch.nn.AvgPool2d(k) (stride k, no padding, floor): y[n, oy, ox, c] = the mean of the k x k
// window of x at (oy * k, ox * k). x [batch, height, width, channels] -> y [batch, height / k,
// width / k, channels].
void avg_pool_nhwc(const float* x, int64_t batch, int64_t height, int64_t width, int64_t channels,
                   int64_t k, float* y);

// x [batch, channels, height, width] -> y [batch, height, width, channels].
void nchw_to_nhwc(const float* x, int64_t batch, int64_t channels, int64_t height, int64_t width,
                  float* y);

}  // namespace clipsearch
