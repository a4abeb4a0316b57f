// Row movements and the towers' first steps on an NVIDIA GPU (backend.h's gather_rows,
// scatter_rows, unfold_patches, position_rows, embed_tokens). Every pointer is device memory,
// the index lists included (the backend uploads them); each function queues its kernel on
// `stream` and returns the launch's error.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "cuda/half_types.h"

namespace clipsearch::cuda {

// dst [count, width] (compact) = src rows rows[i] ([.., ld]).
cudaError_t gather_rows(const float* src, int64_t ld, const int64_t* rows, int64_t count,
                        int64_t width, float* dst, cudaStream_t stream);
// dst rows rows[i] ([.., ld]) = src [count, width] (compact).
cudaError_t scatter_rows(const float* src, const int64_t* rows, int64_t count, int64_t width,
                         float* dst, int64_t ld, cudaStream_t stream);

// patches[n * grid^2 + gy * grid + gx][c * p * p + ky * p + kx] =
// pixels[n][c][gy * p + ky][gx * p + kx], grid = size / p.
cudaError_t unfold_patches(const float* pixels, int64_t images, int64_t channels, int64_t size,
                           int64_t patch, float* patches, cudaStream_t stream);

// hidden[n * tokens + t] = positions[t] (+ class_embedding for t = 0 when not null).
cudaError_t position_rows(float* hidden, int64_t images, int64_t tokens, int64_t width,
                          const float* class_embedding, const float* positions,
                          cudaStream_t stream);

// hidden[r] = table[ids_and_positions[r]] + positions[ids_and_positions[rows + r]], the table a
// 16-bit [vocabulary, width] matrix (the weight as prepare() keeps it).
cudaError_t embed_tokens(const void* table, HalfType type, const int64_t* ids_and_positions,
                         int64_t rows, const float* positions, int64_t width, float* hidden,
                         cudaStream_t stream);

}  // namespace clipsearch::cuda
