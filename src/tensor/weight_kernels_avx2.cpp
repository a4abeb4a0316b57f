// Panel conversion with AVX2 + F16C, 8 values per step: BF16 by widening and shifting into the
// high half of each float, F16 by vcvtph2ps, int8 by sign extension, conversion and the row's
// scale. The tail of a row goes through the scalar conversions, which give the same values.
#include <immintrin.h>

#include "core/simd_target.h"
#include "tensor/half.h"
#include "tensor/weight_kernels.h"

namespace clipsearch::weight_internal {
namespace {

struct Bf16 {
  CLIPSEARCH_TARGET_AVX2_F16C static __m256 load8(const uint16_t* p, __m256) {
    const __m256i wide =
        _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
  }
  static float one(uint16_t v, float) { return bf16_to_f32(v); }
};

struct F16 {
  CLIPSEARCH_TARGET_AVX2_F16C static __m256 load8(const uint16_t* p, __m256) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static float one(uint16_t v, float) { return f16_to_f32(v); }
};

struct Int8 {
  CLIPSEARCH_TARGET_AVX2_F16C static __m256 load8(const int8_t* p, __m256 scale) {
    const __m256i wide = _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
    return _mm256_mul_ps(scale, _mm256_cvtepi32_ps(wide));
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

const WeightKernels kAvx2 = {to_f32};

}  // namespace clipsearch::weight_internal
