// Grid-stride loops, one thread per output float: the index arithmetic of each operation is that
// of its CPU form (vision_tower.cpp, text_tower.cpp), written once per output element.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "cuda/launch.h"
#include "cuda/rows.h"

namespace clipsearch::cuda {

namespace {

__global__ void gather_rows_kernel(const float* src, int64_t ld, const int64_t* rows, int64_t count,
                                   int64_t width, float* dst) {
  const int64_t total = count * width;
  for (int64_t i = grid_index(); i < total; i += grid_stride()) {
    dst[i] = src[rows[i / width] * ld + i % width];
  }
}

__global__ void scatter_rows_kernel(const float* src, const int64_t* rows, int64_t count,
                                    int64_t width, float* dst, int64_t ld) {
  const int64_t total = count * width;
  for (int64_t i = grid_index(); i < total; i += grid_stride()) {
    dst[rows[i / width] * ld + i % width] = src[i];
  }
}

// One thread per patch value, in the order patches are written (coalesced writes).
__global__ void unfold_patches_kernel(const float* pixels, int64_t images, int64_t channels,
                                      int64_t size, int64_t patch, float* patches) {
  const int64_t grid = size / patch, patch_floats = channels * patch * patch;
  const int64_t total = images * grid * grid * patch_floats;
  for (int64_t i = grid_index(); i < total; i += grid_stride()) {
    const int64_t row = i / patch_floats, col = i % patch_floats;
    const int64_t n = row / (grid * grid), gy = (row / grid) % grid, gx = row % grid;
    const int64_t c = col / (patch * patch), ky = (col / patch) % patch, kx = col % patch;
    patches[i] = pixels[((n * channels + c) * size + gy * patch + ky) * size + gx * patch + kx];
  }
}

__global__ void position_rows_kernel(float* hidden, int64_t images, int64_t tokens, int64_t width,
                                     const float* class_embedding, const float* positions) {
  const int64_t total = images * tokens * width;
  for (int64_t i = grid_index(); i < total; i += grid_stride()) {
    const int64_t t = (i / width) % tokens, c = i % width;
    const float v = positions[t * width + c];
    hidden[i] = (t == 0 && class_embedding) ? v + class_embedding[c] : v;
  }
}

__device__ float to_float(__half v) { return __half2float(v); }
__device__ float to_float(__nv_bfloat16 v) { return __bfloat162float(v); }

template <class Half>
__global__ void embed_tokens_kernel(const Half* table, const int64_t* ids_and_positions,
                                    int64_t rows, const float* positions, int64_t width,
                                    float* hidden) {
  const int64_t total = rows * width;
  for (int64_t i = grid_index(); i < total; i += grid_stride()) {
    const int64_t r = i / width, c = i % width;
    const int64_t id = ids_and_positions[r], position = ids_and_positions[rows + r];
    hidden[i] = to_float(table[id * width + c]) + positions[position * width + c];
  }
}

}  // namespace

cudaError_t gather_rows(const float* src, int64_t ld, const int64_t* rows, int64_t count,
                        int64_t width, float* dst, cudaStream_t stream) {
  if (count * width == 0) return cudaSuccess;
  gather_rows_kernel<<<grid_for(count * width), kThreads, 0, stream>>>(src, ld, rows, count, width,
                                                                       dst);
  return cudaGetLastError();
}

cudaError_t scatter_rows(const float* src, const int64_t* rows, int64_t count, int64_t width,
                         float* dst, int64_t ld, cudaStream_t stream) {
  if (count * width == 0) return cudaSuccess;
  scatter_rows_kernel<<<grid_for(count * width), kThreads, 0, stream>>>(src, rows, count, width,
                                                                        dst, ld);
  return cudaGetLastError();
}

cudaError_t unfold_patches(const float* pixels, int64_t images, int64_t channels, int64_t size,
                           int64_t patch, float* patches, cudaStream_t stream) {
  const int64_t grid = size / patch, total = images * grid * grid * channels * patch * patch;
  if (total == 0) return cudaSuccess;
  unfold_patches_kernel<<<grid_for(total), kThreads, 0, stream>>>(pixels, images, channels, size,
                                                                  patch, patches);
  return cudaGetLastError();
}

cudaError_t position_rows(float* hidden, int64_t images, int64_t tokens, int64_t width,
                          const float* class_embedding, const float* positions,
                          cudaStream_t stream) {
  const int64_t total = images * tokens * width;
  if (total == 0) return cudaSuccess;
  position_rows_kernel<<<grid_for(total), kThreads, 0, stream>>>(hidden, images, tokens, width,
                                                                 class_embedding, positions);
  return cudaGetLastError();
}

cudaError_t embed_tokens(const void* table, HalfType type, const int64_t* ids_and_positions,
                         int64_t rows, const float* positions, int64_t width, float* hidden,
                         cudaStream_t stream) {
  if (rows * width == 0) return cudaSuccess;
  if (type == HalfType::kF16) {
    embed_tokens_kernel<<<grid_for(rows * width), kThreads, 0, stream>>>(
        static_cast<const __half*>(table), ids_and_positions, rows, positions, width, hidden);
  } else {
    embed_tokens_kernel<<<grid_for(rows * width), kThreads, 0, stream>>>(
        static_cast<const __nv_bfloat16*>(table), ids_and_positions, rows, positions, width,
        hidden);
  }
  return cudaGetLastError();
}

}  // namespace clipsearch::cuda
