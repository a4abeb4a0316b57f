// dot.h's order with AVX-512: the 16 lanes are one register; the tail past the last full 16
// updates only the lanes it covers (masked loads and a masked FMA that keeps the other lanes).
#include <immintrin.h>

#include "core/simd_target.h"
#include "index/dot_kernels.h"

namespace clipsearch::dot_internal {
namespace {

CLIPSEARCH_TARGET_AVX512 inline float reduce(__m512 acc) {
  // Through memory: GCC 12's 512-bit extract intrinsics (and so _mm512_reduce_add_ps) trip
  // -Wuninitialized.
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, acc);
  const __m256 s = _mm256_add_ps(_mm256_load_ps(lanes), _mm256_load_ps(lanes + 8));  // j, j+8
  __m128 t = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));     // j, j+4
  t = _mm_add_ps(t, _mm_movehl_ps(t, t));                                            // j, j+2
  return _mm_cvtss_f32(_mm_add_ss(t, _mm_movehdup_ps(t)));                           // 0, 1
}

// 16 halves as floats, zero outside `mask`. Masked: GCC 12's unmasked _mm512_cvtph_ps trips
// -Wmaybe-uninitialized.
CLIPSEARCH_TARGET_AVX512_F16C inline __m512 widen(__mmask16 mask, __m256i halves) {
  return _mm512_maskz_cvtph_ps(mask, halves);
}

// One F16 row in dot.h's F16 order: chunk c of 16 elements goes to accumulator c mod 4.
CLIPSEARCH_TARGET_AVX512_F16C inline float dot_f16_row(const float* q, const uint16_t* r,
                                                       int64_t dim) {
  __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(),
                   _mm512_setzero_ps()};
  int64_t i = 0;
  for (; i + 64 <= dim; i += 64) {
    for (int c = 0; c < 4; ++c) {
      const __m256i half = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r + i + 16 * c));
      acc[c] = _mm512_fmadd_ps(_mm512_loadu_ps(q + i + 16 * c), widen(0xFFFF, half), acc[c]);
    }
  }
  for (int c = 0; i < dim; i += 16, ++c) {
    const int64_t left = dim - i;
    const auto mask = static_cast<__mmask16>(left >= 16 ? 0xFFFFu : (1u << left) - 1);
    const __m512 rv = widen(mask, _mm256_maskz_loadu_epi16(mask, r + i));
    acc[c] = _mm512_mask3_fmadd_ps(_mm512_maskz_loadu_ps(mask, q + i), rv, acc[c], mask);
  }
  return reduce(_mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3])));
}

CLIPSEARCH_TARGET_AVX512_F16C void rows_f16(const float* q, const uint16_t* rows, int64_t n,
                                            int64_t dim, float* out) {
  for (int64_t r = 0; r < n; ++r) {
    prefetch_pages_ahead<kPrefetchAheadF16>(rows + r * dim, sizeof(uint16_t) * dim);
    out[r] = dot_f16_row(q, rows + r * dim, dim);
  }
}

struct Avx512 {
  static constexpr int kQ = 4, kR = 4, kRowsAlone = 1;

  template <int Q, int R>
  CLIPSEARCH_TARGET_AVX512 static void block(const float* q, const float* r, int64_t dim,
                                             float* out, int64_t ld) {
    __m512 acc[Q][R];
    for (int a = 0; a < Q; ++a) {
      for (int b = 0; b < R; ++b) acc[a][b] = _mm512_setzero_ps();
    }
    int64_t i = 0;
    for (; i + 16 <= dim; i += 16) {
      __m512 rv[R];
      for (int b = 0; b < R; ++b) rv[b] = _mm512_loadu_ps(r + b * dim + i);
      for (int a = 0; a < Q; ++a) {
        const __m512 qv = _mm512_loadu_ps(q + a * dim + i);
        for (int b = 0; b < R; ++b) acc[a][b] = _mm512_fmadd_ps(qv, rv[b], acc[a][b]);
      }
    }
    if (i < dim) {
      const auto mask = static_cast<__mmask16>((1u << (dim - i)) - 1);
      for (int a = 0; a < Q; ++a) {
        const __m512 qv = _mm512_maskz_loadu_ps(mask, q + a * dim + i);
        for (int b = 0; b < R; ++b) {
          const __m512 rv = _mm512_maskz_loadu_ps(mask, r + b * dim + i);
          acc[a][b] = _mm512_mask3_fmadd_ps(qv, rv, acc[a][b], mask);
        }
      }
    }
    for (int a = 0; a < Q; ++a) {
      for (int b = 0; b < R; ++b) out[a * ld + b] = reduce(acc[a][b]);
    }
  }
};

}  // namespace

const DotKernels kDotAvx512 = {dot_single<Avx512>, dot_matrix_tiled<Avx512>, rows_f16};

}  // namespace clipsearch::dot_internal
