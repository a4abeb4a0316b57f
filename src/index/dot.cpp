#include "index/dot.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

namespace clipsearch {
namespace {

#if defined(__AVX512F__)
// 16 lanes per step, the tail read with a mask; one accumulator per row, ROWS rows per pass
// so ROWS independent FMA chains hide the instruction latency.
template <int ROWS>
void dot_block(const float* q, const float* rows, int64_t dim, float* out) {
  __m512 acc[ROWS];
  for (int r = 0; r < ROWS; ++r) acc[r] = _mm512_setzero_ps();
  for (int64_t i = 0; i < dim; i += 16) {
    const int64_t left = dim - i;
    const __mmask16 mask = left >= 16 ? 0xffff : static_cast<__mmask16>((1u << left) - 1);
    const __m512 qv = _mm512_maskz_loadu_ps(mask, q + i);
    for (int r = 0; r < ROWS; ++r) {
      acc[r] = _mm512_fmadd_ps(qv, _mm512_maskz_loadu_ps(mask, rows + r * dim + i), acc[r]);
    }
  }
  for (int r = 0; r < ROWS; ++r) {
    // Through memory: GCC 12's 512-bit extract intrinsics (and so _mm512_reduce_add_ps) trip
    // -Wuninitialized.
    alignas(64) float lanes[16];
    _mm512_store_ps(lanes, acc[r]);
    __m256 v = _mm256_add_ps(_mm256_load_ps(lanes), _mm256_load_ps(lanes + 8));
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    out[r] = _mm_cvtss_f32(s);
  }
}
#elif defined(__AVX2__) && defined(__FMA__)
float horizontal_sum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

template <int ROWS>
void dot_block(const float* q, const float* rows, int64_t dim, float* out) {
  __m256 acc[ROWS];
  for (int r = 0; r < ROWS; ++r) acc[r] = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= dim; i += 8) {
    const __m256 qv = _mm256_loadu_ps(q + i);
    for (int r = 0; r < ROWS; ++r) {
      acc[r] = _mm256_fmadd_ps(qv, _mm256_loadu_ps(rows + r * dim + i), acc[r]);
    }
  }
  for (int r = 0; r < ROWS; ++r) {
    float s = horizontal_sum(acc[r]);
    for (int64_t t = i; t < dim; ++t) s += q[t] * rows[r * dim + t];
    out[r] = s;
  }
}
#else
template <int ROWS>
void dot_block(const float* q, const float* rows, int64_t dim, float* out) {
  for (int r = 0; r < ROWS; ++r) {
    float s = 0;
    for (int64_t i = 0; i < dim; ++i) s += q[i] * rows[r * dim + i];
    out[r] = s;
  }
}
#endif

}  // namespace

void dot_rows(const float* query, const float* rows, int64_t n, int64_t dim, float* out) {
  int64_t r = 0;
  for (; r + 4 <= n; r += 4) dot_block<4>(query, rows + r * dim, dim, out + r);
  for (; r < n; ++r) dot_block<1>(query, rows + r * dim, dim, out + r);
}

float dot(const float* query, const float* row, int64_t dim) {
  float out;
  dot_block<1>(query, row, dim, &out);
  return out;
}

}  // namespace clipsearch
