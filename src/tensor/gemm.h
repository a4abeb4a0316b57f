// Matrix products for the forward pass, on OpenBLAS sgemm, split over the engine's thread pool.
//
// OpenBLAS is set to one thread per call at start-up; parallelism comes from splitting the
// output into row or column blocks across our pool, so BLAS threads and ours never compete.
#pragma once

#include <cstdint>

namespace clipsearch {

// How a weight matrix is stored.
enum class WeightLayout {
  kOutIn,  // [out, in]: PyTorch nn.Linear.weight; y = x W^T
  kInOut,  // [in, out]: open_clip's `proj` / `text_projection` parameters; y = x W
};

// y[m, n] = beta * y[m, n] + sum_k x[m, k] * W(k, n), for x [m, k] with row stride ldx and
// y [m, n] with row stride ldy. Runs on the thread pool.
void linear(int64_t m, int64_t n, int64_t k, const float* x, int64_t ldx, const float* weight,
            WeightLayout layout, float beta, float* y, int64_t ldy);

// Single-threaded sgemm on row-major matrices: C[m,n] = alpha * A[m,k] * op(B) + beta * C,
// with op(B) = B^T when b_transposed (B stored [n,k]). For small per-task products (attention).
void gemm_single(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                 const float* b, int64_t ldb, bool b_transposed, float beta, float* c, int64_t ldc);

// Makes OpenBLAS single-threaded per call (idempotent; called by the model loader).
void gemm_init();

}  // namespace clipsearch
