// One thread block per row; the mean, then the variance around it (two passes, as tensor/ops'
// layer_norm_row computes them: no E[x^2] - E[x]^2 cancellation).
#include "cuda/layer_norm.h"

namespace clipsearch::cuda {

namespace {

constexpr int kThreads = 256;  // per block: one row
constexpr int kWarp = 32;

// The sum of every thread's `value` in the block, returned to all of them.
__device__ float block_sum(float value) {
  __shared__ float warp_sums[kThreads / kWarp];
  for (int offset = kWarp / 2; offset > 0; offset /= 2) {
    value += __shfl_xor_sync(0xffffffffu, value, offset);
  }
  const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp;
  if (lane == 0) warp_sums[warp] = value;
  __syncthreads();
  float total = 0;
  for (int w = 0; w < kThreads / kWarp; ++w) total += warp_sums[w];
  __syncthreads();  // warp_sums is reused by the next call
  return total;
}

__global__ void layer_norm_rows(const float* x, int64_t width, int64_t ldx, const float* gamma,
                                const float* beta, float eps, float* out, int64_t ldout) {
  const float* row = x + blockIdx.x * ldx;  // [width]
  float* row_out = out + blockIdx.x * ldout;
  const float inv_width = 1.0f / static_cast<float>(width);
  float sum = 0;
  for (int64_t i = threadIdx.x; i < width; i += kThreads) sum += row[i];
  const float mean = block_sum(sum) * inv_width;
  float squares = 0;
  for (int64_t i = threadIdx.x; i < width; i += kThreads) {
    const float d = row[i] - mean;
    squares += d * d;
  }
  const float rstd = rsqrtf(block_sum(squares) * inv_width + eps);
  for (int64_t i = threadIdx.x; i < width; i += kThreads) {
    row_out[i] = (row[i] - mean) * rstd * gamma[i] + beta[i];
  }
}

}  // namespace

cudaError_t layer_norm(const float* x, int64_t rows, int64_t width, int64_t ldx, const float* gamma,
                       const float* beta, float eps, float* out, int64_t ldout,
                       cudaStream_t stream) {
  if (rows == 0) return cudaSuccess;
  layer_norm_rows<<<static_cast<unsigned>(rows), kThreads, 0, stream>>>(x, width, ldx, gamma, beta,
                                                                        eps, out, ldout);
  return cudaGetLastError();
}

}  // namespace clipsearch::cuda
