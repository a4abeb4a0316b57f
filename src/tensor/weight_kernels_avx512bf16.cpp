// BF16 arithmetic for products of many rows (image batches) on AVX512_BF16 CPUs (Cooper Lake,
// Sapphire Rapids, Zen 4): y = beta * y + bf16(x) . W^T, with VDPBF16PS multiplying pairs of
// BF16 values and accumulating in float32.
//
// Operands, per block of kDepth inputs:
//   - activations: each row rounded to BF16 (nearest even, VCVTNE2PS2BF16) as it is packed, as
//     [rows][pairs] 32-bit pairs (input 2p in the low half, 2p + 1 in the high half), the odd
//     tail padded with zero;
//   - weights: a panel of kPanelCols output columns repacked from the matrix's own [out, in]
//     storage into [pairs][kPanelCols] pairs, the layout VDPBF16PS multiplies a broadcast pair
//     of x by (columns past the end and the padded input are zero). BF16 weights are copied;
//     int8 weights become the BF16 of their integer (exact: |q| <= 127 fits BF16's 8 bits) and
//     the row's scale multiplies the finished float32 dot product.
// A BF16 matrix of the forward pass is packed so once at load (Bf16Packed, tensor/bf16_packed.h)
// and its panels read in place; a few-row product reads the same packing with float32 FMAs
// (packed_skinny). Int8 weights, and BF16 matrices not packed, are repacked per panel and per
// block of rows: about one pass over the panel per kRowBlock rows of products, which keeps int8's
// one byte a weight (a packed int8 would be its BF16, twice the memory).
// Register tile: kTileRows rows x 2 vectors of 16 columns = 28 zmm accumulators of the 32.
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cstring>
#include <utility>
#include <vector>

#include "core/half.h"
#include "core/simd_target.h"
#include "tensor/bf16_packed.h"
#include "tensor/skinny_gemm.h"
#include "tensor/weight_kernels.h"

