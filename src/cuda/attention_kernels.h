// The attention kernels of the CUDA backend (cuda_backend_attention.cpp decides which runs):
//  - softmax_rows: the softmax between the two cuBLAS products of the equal-length case (the
//    vision towers: every image has the same tokens), where the scores are a dense
//    [sequences, length, length] block per head;
//  - query_rows_attention: one fused pass per (query row, head) for everything else: sequences of
//    different lengths (text, <= 77 tokens, causal) and the pooled rows of a last layer. Every
//    pointer is device memory; each function queues its kernel on `stream` and returns the
//    launch's error.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace clipsearch::cuda {

// For each of `matrices` [length, length] row-major blocks of `scores`: row i = softmax(row i)
// over keys 0..length-1, or over keys 0..i with the others set to 0 when `causal`.
// ref: CLIPAttention.forward (the causal mask adds -inf above the diagonal).
cudaError_t softmax_rows(float* scores, int64_t matrices, int64_t length, bool causal,
                         cudaStream_t stream);

// One query's attention over a run of key rows, all device memory. `queries` holds 4 int64 per
// query q: [q * 4 + 0] its row of qkv, [+1] its first key row, [+2] its number of keys, [+3] its
// row of context. qkv: [rows, 3 * width] (q | k | v, heads side by side); context: [.., width].
// context[out_row, h] = softmax(q_h k_h^T * scale) v_h over those keys, for every head h.
struct QueryRowsShape {
  int64_t count = 0;  // queries
  int64_t heads = 0, head_dim = 0;
  int64_t max_keys = 0;  // the most keys any query has (shared memory per block)
  float scale = 1.0f;    // 1 / sqrt(head_dim)
};
// The most keys one query may have: its scores live in a block's shared memory.
constexpr int64_t kMaxQueryRowKeys = 8192;
cudaError_t query_rows_attention(const QueryRowsShape& shape, const int64_t* queries,
                                 const float* qkv, float* context, cudaStream_t stream);

}  // namespace clipsearch::cuda
