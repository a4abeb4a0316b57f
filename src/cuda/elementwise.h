// The row-wise element operations of the forward pass on an NVIDIA GPU: the CUDA backend's
// counterparts of tensor/ops.h's bias_activation and add_residual, and fill_rows. Every pointer
// is device memory; matrices are row-major with a leading dimension; each function queues its
// kernel on `stream` and returns the launch's error (cudaSuccess when queued).
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "tensor/ops.h"

namespace clipsearch::cuda {

// Every row of y [rows, ldy] = values [cols].
cudaError_t fill_rows(float* y, int64_t rows, int64_t cols, int64_t ldy, const float* values,
                      cudaStream_t stream);

// x[r] = act(x[r] + bias) (bias [cols] or null). ref: tensor/ops.h bias_activation.
cudaError_t bias_activation(float* x, int64_t rows, int64_t cols, int64_t ld, const float* bias,
                            Activation act, cudaStream_t stream);

// x[r] += y[r] + bias (bias [width] or null). ref: tensor/ops.h add_residual.
cudaError_t add_residual(float* x, int64_t rows, int64_t width, int64_t ldx, const float* y,
                         int64_t ldy, const float* bias, cudaStream_t stream);

}  // namespace clipsearch::cuda
