// dot.h's order with AVX2: the 16 lanes are two 8-float registers, lo (lanes 0-7) and hi
// (lanes 8-15); the tail past the last full 16 updates only the lanes it covers.
#include <immintrin.h>

#include <cstring>

#include "core/simd_target.h"
#include "index/dot_kernels.h"

namespace clipsearch::dot_internal {
namespace {

CLIPSEARCH_TARGET_AVX2 inline float reduce(__m256 lo, __m256 hi) {
  const __m256 s = _mm256_add_ps(lo, hi);                                         // j, j+8
  __m128 t = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));  // j, j+4
  t = _mm_add_ps(t, _mm_movehl_ps(t, t));                                         // j, j+2
  return _mm_cvtss_f32(_mm_add_ss(t, _mm_movehdup_ps(t)));                        // 0, 1
}

// Lanes [0, 8) whose index is below `count`, as an all-ones mask.
CLIPSEARCH_TARGET_AVX2 inline __m256i first_lanes(int64_t count) {
  const __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count)), index);
}

// acc + a * b in the lanes of `mask`, acc elsewhere (masked loads read nothing outside).
CLIPSEARCH_TARGET_AVX2 inline __m256 masked_fma(const float* a, const float* b, __m256i mask,
                                                __m256 acc) {
  const __m256 sum = _mm256_fmadd_ps(_mm256_maskload_ps(a, mask), _mm256_maskload_ps(b, mask), acc);
  return _mm256_blendv_ps(acc, sum, _mm256_castsi256_ps(mask));
}

// Eight F16 values at r as floats; only the first `count` (< 8) are read, the rest are zero.
CLIPSEARCH_TARGET_AVX2_F16C inline __m256 load_f16_partial(const uint16_t* r, int64_t count) {
  alignas(16) uint16_t part[8] = {};
  std::memcpy(part, r, static_cast<size_t>(count) * sizeof(uint16_t));
  return _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(part)));
}

// acc[h] += q * r for the 16 elements at offset `at` (h: the low and high 8), only the first
// `count` of them when count < 16.
CLIPSEARCH_TARGET_AVX2_F16C inline void fma_f16_chunk(const float* q, const uint16_t* r,
                                                      int64_t count, __m256 acc[2]) {
  for (int h = 0; h < 2; ++h) {
    const int64_t n = count - 8 * h;
    if (n >= 8) {
      const __m256 rv =
          _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r + 8 * h)));
      acc[h] = _mm256_fmadd_ps(_mm256_loadu_ps(q + 8 * h), rv, acc[h]);
    } else if (n > 0) {
      const __m256i mask = first_lanes(n);
      const __m256 sum = _mm256_fmadd_ps(_mm256_maskload_ps(q + 8 * h, mask),
                                         load_f16_partial(r + 8 * h, n), acc[h]);
      acc[h] = _mm256_blendv_ps(acc[h], sum, _mm256_castsi256_ps(mask));
    }
  }
}

// One F16 row in dot.h's F16 order: chunk c of 16 elements goes to accumulator pair c mod 4.
CLIPSEARCH_TARGET_AVX2_F16C inline float dot_f16_row(const float* q, const uint16_t* r,
                                                     int64_t dim) {
  __m256 acc[4][2];
  for (auto& pair : acc) pair[0] = pair[1] = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 64 <= dim; i += 64) {
    for (int c = 0; c < 4; ++c) fma_f16_chunk(q + i + 16 * c, r + i + 16 * c, 16, acc[c]);
  }
  for (int c = 0; i < dim; i += 16, ++c) fma_f16_chunk(q + i, r + i, dim - i, acc[c]);
  __m256 folded[2];
  for (int h = 0; h < 2; ++h) {
    folded[h] =
        _mm256_add_ps(_mm256_add_ps(acc[0][h], acc[1][h]), _mm256_add_ps(acc[2][h], acc[3][h]));
  }
  return reduce(folded[0], folded[1]);
}

CLIPSEARCH_TARGET_AVX2_F16C void rows_f16(const float* q, const uint16_t* rows, int64_t n,
                                          int64_t dim, float* out) {
  for (int64_t r = 0; r < n; ++r) {
    prefetch_pages_ahead<kPrefetchAheadF16>(rows + r * dim, sizeof(uint16_t) * dim);
    out[r] = dot_f16_row(q, rows + r * dim, dim);
  }
}

struct Avx2 {
  static constexpr int kQ = 2, kR = 2, kRowsAlone = 1;

  template <int Q, int R>
  CLIPSEARCH_TARGET_AVX2 static void block(const float* q, const float* r, int64_t dim, float* out,
                                           int64_t ld) {
    __m256 lo[Q][R], hi[Q][R];
    for (int a = 0; a < Q; ++a) {
      for (int b = 0; b < R; ++b) lo[a][b] = hi[a][b] = _mm256_setzero_ps();
    }
    int64_t i = 0;
    for (; i + 16 <= dim; i += 16) {
      __m256 r_lo[R], r_hi[R];
      for (int b = 0; b < R; ++b) {
        r_lo[b] = _mm256_loadu_ps(r + b * dim + i);
        r_hi[b] = _mm256_loadu_ps(r + b * dim + i + 8);
      }
      for (int a = 0; a < Q; ++a) {
        const __m256 q_lo = _mm256_loadu_ps(q + a * dim + i);
        const __m256 q_hi = _mm256_loadu_ps(q + a * dim + i + 8);
        for (int b = 0; b < R; ++b) {
          lo[a][b] = _mm256_fmadd_ps(q_lo, r_lo[b], lo[a][b]);
          hi[a][b] = _mm256_fmadd_ps(q_hi, r_hi[b], hi[a][b]);
        }
      }
    }
    if (i < dim) {
      const __m256i mask_lo = first_lanes(dim - i), mask_hi = first_lanes(dim - i - 8);
      for (int a = 0; a < Q; ++a) {
        for (int b = 0; b < R; ++b) {
          const float* qa = q + a * dim + i;
          const float* rb = r + b * dim + i;
          lo[a][b] = masked_fma(qa, rb, mask_lo, lo[a][b]);
          hi[a][b] = masked_fma(qa + 8, rb + 8, mask_hi, hi[a][b]);
        }
      }
    }
    for (int a = 0; a < Q; ++a) {
      for (int b = 0; b < R; ++b) out[a * ld + b] = reduce(lo[a][b], hi[a][b]);
    }
  }
};

}  // namespace

const DotKernels kDotAvx2 = {dot_single<Avx2>, dot_matrix_tiled<Avx2>, rows_f16};

}  // namespace clipsearch::dot_internal
