// The int8 kernels with AVX2: the activations' quantization (used by the vnni level too) and the
// products by vpsignb + vpmaddubsw + vpmaddwd. Compiled everywhere, run only where the CPU has
// AVX2, and tested against the scalar kernels (int8_gemm_test).
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "core/simd_target.h"
#include "tensor/int8_gemm.h"

namespace clipsearch::int8_internal {
namespace {

constexpr int kTileRows = 4;  // 4 rows x 16 channels: 8 accumulators of 16 registers

CLIPSEARCH_TARGET_AVX2 float max_abs_avx2(const float* x, int64_t in) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 lanes = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= in; i += 8) {
    lanes = _mm256_max_ps(lanes, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + i)));
  }
  float stored[8];
  _mm256_storeu_ps(stored, lanes);
  float max_abs = 0;
  for (float v : stored) max_abs = std::max(max_abs, v);
  for (; i < in; ++i) max_abs = std::max(max_abs, std::fabs(x[i]));
  return max_abs;
}

// 8 values scaled, clamped to [-127, 127] and rounded to nearest even, as int32.
CLIPSEARCH_TARGET_AVX2 __m256i quantize8(const float* x, __m256 inv) {
  const __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x), inv);
  const __m256 clamped =
      _mm256_min_ps(_mm256_max_ps(v, _mm256_set1_ps(-127.0f)), _mm256_set1_ps(127.0f));
  return _mm256_cvtps_epi32(clamped);
}

// sums[r][8 h + c] = the products of row r with channel 8 h + c of one block over every group of
// 4 inputs (each int32 lane one channel). Accumulators kept in registers as in
// int8_gemm_vnni.cpp's tile_sums.
template <int MR>
CLIPSEARCH_TARGET_AVX2 void tile_sums(const int8_t* block, int64_t groups, const int8_t* q,
                                      int64_t ldq, int32_t* sums) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i acc[MR][2];
#pragma GCC unroll 4
  for (int r = 0; r < MR; ++r) {
    acc[r][0] = _mm256_setzero_si256();
    acc[r][1] = _mm256_setzero_si256();
  }
  for (int64_t g = 0; g < groups; ++g) {
    const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + g * 64));
    const __m256i w1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + g * 64 + 32));
#pragma GCC unroll 4
    for (int r = 0; r < MR; ++r) {
      int32_t four;
      std::memcpy(&four, q + r * ldq + g * 4, sizeof four);
      const __m256i a = _mm256_set1_epi32(four);
      const __m256i magnitude = _mm256_abs_epi8(a);
      // |a| * (w with a's sign) = a * w; pairs of them summed in int16 (<= 2 * 127 * 127).
      const __m256i p0 = _mm256_maddubs_epi16(magnitude, _mm256_sign_epi8(w0, a));
      const __m256i p1 = _mm256_maddubs_epi16(magnitude, _mm256_sign_epi8(w1, a));
      acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(p0, ones));
      acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(p1, ones));
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < MR; ++r) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(sums + r * 16), acc[r][0]);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(sums + r * 16 + 8), acc[r][1]);
  }
}

// y[r][c0 + c] from sums[r] (16 channels), as int8_dequantize_scalar computes it.
CLIPSEARCH_TARGET_AVX2 void store_tile(const Int8Packed& w, int64_t c0, int rows,
                                       const int32_t* sums, const float* row_scales, float beta,
                                       float* y, int64_t ldy) {
  const int64_t count = std::min<int64_t>(16, w.out - c0);
  for (int r = 0; r < rows; ++r) {
    float* yr = y + r * ldy + c0;
    if (count < 16) {  // the last block of a matrix whose channels are not a multiple of 16
      int8_dequantize_scalar(sums + r * 16, count, row_scales[r], w.scales.data() + c0, beta, yr);
      continue;
    }
    const __m256 row_scale = _mm256_set1_ps(row_scales[r]);
    for (int h = 0; h < 2; ++h) {
      const __m256 scale = _mm256_mul_ps(row_scale, _mm256_loadu_ps(w.scales.data() + c0 + 8 * h));
      const __m256i s = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(sums + r * 16 + 8 * h));
      __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(s), scale);
      if (beta != 0.0f)
        v = _mm256_add_ps(_mm256_mul_ps(_mm256_set1_ps(beta), _mm256_loadu_ps(yr + 8 * h)), v);
      _mm256_storeu_ps(yr + 8 * h, v);
    }
  }
}

template <int MR>
CLIPSEARCH_TARGET_AVX2 void tile(const Int8Packed& w, int64_t b, const int8_t* q, int64_t ldq,
                                 const float* row_scales, float beta, float* y, int64_t ldy) {
  int32_t sums[MR * 16];  // [MR][16]
  const int64_t groups = w.depth / 4;
  tile_sums<MR>(w.data.data() + b * groups * 64, groups, q, ldq, sums);
  store_tile(w, b * 16, MR, sums, row_scales, beta, y, ldy);
}

// tile<MR> for MR = 1..4 rows: kTiles[MR - 1].
using TileFn = void (*)(const Int8Packed&, int64_t, const int8_t*, int64_t, const float*, float,
                        float*, int64_t);
constexpr std::array<TileFn, kTileRows> kTiles = {tile<1>, tile<2>, tile<3>, tile<4>};

void product_avx2(const Int8Packed& w, int64_t rows, const int8_t* q, int64_t ldq,
                  const float* row_scales, int64_t block0, int64_t block1, float beta, float* y,
                  int64_t ldy) {
  // Blocks outside, rows inside: a block's weights (16 x depth bytes) stay in L1 across the rows.
  for (int64_t b = block0; b < block1; ++b) {
    for (int64_t r = 0; r < rows; r += kTileRows) {
      const int64_t mr = std::min<int64_t>(kTileRows, rows - r);
      kTiles[mr - 1](w, b, q + r * ldq, ldq, row_scales + r, beta, y + r * ldy, ldy);
    }
  }
}

}  // namespace

CLIPSEARCH_TARGET_AVX2 float quantize_avx2(const float* x, int64_t in, int64_t depth,
                                           bool to_unsigned, int8_t* q) {
  const float max_abs = max_abs_avx2(x, in);
  const float inv_scalar = max_abs > 0 ? 127.0f / max_abs : 0.0f;
  const __m256 inv = _mm256_set1_ps(inv_scalar);
  const auto offset = static_cast<uint8_t>(to_unsigned ? 0x80 : 0);
  const __m256i offsets = _mm256_set1_epi8(static_cast<char>(offset));
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  int64_t i = 0;
  for (; i + 32 <= in; i += 32) {
    // packs interleave the 128-bit lanes: the permutation puts the 8 groups of 4 back in order.
    const __m256i p01 = _mm256_packs_epi32(quantize8(x + i, inv), quantize8(x + i + 8, inv));
    const __m256i p23 = _mm256_packs_epi32(quantize8(x + i + 16, inv), quantize8(x + i + 24, inv));
    const __m256i bytes = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(p01, p23), order);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + i), _mm256_xor_si256(bytes, offsets));
  }
  for (; i < in; ++i) q[i] = quantize_value(x[i], inv_scalar, offset);
  std::fill(q + in, q + depth, static_cast<int8_t>(offset));
  return max_abs / 127.0f;
}

const Int8Kernels kAvx2 = {quantize_avx2, product_avx2, false};

}  // namespace clipsearch::int8_internal
