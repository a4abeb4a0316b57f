// Conversions to F16/BF16: one thread per element (grid-stride), the transposition through a
// shared-memory tile so that both the reads and the writes are coalesced.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "cuda/half_types.h"
#include "cuda/launch.h"

namespace clipsearch::cuda {

namespace {

template <class Half>
__device__ Half to_half(float v);
template <>
__device__ __half to_half<__half>(float v) {
  return __float2half_rn(v);
}
template <>
__device__ __nv_bfloat16 to_half<__nv_bfloat16>(float v) {
  return __float2bfloat16_rn(v);
}

template <class Half>
__global__ void to_half_blocks_kernel(const float* src, int64_t blocks, int64_t block_floats,
                                      int64_t src_stride, Half* dst) {
  const int64_t total = blocks * block_floats;
  for (int64_t i = grid_index(); i < total; i += grid_stride()) {
    const int64_t b = i / block_floats, j = i % block_floats;
    dst[i] = to_half<Half>(src[b * src_stride + j]);
  }
}

constexpr int kTile = 32;

// blockDim (kTile, 8): each block moves one kTile x kTile tile of src [in, out] to dst [out, in].
template <class Half>
__global__ void to_half_transposed_kernel(const float* src, int64_t out, int64_t in, Half* dst) {
  __shared__ float tile[kTile][kTile + 1];  // +1: no bank conflicts on the transposed read
  const int64_t o0 = static_cast<int64_t>(blockIdx.x) * kTile;
  const int64_t i0 = static_cast<int64_t>(blockIdx.y) * kTile;
  for (int r = threadIdx.y; r < kTile; r += blockDim.y) {
    const int64_t i = i0 + r, o = o0 + threadIdx.x;
    if (i < in && o < out) tile[r][threadIdx.x] = src[i * out + o];
  }
  __syncthreads();
  for (int r = threadIdx.y; r < kTile; r += blockDim.y) {
    const int64_t o = o0 + r, i = i0 + threadIdx.x;
    if (o < out && i < in) dst[o * in + i] = to_half<Half>(tile[threadIdx.x][r]);
  }
}

template <class Half>
__global__ void int8_to_half_kernel(const int8_t* q, const float* scales, int64_t out, int64_t in,
                                    Half* dst) {
  const int64_t total = out * in;
  for (int64_t i = grid_index(); i < total; i += grid_stride()) {
    dst[i] = to_half<Half>(scales[i / in] * static_cast<float>(q[i]));
  }
}

}  // namespace

cudaError_t to_half_blocks(const float* src, int64_t blocks, int64_t block_floats,
                           int64_t src_stride, HalfType type, void* dst, cudaStream_t stream) {
  const int64_t total = blocks * block_floats;
  if (total == 0) return cudaSuccess;
  if (type == HalfType::kF16) {
    to_half_blocks_kernel<<<grid_for(total), kThreads, 0, stream>>>(
        src, blocks, block_floats, src_stride, static_cast<__half*>(dst));
  } else {
    to_half_blocks_kernel<<<grid_for(total), kThreads, 0, stream>>>(
        src, blocks, block_floats, src_stride, static_cast<__nv_bfloat16*>(dst));
  }
  return cudaGetLastError();
}

cudaError_t to_half_transposed(const float* src, int64_t out, int64_t in, HalfType type, void* dst,
                               cudaStream_t stream) {
  if (out == 0 || in == 0) return cudaSuccess;
  const dim3 grid(static_cast<unsigned>((out + kTile - 1) / kTile),
                  static_cast<unsigned>((in + kTile - 1) / kTile));
  const dim3 block(kTile, 8);
  if (type == HalfType::kF16) {
    to_half_transposed_kernel<<<grid, block, 0, stream>>>(src, out, in, static_cast<__half*>(dst));
  } else {
    to_half_transposed_kernel<<<grid, block, 0, stream>>>(src, out, in,
                                                          static_cast<__nv_bfloat16*>(dst));
  }
  return cudaGetLastError();
}

cudaError_t int8_to_half(const int8_t* q, const float* scales, int64_t out, int64_t in,
                         HalfType type, void* dst, cudaStream_t stream) {
  const int64_t total = out * in;
  if (total == 0) return cudaSuccess;
  if (type == HalfType::kF16) {
    int8_to_half_kernel<<<grid_for(total), kThreads, 0, stream>>>(q, scales, out, in,
                                                                  static_cast<__half*>(dst));
  } else {
    int8_to_half_kernel<<<grid_for(total), kThreads, 0, stream>>>(q, scales, out, in,
                                                                  static_cast<__nv_bfloat16*>(dst));
  }
  return cudaGetLastError();
}

}  // namespace clipsearch::cuda
