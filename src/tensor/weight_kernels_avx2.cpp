// AVX2 + F16C kernels, 8 values per step: BF16 widened and shifted into the high half of each
// float, F16 by vcvtph2ps, int8 sign-extended and converted (its row's scale applied to the
// panel values, or to each finished dot product in the skinny kernel). The tail of a row goes
// through the scalar conversions, which give the same values.
#include <immintrin.h>

#include "core/half.h"
#include "core/simd_target.h"
#include "tensor/weight_kernels.h"

namespace clipsearch::weight_internal {
namespace {

CLIPSEARCH_TARGET_AVX2_F16C inline float horizontal_sum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Each format: raw8 (8 values as float32, int8 unscaled), load8 (scaled), one (a tail value).
struct Bf16 {
  CLIPSEARCH_TARGET_AVX2_F16C static __m256 raw8(const uint16_t* p) {
    const __m256i wide =
        _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
  }
  CLIPSEARCH_TARGET_AVX2_F16C static __m256 load8(const uint16_t* p, __m256) { return raw8(p); }
  static float one(uint16_t v, float) { return bf16_to_f32(v); }
};

struct F16 {
  CLIPSEARCH_TARGET_AVX2_F16C static __m256 raw8(const uint16_t* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  CLIPSEARCH_TARGET_AVX2_F16C static __m256 load8(const uint16_t* p, __m256) { return raw8(p); }
  static float one(uint16_t v, float) { return f16_to_f32(v); }
};

struct Int8 {
  CLIPSEARCH_TARGET_AVX2_F16C static __m256 raw8(const int8_t* p) {
    const __m256i wide = _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
    return _mm256_cvtepi32_ps(wide);
  }
  CLIPSEARCH_TARGET_AVX2_F16C static __m256 load8(const int8_t* p, __m256 scale) {
    return _mm256_mul_ps(scale, raw8(p));
  }
  static float one(int8_t v, float scale) { return scale * static_cast<float>(v); }
};

template <class Format, class T>
CLIPSEARCH_TARGET_AVX2_F16C void rows_to_f32(const T* data, const float* scales, int64_t k,
                                             int64_t row0, int64_t rows, int64_t col0, int64_t cols,
                                             float* dst, int64_t ld) {
  for (int64_t r = 0; r < rows; ++r) {
    const T* src = data + (row0 + r) * k + col0;
    const float scale = scales != nullptr ? scales[row0 + r] : 1.0f;
    const __m256 scale8 = _mm256_set1_ps(scale);
    float* d = dst + r * ld;
    int64_t t = 0;
    for (; t + 8 <= cols; t += 8) _mm256_storeu_ps(d + t, Format::load8(src + t, scale8));
    for (; t < cols; ++t) d[t] = Format::one(src[t], scale);
  }
}

// out[r][c] = x[r] . W[row c] over k inputs, for R rows of x and C weight rows, converting each
// 8 weights once for all R rows. R * C accumulators + C weights + 1 input fit the 16 registers.
// The weights come unscaled (int8: the caller multiplies by the row's scale).
template <class Format, int R, int C, class T>
CLIPSEARCH_TARGET_AVX2_F16C void dot_block(int64_t k, const float* x, int64_t ldx, const T* w,
                                           float out[R][C]) {
  __m256 acc[R][C];
  for (int r = 0; r < R; ++r) {
    for (int c = 0; c < C; ++c) acc[r][c] = _mm256_setzero_ps();
  }
  int64_t i = 0;
  for (; i + 8 <= k; i += 8) {
    __m256 wv[C];
    for (int c = 0; c < C; ++c) wv[c] = Format::raw8(w + c * k + i);
    for (int r = 0; r < R; ++r) {
      const __m256 xv = _mm256_loadu_ps(x + r * ldx + i);
      for (int c = 0; c < C; ++c) acc[r][c] = _mm256_fmadd_ps(xv, wv[c], acc[r][c]);
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int c = 0; c < C; ++c) {
      float s = horizontal_sum(acc[r][c]);
      for (int64_t t = i; t < k; ++t) s += x[r * ldx + t] * Format::one(w[c * k + t], 1.0f);
      out[r][c] = s;
    }
  }
}

// y[row0 + r][col + c] = beta * y + scale[col + c] * out[r][c]
template <class Format, int R, int C, class T>
CLIPSEARCH_TARGET_AVX2_F16C void rows_block(int64_t row0, int64_t col, int64_t k, const float* x,
                                            int64_t ldx, const T* w, const float* scales,
                                            float beta, float* y, int64_t ldy) {
  float out[R][C];
  dot_block<Format, R, C>(k, x + row0 * ldx, ldx, w + col * k, out);
  for (int r = 0; r < R; ++r) {
    for (int c = 0; c < C; ++c) {
      const float v = scales != nullptr ? out[r][c] * scales[col + c] : out[r][c];
      float* dst = y + (row0 + r) * ldy + col + c;
      *dst = beta == 0.0f ? v : beta * *dst + v;
    }
  }
}

// Every row of x against weight rows [col, col + C): rows in blocks of 6, then what is left.
template <class Format, int C, class T>
CLIPSEARCH_TARGET_AVX2_F16C void columns(int64_t m, int64_t col, int64_t k, const float* x,
                                         int64_t ldx, const T* w, const float* scales, float beta,
                                         float* y, int64_t ldy) {
  int64_t row = 0;
  for (; row + 6 <= m; row += 6)
    rows_block<Format, 6, C>(row, col, k, x, ldx, w, scales, beta, y, ldy);
  switch (m - row) {
    case 5:
      return rows_block<Format, 5, C>(row, col, k, x, ldx, w, scales, beta, y, ldy);
    case 4:
      return rows_block<Format, 4, C>(row, col, k, x, ldx, w, scales, beta, y, ldy);
    case 3:
      return rows_block<Format, 3, C>(row, col, k, x, ldx, w, scales, beta, y, ldy);
    case 2:
      return rows_block<Format, 2, C>(row, col, k, x, ldx, w, scales, beta, y, ldy);
    case 1:
      return rows_block<Format, 1, C>(row, col, k, x, ldx, w, scales, beta, y, ldy);
    default:
      return;
  }
}

// One row of x (a batch-1 product) is bound by reading the weights: 4 weight rows at a time
// give the FMA units independent chains; two or more rows take 2 weight rows x 6 rows of x.
template <class Format, class T>
CLIPSEARCH_TARGET_AVX2_F16C void skinny_rows(int64_t m, const float* x, int64_t ldx, const T* w,
                                             const float* scales, int64_t k, int64_t col0,
                                             int64_t col1, float beta, float* y, int64_t ldy) {
  int64_t col = col0;
  if (m == 1) {
    for (; col + 4 <= col1; col += 4)
      rows_block<Format, 1, 4>(0, col, k, x, ldx, w, scales, beta, y, ldy);
  }
  for (; col + 2 <= col1; col += 2) columns<Format, 2>(m, col, k, x, ldx, w, scales, beta, y, ldy);
  if (col < col1) columns<Format, 1>(m, col, k, x, ldx, w, scales, beta, y, ldy);
}

}  // namespace

void skinny_avx2(int64_t m, const float* x, int64_t ldx, const WeightMatrix& w, int64_t col0,
                 int64_t col1, float beta, float* y, int64_t ldy) {
  const int64_t k = w.in();
  switch (w.type()) {
    case WeightType::kBF16:
      return skinny_rows<Bf16>(m, x, ldx, w.u16_data(), nullptr, k, col0, col1, beta, y, ldy);
    case WeightType::kF16:
      return skinny_rows<F16>(m, x, ldx, w.u16_data(), nullptr, k, col0, col1, beta, y, ldy);
    case WeightType::kInt8:
      return skinny_rows<Int8>(m, x, ldx, w.i8_data(), w.scales(), k, col0, col1, beta, y, ldy);
    case WeightType::kF32:
      return;
  }
}

namespace {

void to_f32(const WeightMatrix& w, int64_t row0, int64_t rows, int64_t col0, int64_t cols,
            float* dst, int64_t ld) {
  switch (w.type()) {
    case WeightType::kBF16:
      return rows_to_f32<Bf16>(w.u16_data(), nullptr, w.in(), row0, rows, col0, cols, dst, ld);
    case WeightType::kF16:
      return rows_to_f32<F16>(w.u16_data(), nullptr, w.in(), row0, rows, col0, cols, dst, ld);
    case WeightType::kInt8:
      return rows_to_f32<Int8>(w.i8_data(), w.scales(), w.in(), row0, rows, col0, cols, dst, ld);
    case WeightType::kF32:
      return kScalar.to_f32(w, row0, rows, col0, cols, dst, ld);
  }
}

}  // namespace

const WeightKernels kAvx2 = {to_f32, skinny_avx2, nullptr, nullptr};

}  // namespace clipsearch::weight_internal
