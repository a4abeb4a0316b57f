// The 16-bit types the CUDA backend keeps weights in and converts activations to before a cuBLAS
// product (F16, or BF16 where the model's host weights are BF16), and the conversions to them.
// Every pointer is device memory; each function queues its kernel on `stream` and returns the
// launch's error.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace clipsearch::cuda {

enum class HalfType { kF16, kBF16 };

// dst[b][i] = half(src[b * src_stride + i]) for `blocks` blocks of `block_floats` floats, dst
// compact: [blocks, block_floats] 16-bit values, rounded to nearest even.
cudaError_t to_half_blocks(const float* src, int64_t blocks, int64_t block_floats,
                           int64_t src_stride, HalfType type, void* dst, cudaStream_t stream);

// dst [out, in] = half(src [in, out] transposed): a float32 weight stored kInOut.
cudaError_t to_half_transposed(const float* src, int64_t out, int64_t in, HalfType type, void* dst,
                               cudaStream_t stream);

// dst [out, in] = half(scales[o] * q[o][i]): a weight-only int8 matrix dequantized.
cudaError_t int8_to_half(const int8_t* q, const float* scales, int64_t out, int64_t in,
                         HalfType type, void* dst, cudaStream_t stream);

}  // namespace clipsearch::cuda
