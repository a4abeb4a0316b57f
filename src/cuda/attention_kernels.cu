// softmax_rows: one warp per row. query_rows_attention: one block per (query, head); its scores
// in shared memory, a warp per key for the dot products, a thread per output dimension for the
// weighted sum of values (consecutive threads read consecutive floats of a value row).
#include <cfloat>

#include "cuda/attention_kernels.h"
#include "cuda/launch.h"

namespace clipsearch::cuda {

namespace {

constexpr int kRowsPerBlock = kThreads / kWarp;

// Softmax of x[0..visible) in place by one warp, x[visible..n) set to 0.
__device__ void warp_softmax(float* x, int64_t n, int64_t visible) {
  const int lane = threadIdx.x % kWarp;
  float max = -FLT_MAX;
  for (int64_t j = lane; j < visible; j += kWarp) max = fmaxf(max, x[j]);
  max = warp_max(max);
  float sum = 0;
  for (int64_t j = lane; j < visible; j += kWarp) {
    const float e = expf(x[j] - max);
    x[j] = e;
    sum += e;
  }
  const float inv = 1.0f / warp_sum(sum);
  for (int64_t j = lane; j < n; j += kWarp) x[j] = j < visible ? x[j] * inv : 0.0f;
}

__global__ void softmax_rows_kernel(float* scores, int64_t rows, int64_t length, bool causal) {
  const int64_t row = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / kWarp;
  if (row >= rows) return;
  const int64_t i = row % length;  // the query's position in its sequence
  warp_softmax(scores + row * length, length, causal ? i + 1 : length);
}

// The sum of every thread's `value` in the block (kThreads threads), returned to all of them.
__device__ float block_reduce(float value, bool is_max) {
  __shared__ float partial[kThreads / kWarp];
  value = is_max ? warp_max(value) : warp_sum(value);
  const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp;
  if (lane == 0) partial[warp] = value;
  __syncthreads();
  float total = is_max ? -FLT_MAX : 0.0f;
  for (int w = 0; w < kThreads / kWarp; ++w) {
    total = is_max ? fmaxf(total, partial[w]) : total + partial[w];
  }
  __syncthreads();  // partial is reused by the next call
  return total;
}

// Block (query, head), kThreads threads; dynamic shared memory: max_keys scores.
__global__ void query_rows_attention_kernel(QueryRowsShape shape, const int64_t* queries,
                                            const float* qkv, float* context) {
  extern __shared__ float scores[];  // [keys]
  const int64_t query = blockIdx.x, head = blockIdx.y;
  const int64_t width = shape.heads * shape.head_dim, ld = 3 * width;
  const int64_t q_row = queries[query * 4], first = queries[query * 4 + 1];
  const int64_t keys = queries[query * 4 + 2], out_row = queries[query * 4 + 3];
  const float* q = qkv + q_row * ld + head * shape.head_dim;          // [head_dim]
  const float* k = qkv + first * ld + width + head * shape.head_dim;  // [keys, ld]
  const float* v = k + width;                                         // [keys, ld]
  const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp;
  for (int64_t j = warp; j < keys; j += kThreads / kWarp) {
    float dot = 0;
    for (int64_t d = lane; d < shape.head_dim; d += kWarp) dot += q[d] * k[j * ld + d];
    dot = warp_sum(dot);
    if (lane == 0) scores[j] = dot * shape.scale;
  }
  __syncthreads();
  float max = -FLT_MAX;
  for (int64_t j = threadIdx.x; j < keys; j += kThreads) max = fmaxf(max, scores[j]);
  max = block_reduce(max, true);
  float sum = 0;
  for (int64_t j = threadIdx.x; j < keys; j += kThreads) {
    scores[j] = expf(scores[j] - max);
    sum += scores[j];
  }
  const float inv = 1.0f / block_reduce(sum, false);  // its barrier orders the writes above
  float* out = context + out_row * width + head * shape.head_dim;
  for (int64_t d = threadIdx.x; d < shape.head_dim; d += kThreads) {
    float acc = 0;
    for (int64_t j = 0; j < keys; ++j) acc += scores[j] * v[j * ld + d];
    out[d] = acc * inv;
  }
}

}  // namespace

cudaError_t softmax_rows(float* scores, int64_t matrices, int64_t length, bool causal,
                         cudaStream_t stream) {
  const int64_t rows = matrices * length;
  if (rows == 0) return cudaSuccess;
  const auto blocks = static_cast<unsigned>((rows + kRowsPerBlock - 1) / kRowsPerBlock);
  softmax_rows_kernel<<<blocks, kThreads, 0, stream>>>(scores, rows, length, causal);
  return cudaGetLastError();
}

cudaError_t query_rows_attention(const QueryRowsShape& shape, const int64_t* queries,
                                 const float* qkv, float* context, cudaStream_t stream) {
  if (shape.count == 0 || shape.heads == 0) return cudaSuccess;
  if (shape.max_keys > kMaxQueryRowKeys) return cudaErrorInvalidValue;
  const dim3 grid(static_cast<unsigned>(shape.count), static_cast<unsigned>(shape.heads));
  const size_t shared = static_cast<size_t>(shape.max_keys) * sizeof(float);
  query_rows_attention_kernel<<<grid, kThreads, shared, stream>>>(shape, queries, qkv, context);
  return cudaGetLastError();
}

}  // namespace clipsearch::cuda
