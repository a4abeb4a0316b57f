// The int8 products with AVX-512 VNNI: vpdpbusd multiplies 4 u8 activations (qx + 128, stored so
// by the quantization) by 4 s8 weights and adds them to an int32 lane, 64 products an
// instruction; the surplus 128 * sum_i qw[c][i] is taken off with the column sums packed at
// load. Compiled everywhere, run only where the CPU has AVX512_VNNI (int8_level), and tested
// against the scalar kernels (int8_gemm_test).
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "tensor/int8_gemm.h"

// The kAvx512 level's extensions plus VNNI (not in core/simd_target.h: no other kernel needs it).
#define CLIPSEARCH_TARGET_AVX512_VNNI \
  __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512vnni,avx2,fma")))

namespace clipsearch::int8_internal {
namespace {

// A tile is 6 rows x 4 blocks (64 channels): 24 accumulators, 4 weight registers and the
// broadcast activations in the 32 zmm registers; per group of 4 inputs 4 loads, 6 broadcasts
// and 24 vpdpbusd.
constexpr int kTileRows = 6;
constexpr int kTileBlocks = 4;
constexpr __mmask16 kAll = 0xffff;  // zero-masking forms: GCC 12's unmasked ones start from
                                    // _mm512_undefined_*() and trip -Wmaybe-uninitialized

// sums[r][16 j + c] = the u8 sums of row r with channel c of block j over every group of 4
// inputs. The accumulators are a local array with every loop over it unrolled and stored to
// memory at the end: GCC 12 then keeps them in registers (given them by reference, or copied out
// by assignment, it wrote all 24 to the stack on every group).
template <int MR, int NB>
CLIPSEARCH_TARGET_AVX512_VNNI void tile_sums(const int8_t* blocks, int64_t block_bytes,
                                             int64_t groups, const int8_t* q, int64_t ldq,
                                             int32_t* sums) {
  __m512i acc[MR][NB];
#pragma GCC unroll 6
  for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 4
    for (int j = 0; j < NB; ++j) acc[r][j] = _mm512_setzero_si512();
  }
  for (int64_t g = 0; g < groups; ++g) {
    __m512i w[NB];
#pragma GCC unroll 4
    for (int j = 0; j < NB; ++j) w[j] = _mm512_loadu_si512(blocks + j * block_bytes + g * 64);
#pragma GCC unroll 6
    for (int r = 0; r < MR; ++r) {
      int32_t four;
      std::memcpy(&four, q + r * ldq + g * 4, sizeof four);
      const __m512i a = _mm512_set1_epi32(four);
#pragma GCC unroll 4
      for (int j = 0; j < NB; ++j) acc[r][j] = _mm512_dpbusd_epi32(acc[r][j], a, w[j]);
    }
  }
#pragma GCC unroll 6
  for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 4
    for (int j = 0; j < NB; ++j) _mm512_storeu_si512(sums + (r * NB + j) * 16, acc[r][j]);
  }
}

// y for one block of one row, from its u8 sums: the surplus removed, then as
// int8_dequantize_scalar computes it.
CLIPSEARCH_TARGET_AVX512_VNNI void store_block(const Int8Packed& w, int64_t c0, __m512i sums_u8,
                                               float row_scale, float beta, float* y) {
  const __m512i surplus = _mm512_maskz_slli_epi32(
      kAll, _mm512_loadu_si512(w.column_sums.data() + c0), 7);  // 128 * sum_i qw[c][i]
  const __m512i sums = _mm512_sub_epi32(sums_u8, surplus);
  const int64_t count = std::min<int64_t>(16, w.out - c0);
  if (count < 16) {  // the last block of a matrix whose channels are not a multiple of 16
    int32_t stored[16];
    _mm512_storeu_si512(stored, sums);
    int8_dequantize_scalar(stored, count, row_scale, w.scales.data() + c0, beta, y);
    return;
  }
  const __m512 scale =
      _mm512_mul_ps(_mm512_set1_ps(row_scale), _mm512_loadu_ps(w.scales.data() + c0));
  __m512 v = _mm512_mul_ps(_mm512_maskz_cvtepi32_ps(kAll, sums), scale);
  if (beta != 0.0f) v = _mm512_add_ps(_mm512_mul_ps(_mm512_set1_ps(beta), _mm512_loadu_ps(y)), v);
  _mm512_storeu_ps(y, v);
}

template <int MR, int NB>
CLIPSEARCH_TARGET_AVX512_VNNI void tile(const Int8Packed& w, int64_t b, const int8_t* q,
                                        int64_t ldq, const float* row_scales, float beta, float* y,
                                        int64_t ldy) {
  int32_t sums[MR * NB * 16];  // [MR][NB * 16]
  const int64_t groups = w.depth / 4;
  tile_sums<MR, NB>(w.data.data() + b * groups * 64, groups * 64, groups, q, ldq, sums);
  for (int r = 0; r < MR; ++r) {
    for (int j = 0; j < NB; ++j) {
      const int64_t c0 = (b + j) * 16;
      store_block(w, c0, _mm512_loadu_si512(sums + (r * NB + j) * 16), row_scales[r], beta,
                  y + r * ldy + c0);
    }
  }
}

// tile<MR, NB> for MR = 1..6 rows and NB = 1..4 blocks: kTiles[MR - 1][NB - 1].
using TileFn = void (*)(const Int8Packed&, int64_t, const int8_t*, int64_t, const float*, float,
                        float*, int64_t);
template <int MR>
constexpr std::array<TileFn, kTileBlocks> kTileRow = {tile<MR, 1>, tile<MR, 2>, tile<MR, 3>,
                                                      tile<MR, 4>};
constexpr std::array<std::array<TileFn, kTileBlocks>, kTileRows> kTiles = {
    kTileRow<1>, kTileRow<2>, kTileRow<3>, kTileRow<4>, kTileRow<5>, kTileRow<6>};

void product_vnni(const Int8Packed& w, int64_t rows, const int8_t* q, int64_t ldq,
                  const float* row_scales, int64_t block0, int64_t block1, float beta, float* y,
                  int64_t ldy) {
  // Blocks outside, rows inside: 4 blocks of weights (64 x depth bytes, <= 192 KiB for 3072
  // inputs) stay in L2 while every row tile of the chunk passes over them.
  for (int64_t b = block0; b < block1; b += kTileBlocks) {
    const int64_t nb = std::min<int64_t>(kTileBlocks, block1 - b);
    for (int64_t r = 0; r < rows; r += kTileRows) {
      const int64_t mr = std::min<int64_t>(kTileRows, rows - r);
      kTiles[mr - 1][nb - 1](w, b, q + r * ldq, ldq, row_scales + r, beta, y + r * ldy, ldy);
    }
  }
}

}  // namespace

const Int8Kernels kVnni = {quantize_avx2, product_vnni, true};

}  // namespace clipsearch::int8_internal
