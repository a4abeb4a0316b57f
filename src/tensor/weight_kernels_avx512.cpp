// Panel conversion with AVX-512, 16 values per step, as weight_kernels_avx2.cpp does with 8.
// Compiled everywhere, run only where the CPU has AVX-512 (and tested there against the scalar
// kernels by weight_linear_test).
#include <immintrin.h>

#include "core/half.h"
#include "core/simd_target.h"
#include "tensor/weight_kernels.h"

namespace clipsearch::weight_internal {
namespace {

// Every lane: the zero-masking forms below, because GCC 12's unmasked ones start from
// _mm512_undefined_*() and trip -Wmaybe-uninitialized.
constexpr __mmask16 kAll = 0xffff;

struct Bf16 {
  CLIPSEARCH_TARGET_AVX512_F16C static __m512 load16(const uint16_t* p, __m512) {
    const __m512i wide =
        _mm512_maskz_cvtepu16_epi32(kAll, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    return _mm512_castsi512_ps(_mm512_maskz_slli_epi32(kAll, wide, 16));
  }
  static float one(uint16_t v, float) { return bf16_to_f32(v); }
};

struct F16 {
  CLIPSEARCH_TARGET_AVX512_F16C static __m512 load16(const uint16_t* p, __m512) {
    return _mm512_maskz_cvtph_ps(kAll, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static float one(uint16_t v, float) { return f16_to_f32(v); }
};

struct Int8 {
  CLIPSEARCH_TARGET_AVX512_F16C static __m512 load16(const int8_t* p, __m512 scale) {
    const __m512i wide =
        _mm512_maskz_cvtepi8_epi32(kAll, _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    return _mm512_maskz_mul_ps(kAll, scale, _mm512_maskz_cvtepi32_ps(kAll, wide));
  }
  static float one(int8_t v, float scale) { return scale * static_cast<float>(v); }
};

template <class Format, class T>
CLIPSEARCH_TARGET_AVX512_F16C void rows_to_f32(const T* data, const float* scales, int64_t k,
                                               int64_t row0, int64_t rows, int64_t col0,
                                               int64_t cols, float* dst, int64_t ld) {
  for (int64_t r = 0; r < rows; ++r) {
    const T* src = data + (row0 + r) * k + col0;
    const float scale = scales != nullptr ? scales[row0 + r] : 1.0f;
    const __m512 scale16 = _mm512_set1_ps(scale);
    float* d = dst + r * ld;
    int64_t t = 0;
    for (; t + 16 <= cols; t += 16) _mm512_storeu_ps(d + t, Format::load16(src + t, scale16));
    for (; t < cols; ++t) d[t] = Format::one(src[t], scale);
  }
}

}  // namespace

void to_f32_avx512(const WeightMatrix& w, int64_t row0, int64_t rows, int64_t col0, int64_t cols,
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

// Few-row products use the AVX2 kernel (every AVX-512 CPU runs it); a 512-bit one is not
// written yet.
const WeightKernels kAvx512 = {to_f32_avx512, skinny_avx2, nullptr, nullptr};

}  // namespace clipsearch::weight_internal
