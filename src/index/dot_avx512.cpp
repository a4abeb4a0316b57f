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

struct Avx512 {
  static constexpr int kQ = 4, kR = 4, kRowsAlone = 4;

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

const DotKernels kDotAvx512 = {dot_single<Avx512>, dot_matrix_tiled<Avx512>};

}  // namespace clipsearch::dot_internal
