// Element-wise and row-wise kernels of the forward pass, each fused where that saves a pass over
// memory. All work on row-major float32 matrices [rows, width] with a row stride, run on the
// thread pool, and never allocate.
#pragma once

#include <cstdint>

namespace clipsearch {

enum class Activation { kQuickGelu, kGelu, kGeluTanh, kRelu, kIdentity };

// ref: torch.nn.LayerNorm (biased variance, eps inside the square root).
// out[r] = (x[r] - mean) / sqrt(var + eps) * gamma + beta.
void layer_norm(const float* x, int64_t rows, int64_t width, int64_t ldx, const float* gamma,
                const float* beta, float eps, float* out, int64_t ldout);

// Residual add: x[r] += y[r] + bias, for every row (bias, that of the linear layer that wrote y
// without it, may be null).
void add_residual(float* x, int64_t rows, int64_t width, int64_t ldx, const float* y, int64_t ldy,
                  const float* bias);

// x[r] = act(x[r] + bias), for every row. bias may be null.
void bias_activation(float* x, int64_t rows, int64_t width, int64_t ldx, const float* bias,
                     Activation act);

// In-place softmax of one row: x[i] = exp(x[i] - max) / sum.
void softmax_row(float* x, int64_t n);

// Divides each row by its L2 norm (rows of norm 0 are left as they are).
void l2_normalize_rows(float* x, int64_t rows, int64_t width);

}  // namespace clipsearch
