#include "tensor/gemm.h"

#include <cblas.h>

#include <algorithm>
#include <mutex>

#include "core/thread_pool.h"
#include "tensor/skinny_gemm.h"

namespace clipsearch {

void gemm_init() {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
}

void gemm_single(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                 const float* b, int64_t ldb, bool b_transposed, float beta, float* c,
                 int64_t ldc) {
  if (m == 0 || n == 0) return;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, b_transposed ? CblasTrans : CblasNoTrans,
              static_cast<blasint>(m), static_cast<blasint>(n), static_cast<blasint>(k), alpha, a,
              static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c,
              static_cast<blasint>(ldc));
}

void linear(int64_t m, int64_t n, int64_t k, const float* x, int64_t ldx, const float* weight,
            WeightLayout layout, float beta, float* y, int64_t ldy) {
  gemm_init();
  const bool transposed = layout == WeightLayout::kOutIn;
  const int64_t ldw = transposed ? k : n;
  const int threads = num_threads();
  // Split rows when there are plenty (each thread then streams the whole weight once, as a
  // single-threaded call would); otherwise split output columns in multiples of 16 so every
  // thread keeps full SIMD tiles and reads only its share of the weight.
  if (transposed && m <= kSkinnyMaxRows && skinny_gemm_available()) {
    // Few rows: weight-streaming kernel, output columns split across the pool in blocks of 16.
    const int64_t blocks = (n + 15) / 16;
    parallel_for(
        blocks,
        [&](int64_t begin, int64_t end) {
          const int64_t col0 = begin * 16, col1 = std::min(n, end * 16);
          skinny_gemm(m, col1 - col0, k, x, ldx, weight + col0 * k, beta, y + col0, ldy);
        },
        4);
  } else if (threads == 1) {
    gemm_single(m, n, k, 1.0f, x, ldx, weight, ldw, transposed, beta, y, ldy);
  } else if (m >= 32 * threads) {
    parallel_for(
        m,
        [&](int64_t begin, int64_t end) {
          gemm_single(end - begin, n, k, 1.0f, x + begin * ldx, ldx, weight, ldw, transposed, beta,
                      y + begin * ldy, ldy);
        },
        16);
  } else {
    const int64_t blocks = (n + 15) / 16;
    parallel_for(
        blocks,
        [&](int64_t begin, int64_t end) {
          int64_t col0 = begin * 16;
          int64_t col1 = std::min(n, end * 16);
          const float* w = transposed ? weight + col0 * k : weight + col0;
          gemm_single(m, col1 - col0, k, 1.0f, x, ldx, w, ldw, transposed, beta, y + col0, ldy);
        },
        4);
  }
}

}  // namespace clipsearch
