// Grid-stride loops over rows x cols elements, one thread per element.
#include "cuda/elementwise.h"
#include "cuda/launch.h"

namespace clipsearch::cuda {

namespace {

// ref: tensor/ops.cpp's scalar forms, which the CPU's vector paths match.
__device__ float activate(float x, Activation act) {
  switch (act) {
    case Activation::kQuickGelu:  // x * sigmoid(1.702 x)
      return x / (1.0f + expf(-1.702f * x));
    case Activation::kGelu:  // 0.5 x (1 + erf(x / sqrt 2))
      return 0.5f * x * (1.0f + erff(x * 0.70710678118654752440f));
    case Activation::kGeluTanh: {  // 0.5 x (1 + tanh(z)) = x / (1 + exp(-2z))
      const float z = 0.79788456080286535588f * (x + 0.044715f * (x * (x * x)));
      return x / (1.0f + expf(-2.0f * z));
    }
    case Activation::kRelu:  // max(x, 0), 0 for NaN as on the CPU
      return x > 0.0f ? x : 0.0f;
    case Activation::kIdentity:
      return x;
  }
  return x;
}

// `act` is the same for every thread: its switch never diverges.
__global__ void bias_activation_kernel(float* x, int64_t rows, int64_t cols, int64_t ld,
                                       const float* bias, Activation act) {
  const int64_t total = rows * cols;
  for (int64_t i = grid_index(); i < total; i += grid_stride()) {
    const int64_t r = i / cols, c = i % cols;
    float& v = x[r * ld + c];
    v = activate(bias ? v + bias[c] : v, act);
  }
}

__global__ void add_residual_kernel(float* x, int64_t rows, int64_t width, int64_t ldx,
                                    const float* y, int64_t ldy, const float* bias) {
  const int64_t total = rows * width;
  for (int64_t i = grid_index(); i < total; i += grid_stride()) {
    const int64_t r = i / width, c = i % width;
    const float add = bias ? y[r * ldy + c] + bias[c] : y[r * ldy + c];
    x[r * ldx + c] += add;
  }
}

__global__ void fill_rows_kernel(float* y, int64_t rows, int64_t cols, int64_t ldy,
                                 const float* values) {
  const int64_t total = rows * cols;
  for (int64_t i = grid_index(); i < total; i += grid_stride()) {
    y[(i / cols) * ldy + i % cols] = values[i % cols];
  }
}

}  // namespace

cudaError_t fill_rows(float* y, int64_t rows, int64_t cols, int64_t ldy, const float* values,
                      cudaStream_t stream) {
  if (rows * cols == 0) return cudaSuccess;
  fill_rows_kernel<<<grid_for(rows * cols), kThreads, 0, stream>>>(y, rows, cols, ldy, values);
  return cudaGetLastError();
}

cudaError_t bias_activation(float* x, int64_t rows, int64_t cols, int64_t ld, const float* bias,
                            Activation act, cudaStream_t stream) {
  if (rows * cols == 0 || (act == Activation::kIdentity && bias == nullptr)) return cudaSuccess;
  bias_activation_kernel<<<grid_for(rows * cols), kThreads, 0, stream>>>(x, rows, cols, ld, bias,
                                                                         act);
  return cudaGetLastError();
}

cudaError_t add_residual(float* x, int64_t rows, int64_t width, int64_t ldx, const float* y,
                         int64_t ldy, const float* bias, cudaStream_t stream) {
  if (rows * width == 0) return cudaSuccess;
  add_residual_kernel<<<grid_for(rows * width), kThreads, 0, stream>>>(x, rows, width, ldx, y, ldy,
                                                                       bias);
  return cudaGetLastError();
}

}  // namespace clipsearch::cuda