namespace clipsearch::weight_internal {
namespace {

constexpr int kVectors = 2;                // zmm vectors of 16 output columns per tile
constexpr int kPanelCols = 16 * kVectors;  // output columns per weight panel
static_assert(kPanelCols == Bf16Packed::kPanelCols);
constexpr int kTileRows = 14;       // rows of x per register tile
constexpr int64_t kDepth = 256;     // inputs per block: a panel is 16 KiB, in L1
constexpr int64_t kRowBlock = 512;  // rows per block: packed x is 256 KiB, in L2
constexpr __mmask16 kAll = 0xffff;

__mmask16 first_lanes(int64_t n) {
  return n >= 16 ? kAll : static_cast<__mmask16>((1u << std::max<int64_t>(n, 0)) - 1);
}

// The activations of `rows` rows, inputs [k0, k0 + depth), as BF16 pairs in tiles of kTileRows
// rows: dst[(r / kTileRows) * tile + p * kTileRows + r % kTileRows] = the pair (x[r][k0 + 2p],
// x[r][k0 + 2p + 1]) for p < (depth + 1) / 2, with tile = kTileRows * ld and an input past
// `depth` read as zero. Interleaved so that a register tile reads its rows' pairs as one stream.
CLIPSEARCH_TARGET_AVX512_BF16 void pack_rows(const float* x, int64_t ldx, int64_t rows, int64_t k0,
                                             int64_t depth, uint32_t* dst, int64_t ld) {
  const int64_t pairs = (depth + 1) / 2;
  std::vector<uint32_t> row(static_cast<size_t>(pairs + 16));
  for (int64_t r = 0; r < rows; ++r) {
    const float* src = x + r * ldx + k0;
    for (int64_t t = 0; t < depth; t += 32) {
      const int64_t n = std::min<int64_t>(32, depth - t);
      const __m512 lo = _mm512_maskz_loadu_ps(first_lanes(n), src + t);
      const __m512 hi = _mm512_maskz_loadu_ps(first_lanes(n - 16), src + t + 16);
      _mm512_storeu_si512(row.data() + t / 2, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
    }
    uint32_t* d = dst + (r / kTileRows) * kTileRows * ld + r % kTileRows;
    for (int64_t p = 0; p < pairs; ++p) d[p * kTileRows] = row[static_cast<size_t>(p)];
  }
}

// The BF16 bits of each weight type, exact.
inline uint32_t weight_bits(uint16_t v) { return v; }
inline uint32_t weight_bits(int8_t v) { return f32_to_bf16(static_cast<float>(v)); }

// 16 consecutive pairs of weights from `src` (32 values) as BF16 pairs.
CLIPSEARCH_TARGET_AVX512_BF16 inline __m512i load_pairs16(const uint16_t* src) {
  return _mm512_loadu_si512(src);
}
CLIPSEARCH_TARGET_AVX512_BF16 inline __m512 int8_to_f32(const int8_t* src) {
  return _mm512_maskz_cvtepi32_ps(
      kAll,
      _mm512_maskz_cvtepi8_epi32(kAll, _mm_loadu_si128(reinterpret_cast<const __m128i*>(src))));
}
CLIPSEARCH_TARGET_AVX512_BF16 inline __m512i load_pairs16(const int8_t* src) {
  return (__m512i)_mm512_cvtne2ps_pbh(int8_to_f32(src + 16), int8_to_f32(src));
}

// r[i][q] -> r[q][i] for a 16 x 16 block of 32-bit values: pairs within 128-bit lanes, then
// 64-bit halves, then the lanes.
CLIPSEARCH_TARGET_AVX512_BF16 void transpose16(__m512i r[16]) {
  __m512i t[16], u[16];
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_maskz_unpacklo_epi32(kAll, r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_maskz_unpackhi_epi32(kAll, r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 4; ++i) {  // u[4i + e], lane j: rows 4i..4i+3 of element 4j + e
    u[4 * i] = _mm512_maskz_unpacklo_epi64(0xff, t[4 * i], t[4 * i + 2]);
    u[4 * i + 1] = _mm512_maskz_unpackhi_epi64(0xff, t[4 * i], t[4 * i + 2]);
    u[4 * i + 2] = _mm512_maskz_unpacklo_epi64(0xff, t[4 * i + 1], t[4 * i + 3]);
    u[4 * i + 3] = _mm512_maskz_unpackhi_epi64(0xff, t[4 * i + 1], t[4 * i + 3]);
  }
  for (int e = 0; e < 4; ++e) {
    const __m512i v0 = _mm512_maskz_shuffle_i32x4(kAll, u[e], u[4 + e], 0x44);
    const __m512i v1 = _mm512_maskz_shuffle_i32x4(kAll, u[e], u[4 + e], 0xee);
    const __m512i v2 = _mm512_maskz_shuffle_i32x4(kAll, u[8 + e], u[12 + e], 0x44);
    const __m512i v3 = _mm512_maskz_shuffle_i32x4(kAll, u[8 + e], u[12 + e], 0xee);
    r[e] = _mm512_maskz_shuffle_i32x4(kAll, v0, v2, 0x88);
    r[4 + e] = _mm512_maskz_shuffle_i32x4(kAll, v0, v2, 0xdd);
    r[8 + e] = _mm512_maskz_shuffle_i32x4(kAll, v1, v3, 0x88);
    r[12 + e] = _mm512_maskz_shuffle_i32x4(kAll, v1, v3, 0xdd);
  }
}

// Columns [j0, j0 + 16) by pairs [p0, p0 + 16) of the panel, from whole rows of the weights.
template <class T>
CLIPSEARCH_TARGET_AVX512_BF16 void pack_block16(const T* w, int64_t k, int64_t p0,
                                                uint32_t* panel) {
  __m512i r[16];
  for (int i = 0; i < 16; ++i) r[i] = load_pairs16(w + i * k + 2 * p0);
  transpose16(r);
  for (int q = 0; q < 16; ++q) _mm512_storeu_si512(panel + (p0 + q) * kPanelCols, r[q]);
}

// panel[p * kPanelCols + j] = pair (w[c0 + j][k0 + 2p], w[c0 + j][k0 + 2p + 1]) for j < cols,
// zero for cols <= j < kPanelCols and past `depth`. Blocks of 16 columns x 16 pairs are
// transposed in registers; the edges are copied one pair at a time.
template <class T>
CLIPSEARCH_TARGET_AVX512_BF16 void pack_panel(const T* w, int64_t k, int64_t c0, int64_t cols,
                                              int64_t k0, int64_t depth, uint32_t* panel) {
  const int64_t pairs = (depth + 1) / 2, even = depth / 2;
  std::memset(panel, 0, static_cast<size_t>(pairs * kPanelCols) * sizeof(uint32_t));
  const int64_t block_cols = cols / 16 * 16, block_pairs = even / 16 * 16;
  for (int64_t j = 0; j < block_cols; j += 16) {
    for (int64_t p = 0; p < block_pairs; p += 16)
      pack_block16(w + (c0 + j) * k + k0, k, p, panel + j);
  }
  for (int64_t j = 0; j < cols; ++j) {
    const T* src = w + (c0 + j) * k + k0;
    uint32_t* d = panel + j;
    for (int64_t p = j < block_cols ? block_pairs : 0; p < even; ++p) {
      d[p * kPanelCols] = weight_bits(src[2 * p]) | weight_bits(src[2 * p + 1]) << 16;
    }
    if (even < pairs) d[even * kPanelCols] = weight_bits(src[2 * even]);
  }
}

// The R x kPanelCols tile at y: y = beta * y + scale . (x pairs . panel), columns >= cols left
// alone; beta 0 does not read y.
template <int R>
CLIPSEARCH_TARGET_AVX512_BF16 void tile(int64_t pairs, const uint32_t* a, const uint32_t* panel,
                                        const float* scale, int64_t cols, float beta, float* y,
                                        int64_t ldy) {
  __m512 acc[R][kVectors];
  for (int r = 0; r < R; ++r) {
    for (int v = 0; v < kVectors; ++v) acc[r][v] = _mm512_setzero_ps();
  }
  for (int64_t p = 0; p < pairs; ++p) {
    __m512bh w[kVectors];
    for (int v = 0; v < kVectors; ++v) {
      w[v] = (__m512bh)_mm512_loadu_si512(panel + p * kPanelCols + 16 * v);
    }
    for (int r = 0; r < R; ++r) {
      const __m512bh xr = (__m512bh)_mm512_set1_epi32(static_cast<int>(a[p * kTileRows + r]));
      for (int v = 0; v < kVectors; ++v) acc[r][v] = _mm512_dpbf16_ps(acc[r][v], xr, w[v]);
    }
  }
  for (int v = 0; v < kVectors; ++v) {
    const __mmask16 lanes = first_lanes(cols - 16 * v);
    const __m512 s = _mm512_loadu_ps(scale + 16 * v);
    for (int r = 0; r < R; ++r) {
      float* dst = y + r * ldy + 16 * v;
      __m512 out = _mm512_maskz_mul_ps(kAll, acc[r][v], s);
      if (beta != 0.0f) {
        out = _mm512_maskz_fmadd_ps(kAll, _mm512_set1_ps(beta), _mm512_maskz_loadu_ps(lanes, dst),
                                    out);
      }
      _mm512_mask_storeu_ps(dst, lanes, out);
    }
  }
}

using TileFn = void (*)(int64_t, const uint32_t*, const uint32_t*, const float*, int64_t, float,
                        float*, int64_t);

template <int... R>
constexpr std::array<TileFn, sizeof...(R)> tiles(std::integer_sequence<int, R...>) {
  return {tile<R + 1>...};
}
// kTiles[r - 1] multiplies r rows.
constexpr auto kTiles = tiles(std::make_integer_sequence<int, kTileRows>());

// Panels repacked from a matrix's [out, in] storage, into one buffer reused per panel.
template <class T>
class RepackedPanels {
 public:
  RepackedPanels(const T* w, int64_t k, int64_t ld)
      : w_(w), k_(k), buffer_(static_cast<size_t>(ld * kPanelCols)) {}
  const uint32_t* panel(int64_t c, int64_t cols, int64_t k0, int64_t depth) {
    pack_panel(w_, k_, c, cols, k0, depth, buffer_.data());
    return buffer_.data();
  }

 private:
  const T* w_;
  int64_t k_;
  std::vector<uint32_t> buffer_;
};

// Panels packed at load, read in place (k0 is a multiple of kDepth, so even).
class PackedPanels {
 public:
  explicit PackedPanels(const Bf16Packed& w) : w_(w) {}
  const uint32_t* panel(int64_t c, int64_t /*cols*/, int64_t k0, int64_t /*depth*/) const {
    return w_.panel(c) + (k0 / 2) * kPanelCols;
  }

 private:
  const Bf16Packed& w_;
};

// y[r][c] = beta * y[r][c] + scale[c] * (bf16(x[r]) . w(c, :)) for c in [col0, col1), the panels
// from `panels`.
template <class Panels>
void product(int64_t m, const float* x, int64_t ldx, Panels& panels, const float* scales, int64_t k,
             int64_t col0, int64_t col1, float beta, float* y, int64_t ldy) {
  const int64_t ld = (std::min(k, kDepth) + 1) / 2;  // pairs per packed row
  const int64_t tiles_max = (std::min(m, kRowBlock) + kTileRows - 1) / kTileRows;
  std::vector<uint32_t> a(static_cast<size_t>(tiles_max * kTileRows * ld));
  float scale[kPanelCols];
  for (int64_t r0 = 0; r0 < m; r0 += kRowBlock) {
    const int64_t rows = std::min(kRowBlock, m - r0);
    for (int64_t k0 = 0; k0 < k; k0 += kDepth) {
      const int64_t depth = std::min(kDepth, k - k0), pairs = (depth + 1) / 2;
      const float b = k0 == 0 ? beta : 1.0f;  // later blocks of inputs accumulate onto the first
      pack_rows(x + r0 * ldx, ldx, rows, k0, depth, a.data(), ld);
      for (int64_t c = col0; c < col1; c += kPanelCols) {
        const int64_t cols = std::min<int64_t>(kPanelCols, col1 - c);
        const uint32_t* panel = panels.panel(c, cols, k0, depth);
        for (int64_t j = 0; j < kPanelCols; ++j) {
          scale[j] = scales != nullptr && j < cols ? scales[c + j] : 1.0f;
        }
        for (int64_t t = 0; t < rows; t += kTileRows) {
          const int64_t n = std::min<int64_t>(kTileRows, rows - t);
          kTiles[static_cast<size_t>(n - 1)](pairs, a.data() + t * ld, panel, scale, cols, b,
                                             y + (r0 + t) * ldy + c, ldy);
        }
      }
    }
  }
}

template <class T>
void repacking_product(int64_t m, const float* x, int64_t ldx, const T* w, const float* scales,
                       int64_t k, int64_t col0, int64_t col1, float beta, float* y, int64_t ldy) {
  RepackedPanels<T> panels(w, k, (std::min(k, kDepth) + 1) / 2);
  product(m, x, ldx, panels, scales, k, col0, col1, beta, y, ldy);
}

// Few rows (text queries): float32 FMAs on the packed pairs widened in registers (a BF16 value
// is the high half of its float32), the activations not rounded, as the other levels' skinny
// kernels compute; the weights stream once at two bytes. R rows x kPanelCols columns.
template <int R>
CLIPSEARCH_TARGET_AVX512_BF16 void skinny_tile(int64_t k, const float* x, int64_t ldx,
                                               const uint32_t* panel, int64_t cols, float beta,
                                               float* y, int64_t ldy) {
  const __m512i high = _mm512_set1_epi32(static_cast<int>(0xffff0000u));
  __m512 acc[R][kVectors];
  for (int r = 0; r < R; ++r) {
    for (int v = 0; v < kVectors; ++v) acc[r][v] = _mm512_setzero_ps();
  }
  const int64_t even = k / 2;
  for (int64_t p = 0; p < (k + 1) / 2; ++p) {
    __m512 lo[kVectors], hi[kVectors];
    for (int v = 0; v < kVectors; ++v) {
      const __m512i pair = _mm512_loadu_si512(panel + p * kPanelCols + 16 * v);
      lo[v] = _mm512_castsi512_ps(_mm512_maskz_slli_epi32(kAll, pair, 16));
      hi[v] = _mm512_castsi512_ps(_mm512_maskz_and_epi32(kAll, pair, high));
    }
    for (int r = 0; r < R; ++r) {
      const float* xr = x + r * ldx + 2 * p;
      const __m512 x0 = _mm512_set1_ps(xr[0]);
      for (int v = 0; v < kVectors; ++v)
        acc[r][v] = _mm512_maskz_fmadd_ps(kAll, x0, lo[v], acc[r][v]);
      if (p == even) continue;  // odd k: the last pair has no second input
      const __m512 x1 = _mm512_set1_ps(xr[1]);
      for (int v = 0; v < kVectors; ++v)
        acc[r][v] = _mm512_maskz_fmadd_ps(kAll, x1, hi[v], acc[r][v]);
    }
  }
  for (int v = 0; v < kVectors; ++v) {
    const __mmask16 lanes = first_lanes(cols - 16 * v);
    for (int r = 0; r < R; ++r) {
      float* dst = y + r * ldy + 16 * v;
      __m512 out = acc[r][v];
      if (beta != 0.0f) {
        out = _mm512_maskz_fmadd_ps(kAll, _mm512_set1_ps(beta), _mm512_maskz_loadu_ps(lanes, dst),
                                    out);
      }
      _mm512_mask_storeu_ps(dst, lanes, out);
    }
  }
}

constexpr int kSkinnyTileRows = 8;  // 16 accumulators, 4 widened weight vectors
using SkinnyTileFn = void (*)(int64_t, const float*, int64_t, const uint32_t*, int64_t, float,
                              float*, int64_t);
template <int... R>
constexpr std::array<SkinnyTileFn, sizeof...(R)> skinny_tiles(std::integer_sequence<int, R...>) {
  return {skinny_tile<R + 1>...};
}
// kSkinnyTiles[r - 1] multiplies r rows.
constexpr auto kSkinnyTiles = skinny_tiles(std::make_integer_sequence<int, kSkinnyTileRows>());

void packed_product(bool bf16_arithmetic, int64_t m, const float* x, int64_t ldx,
                    const Bf16Packed& w, int64_t col0, int64_t col1, float beta, float* y,
                    int64_t ldy) {
  assert(col0 % kPanelCols == 0 && (bf16_arithmetic || m <= kSkinnyMaxRows));
  if (bf16_arithmetic) {
    PackedPanels panels(w);
    product(m, x, ldx, panels, nullptr, w.in, col0, col1, beta, y, ldy);
    return;
  }
  for (int64_t c = col0; c < col1; c += kPanelCols) {
    const int64_t cols = std::min<int64_t>(kPanelCols, col1 - c);
    for (int64_t r = 0; r < m; r += kSkinnyTileRows) {
      const int64_t n = std::min<int64_t>(kSkinnyTileRows, m - r);
      kSkinnyTiles[static_cast<size_t>(n - 1)](w.in, x + r * ldx, ldx, w.panel(c), cols, beta,
                                               y + r * ldy + c, ldy);
    }
  }
}

void bf16_product(int64_t m, const float* x, int64_t ldx, const WeightMatrix& w, int64_t col0,
                  int64_t col1, float beta, float* y, int64_t ldy) {
  switch (w.type()) {
    case WeightType::kBF16:
      return repacking_product(m, x, ldx, w.u16_data(), nullptr, w.in(), col0, col1, beta, y, ldy);
    case WeightType::kInt8:
      return repacking_product(m, x, ldx, w.i8_data(), w.scales(), w.in(), col0, col1, beta, y,
                               ldy);
    case WeightType::kF16:  // no FP16 arithmetic here: rounding F16 weights to BF16 would lose bits
    case WeightType::kF32:
      break;
  }
}

}  // namespace

const WeightKernels kAvx512Bf16 = {to_f32_avx512, skinny_avx2, bf16_product, packed_product};

}  // namespace clipsearch::weight_internal
