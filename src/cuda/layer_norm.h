// Layer normalization on an NVIDIA GPU: the CUDA backend's counterpart of tensor/ops.h's
// layer_norm, which the forward pass will call through the backend's operations
// (docs/ARCHITECTURE.md, "Devices"). Built only with -DCLIPSEARCH_CUDA=ON.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace clipsearch::cuda {

// out[r] = (x[r] - mean(x[r])) / sqrt(var(x[r]) + eps) * gamma + beta for each of `rows` rows
// of `width` floats (ref: torch.nn.LayerNorm, biased variance). Every pointer is device memory;
// x: [rows, ldx], out: [rows, ldout] (may be x), gamma, beta: [width]. Queued on `stream`;
// returns the launch's error (cudaSuccess when queued).
cudaError_t layer_norm(const float* x, int64_t rows, int64_t width, int64_t ldx, const float* gamma,
                       const float* beta, float eps, float* out, int64_t ldout,
                       cudaStream_t stream);

}  // namespace clipsearch::cuda
