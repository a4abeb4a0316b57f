// attention and attention_rows. Two paths, chosen per call:
//  - every sequence of the same length (the vision towers: 50, 197 or 257 tokens per image, the
//    speed case): per head, one cuBLAS strided-batched product for the scores of all sequences,
//    softmax_rows, and one for the context. cuBLAS's TF32 tensor-core products are the fastest
//    thing that can be written correctly without a device to tune a fused kernel on; the scores'
//    round trip through memory is small next to the linear layers at these lengths (L <= 257).
//  - otherwise (text: lengths 1..77, causal; the pooled rows of a last layer): the fused
//    query_rows_attention kernel, one block per (query row, head), which takes any length.
#include <algorithm>
#include <cmath>
#include <string>

#include "cuda/attention_kernels.h"
#include "cuda/cuda_backend.h"

namespace clipsearch::cuda {

namespace {

// The scores of one head for at most this many floats at a time (64 MiB): sequences in chunks.
constexpr int64_t kScoreFloats = int64_t{16} << 20;

float attention_scale(const AttentionShape& shape) {
  return 1.0f / std::sqrt(static_cast<float>(shape.head_dim));
}

bool equal_lengths(const AttentionShape& shape) {
  const int64_t length = shape.offsets[1] - shape.offsets[0];
  for (int64_t s = 1; s < shape.count; ++s) {
    if (shape.offsets[s + 1] - shape.offsets[s] != length) return false;
  }
  return length > 0;
}

}  // namespace

void CudaBackend::attention(const AttentionShape& shape, const float* qkv, float* context) {
  if (!ready() || shape.count == 0) return;
  if (equal_lengths(shape)) {
    attention_equal_lengths(shape, qkv, context);
    return;
  }
  host_indices_.clear();
  for (int64_t s = 0; s < shape.count; ++s) {
    const int64_t first = shape.offsets[s], length = shape.offsets[s + 1] - first;
    for (int64_t i = 0; i < length; ++i) {
      host_indices_.insert(host_indices_.end(),
                           {first + i, first, shape.causal ? i + 1 : length, first + i});
    }
  }
  attention_by_query(shape, qkv, context);
}

void CudaBackend::attention_rows(const AttentionShape& shape, const int64_t* query_rows,
                                 const float* qkv, float* context) {
  if (!ready() || shape.count == 0) return;
  host_indices_.clear();
  for (int64_t s = 0; s < shape.count; ++s) {
    const int64_t first = shape.offsets[s], row = query_rows[s];
    const int64_t keys = shape.causal ? row - first + 1 : shape.offsets[s + 1] - first;
    host_indices_.insert(host_indices_.end(), {row, first, keys, s});
  }
  attention_by_query(shape, qkv, context);
}

void CudaBackend::attention_by_query(const AttentionShape& shape, const float* qkv,
                                     float* context) {
  QueryRowsShape q;
  q.count = static_cast<int64_t>(host_indices_.size() / 4);
  q.heads = shape.heads;
  q.head_dim = shape.head_dim;
  q.scale = attention_scale(shape);
  for (size_t i = 2; i < host_indices_.size(); i += 4) {
    q.max_keys = std::max(q.max_keys, host_indices_[i]);
  }
  if (q.max_keys > kMaxQueryRowKeys) {
    fail(Status::unsupported(prefix() + ": attention over " + std::to_string(q.max_keys) +
                             " keys; the CUDA engine takes at most " +
                             std::to_string(kMaxQueryRowKeys) + " per sequence"));
    return;
  }
  const int64_t* queries = upload_indices(host_indices_);
  if (queries != nullptr) {
    check(query_rows_attention(q, queries, qkv, context, stream_), "query_rows_attention");
  }
}

void CudaBackend::attention_equal_lengths(const AttentionShape& shape, const float* qkv,
                                          float* context) {
  const int64_t length = shape.offsets[1] - shape.offsets[0];
  const int64_t width = shape.width(), ld = 3 * width, hd = shape.head_dim;
  const int64_t chunk =
      std::min(shape.count, std::max<int64_t>(1, kScoreFloats / (length * length)));
  if (!grow(scores_, static_cast<size_t>(chunk * length * length) * sizeof(float),
            "the attention scores")) {
    return;
  }
  auto* scores = static_cast<float*>(scores_.data());  // [chunk, length, length]
  const float scale = attention_scale(shape), one = 1.0f, zero = 0.0f;
  const auto l = static_cast<int>(length), k = static_cast<int>(hd);
  for (int64_t s0 = 0; s0 < shape.count; s0 += chunk) {
    const auto n = static_cast<int>(std::min(chunk, shape.count - s0));
    const int64_t first = shape.offsets[s0];
    for (int64_t h = 0; h < shape.heads; ++h) {
      const float* q = qkv + first * ld + h * hd;  // [n, length, ld]
      // scores[s][i][j] = scale q_i . k_j: column-major, keys x queries = K^T' Q'.
      if (!check_cublas(cublasGemmStridedBatchedEx(
                            cublas_, CUBLAS_OP_T, CUBLAS_OP_N, l, l, k, &scale, q + width,
                            CUDA_R_32F, static_cast<int>(ld), length * ld, q, CUDA_R_32F,
                            static_cast<int>(ld), length * ld, &zero, scores, CUDA_R_32F, l,
                            length * length, n, CUBLAS_COMPUTE_32F_FAST_TF32, CUBLAS_GEMM_DEFAULT),
                        "cublasGemmStridedBatchedEx (attention scores)") ||
          !check(softmax_rows(scores, n, length, shape.causal, stream_), "softmax_rows")) {
        return;
      }
      // context rows [i][h * hd ..] = sum_j p_ij v_j: column-major, hd x queries = V' P'.
      float* out = context + first * width + h * hd;
      if (!check_cublas(cublasGemmStridedBatchedEx(
                            cublas_, CUBLAS_OP_N, CUBLAS_OP_N, k, l, l, &one, q + 2 * width,
                            CUDA_R_32F, static_cast<int>(ld), length * ld, scores, CUDA_R_32F, l,
                            length * length, &zero, out, CUDA_R_32F, static_cast<int>(width),
                            length * width, n, CUBLAS_COMPUTE_32F_FAST_TF32, CUBLAS_GEMM_DEFAULT),
                        "cublasGemmStridedBatchedEx (attention context)")) {
        return;
      }
    }
  }
}

}  // namespace clipsearch::cuda
