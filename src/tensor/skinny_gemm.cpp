#include "tensor/skinny_gemm.h"

#include <immintrin.h>

#include "core/isa.h"
#include "core/simd_target.h"

namespace clipsearch {
namespace {

void store(float* y, float value, float beta) { *y = beta == 0.0f ? value : beta * *y + value; }

CLIPSEARCH_TARGET_AVX2 float horizontal_sum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Dots rows x[0..ROWS) with weight rows w[0..4): out[r][j] = x[r] . w[j].
template <int ROWS>
CLIPSEARCH_TARGET_AVX2 void dot_block(int64_t k, const float* x, int64_t ldx, const float* w,
                                      float out[ROWS][4]) {
  __m256 acc[ROWS][4];
  for (int r = 0; r < ROWS; ++r) {
    for (int j = 0; j < 4; ++j) acc[r][j] = _mm256_setzero_ps();
  }
  int64_t i = 0;
  for (; i + 8 <= k; i += 8) {
    __m256 w0 = _mm256_loadu_ps(w + i), w1 = _mm256_loadu_ps(w + k + i);
    __m256 w2 = _mm256_loadu_ps(w + 2 * k + i), w3 = _mm256_loadu_ps(w + 3 * k + i);
    for (int r = 0; r < ROWS; ++r) {
      __m256 xv = _mm256_loadu_ps(x + r * ldx + i);
      acc[r][0] = _mm256_fmadd_ps(xv, w0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(xv, w1, acc[r][1]);
      acc[r][2] = _mm256_fmadd_ps(xv, w2, acc[r][2]);
      acc[r][3] = _mm256_fmadd_ps(xv, w3, acc[r][3]);
    }
  }
  for (int r = 0; r < ROWS; ++r) {
    for (int j = 0; j < 4; ++j) {
      float s = horizontal_sum(acc[r][j]);
      for (int64_t t = i; t < k; ++t) s += x[r * ldx + t] * w[j * k + t];
      out[r][j] = s;
    }
  }
}

// AVX-512: 16 lanes, 32 registers, so 4 input rows x 4 weight rows of accumulators fit; the
// tail of k is read with a mask instead of a scalar loop.
template <int ROWS>
CLIPSEARCH_TARGET_AVX512 void dot_block16(int64_t k, const float* x, int64_t ldx, const float* w,
                                          float out[ROWS][4]) {
  __m512 acc[ROWS][4];
  for (int r = 0; r < ROWS; ++r) {
    for (int j = 0; j < 4; ++j) acc[r][j] = _mm512_setzero_ps();
  }
  for (int64_t i = 0; i < k; i += 16) {
    const int64_t left = k - i;
    const __mmask16 mask = left >= 16 ? 0xffff : static_cast<__mmask16>((1u << left) - 1);
    __m512 w0 = _mm512_maskz_loadu_ps(mask, w + i);
    __m512 w1 = _mm512_maskz_loadu_ps(mask, w + k + i);
    __m512 w2 = _mm512_maskz_loadu_ps(mask, w + 2 * k + i);
    __m512 w3 = _mm512_maskz_loadu_ps(mask, w + 3 * k + i);
    for (int r = 0; r < ROWS; ++r) {
      __m512 xv = _mm512_maskz_loadu_ps(mask, x + r * ldx + i);
      acc[r][0] = _mm512_fmadd_ps(xv, w0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(xv, w1, acc[r][1]);
      acc[r][2] = _mm512_fmadd_ps(xv, w2, acc[r][2]);
      acc[r][3] = _mm512_fmadd_ps(xv, w3, acc[r][3]);
    }
  }
  for (int r = 0; r < ROWS; ++r) {
    for (int j = 0; j < 4; ++j) {
      // Through memory: GCC 12's 512-bit extract intrinsics trip -Wuninitialized.
      alignas(64) float lanes[16];
      _mm512_store_ps(lanes, acc[r][j]);
      out[r][j] = horizontal_sum(_mm256_add_ps(_mm256_load_ps(lanes), _mm256_load_ps(lanes + 8)));
    }
  }
}

template <int ROWS>
CLIPSEARCH_TARGET_AVX512 void rows_block16(int64_t row, int64_t col, int64_t k, const float* x,
                                           int64_t ldx, const float* wb, float beta, float* y,
                                           int64_t ldy) {
  float out[ROWS][4];
  dot_block16<ROWS>(k, x + row * ldx, ldx, wb, out);
  for (int r = 0; r < ROWS; ++r) {
    for (int j = 0; j < 4; ++j) store(y + (row + r) * ldy + col + j, out[r][j], beta);
  }
}

// The columns of whole blocks of 4; returns how many were done.
CLIPSEARCH_TARGET_AVX512 int64_t columns_avx512(int64_t m, int64_t n, int64_t k, const float* x,
                                                int64_t ldx, const float* w, float beta, float* y,
                                                int64_t ldy) {
  int64_t col = 0;
  for (; col + 4 <= n; col += 4) {
    const float* wb = w + col * k;  // 4 weight rows, kept in L1 across all input rows
    int64_t row = 0;
    for (; row + 4 <= m; row += 4) rows_block16<4>(row, col, k, x, ldx, wb, beta, y, ldy);
    for (; row + 2 <= m; row += 2) rows_block16<2>(row, col, k, x, ldx, wb, beta, y, ldy);
    if (row < m) rows_block16<1>(row, col, k, x, ldx, wb, beta, y, ldy);
  }
  return col;
}

CLIPSEARCH_TARGET_AVX2 int64_t columns_avx2(int64_t m, int64_t n, int64_t k, const float* x,
                                            int64_t ldx, const float* w, float beta, float* y,
                                            int64_t ldy) {
  int64_t col = 0;
  for (; col + 4 <= n; col += 4) {
    const float* wb = w + col * k;  // 4 weight rows, kept in L1 across all input rows
    int64_t row = 0;
    for (; row + 2 <= m; row += 2) {
      float out[2][4];
      dot_block<2>(k, x + row * ldx, ldx, wb, out);
      for (int r = 0; r < 2; ++r) {
        for (int j = 0; j < 4; ++j) store(y + (row + r) * ldy + col + j, out[r][j], beta);
      }
    }
    if (row < m) {
      float out[1][4];
      dot_block<1>(k, x + row * ldx, ldx, wb, out);
      for (int j = 0; j < 4; ++j) store(y + row * ldy + col + j, out[0][j], beta);
    }
  }
  return col;
}

float dot(int64_t k, const float* a, const float* b) {
  float s = 0;
  for (int64_t i = 0; i < k; ++i) s += a[i] * b[i];
  return s;
}

}  // namespace

bool skinny_gemm_available() { return isa_at_least(isa_active(), Isa::kAvx2); }

void skinny_gemm(int64_t m, int64_t n, int64_t k, const float* x, int64_t ldx, const float* w,
                 float beta, float* y, int64_t ldy) {
  int64_t col = 0;
  switch (isa_active()) {
    case Isa::kAvx512Bf16:  // no float32 kernel of its own: AVX-512's
    case Isa::kAvx512:
      col = columns_avx512(m, n, k, x, ldx, w, beta, y, ldy);
      break;
    case Isa::kAvx2:
      col = columns_avx2(m, n, k, x, ldx, w, beta, y, ldy);
      break;
    case Isa::kScalar:
      break;
  }
  for (; col < n; ++col) {
    for (int64_t row = 0; row < m; ++row) {
      store(y + row * ldy + col, dot(k, x + row * ldx, w + col * k), beta);
    }
  }
}

}  // namespace clipsearch
