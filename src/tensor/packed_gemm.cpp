#include "tensor/packed_gemm.h"

#include <algorithm>

#include "core/isa.h"
#include "core/simd_target.h"
#include "core/thread_pool.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace clipsearch {
namespace {

// Rows per register block; inputs per pass over the weight (a pass's two panels, kDepth x 32
// floats = 32 KiB, stay in L1 while the rows stream past them); rows per pass (kBlockRows x kDepth
// floats, 192 KiB, in L2 for every group of panels). The kernel reads the rows where they are (a
// 1x1 convolution's activations, the patch matrix, Winograd's transformed tiles): copying them
// first cost 3% of an RN50 image. Except when rows lie a multiple of 4 KiB apart (1024 or 2048
// channels): then a pass's rows would share few L2 sets, and they are copied into a buffer whose
// stride, padded by a cache line, spreads them.
constexpr int64_t kRows = 6;
constexpr int64_t kDepth = 256;
constexpr int64_t kRowStride = kDepth + 16;
constexpr int64_t kBlockRows = 32 * kRows;

bool reads_in_place(int64_t ldx) { return ldx % 1024 != 0; }

// The arguments of one register block: rows x [r * ldx + k] (in place or copied) against `panels`
// panels starting at `w` (panel stride `panel_stride`), writing outputs [0, cols) of rows y, y +
// ldy, ...; `bias` (offset to the block's first output) and `relu` as PackedOutput's, null and
// false before the last pass.
struct Block {
  const float* x;
  int64_t ldx;
  const float* w;
  int64_t panel_stride, depth;
  float beta;
  float* y;
  int64_t ldy, cols;
  const float* bias;
  bool relu;
};

// ref: bias_activation (ops.h) after the product: the bias added, then max(v, 0) (0 for NaN).
float finish_scalar(const Block& b, float v, int64_t col) {
  if (b.bias != nullptr) v += b.bias[col];
  return b.relu ? std::max(0.0f, v) : v;
}

// Plain C++ (the compiler vectorizes the 16 outputs of a panel at the baseline level).
void block_scalar(const Block& b, int64_t rows) {
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c0 = 0; c0 < b.cols; c0 += kPackedPanel) {
      const float* w = b.w + (c0 / kPackedPanel) * b.panel_stride;
      float acc[kPackedPanel] = {};
      for (int64_t k = 0; k < b.depth; ++k) {
        const float a = b.x[r * b.ldx + k];
        for (int64_t j = 0; j < kPackedPanel; ++j) acc[j] += a * w[k * kPackedPanel + j];
      }
      float* out = b.y + r * b.ldy + c0;
      const int64_t cols = std::min(kPackedPanel, b.cols - c0);
      for (int64_t j = 0; j < cols; ++j) {
        out[j] = finish_scalar(b, b.beta == 0.0f ? acc[j] : b.beta * out[j] + acc[j], c0 + j);
      }
    }
  }
}

#if defined(__x86_64__)
template <int kR, int kP>
CLIPSEARCH_TARGET_AVX512 void block_avx512(const Block& b) {
  __m512 acc[kR][kP];
#pragma GCC unroll 16
  for (int r = 0; r < kR; ++r) {
#pragma GCC unroll 2
    for (int p = 0; p < kP; ++p) acc[r][p] = _mm512_setzero_ps();
  }
  for (int64_t k = 0; k < b.depth; ++k) {
    __m512 w[kP];
#pragma GCC unroll 2
    for (int p = 0; p < kP; ++p) w[p] = _mm512_loadu_ps(b.w + p * b.panel_stride + k * 16);
#pragma GCC unroll 16
    for (int r = 0; r < kR; ++r) {
      const __m512 a = _mm512_set1_ps(b.x[r * b.ldx + k]);
#pragma GCC unroll 2
      for (int p = 0; p < kP; ++p) acc[r][p] = _mm512_fmadd_ps(a, w[p], acc[r][p]);
    }
  }
  const __m512 beta = _mm512_set1_ps(b.beta);
#pragma GCC unroll 2
  for (int p = 0; p < kP; ++p) {
    const int64_t left = b.cols - p * 16;
    if (left <= 0) break;
    const __mmask16 mask = left >= 16 ? __mmask16(0xffff) : __mmask16((1u << left) - 1);
    const __m512 bias =
        b.bias == nullptr ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(mask, b.bias + p * 16);
#pragma GCC unroll 16
    for (int r = 0; r < kR; ++r) {
      float* out = b.y + r * b.ldy + p * 16;
      __m512 v = acc[r][p];
      if (b.beta != 0.0f) {
        v = _mm512_add_ps(_mm512_mul_ps(beta, _mm512_maskz_loadu_ps(mask, out)), v);
      }
      if (b.bias != nullptr) v = _mm512_add_ps(v, bias);
      // 0 for NaN, as ops.h's ReLU (maskz: GCC 12 warns on _mm512_max_ps's undefined source).
      if (b.relu) v = _mm512_maskz_max_ps(__mmask16(0xffff), v, _mm512_setzero_ps());
      _mm512_mask_storeu_ps(out, mask, v);
    }
  }
}

template <int kR>
CLIPSEARCH_TARGET_AVX2 void block_avx2(const Block& b) {
  __m256 acc[kR][2];
#pragma GCC unroll 16
  for (int r = 0; r < kR; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  for (int64_t k = 0; k < b.depth; ++k) {
    const __m256 w0 = _mm256_loadu_ps(b.w + k * 16), w1 = _mm256_loadu_ps(b.w + k * 16 + 8);
#pragma GCC unroll 16
    for (int r = 0; r < kR; ++r) {
      const __m256 a = _mm256_broadcast_ss(b.x + r * b.ldx + k);
      acc[r][0] = _mm256_fmadd_ps(a, w0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(a, w1, acc[r][1]);
    }
  }
  for (int r = 0; r < kR; ++r) {
    alignas(32) float tmp[16];
    _mm256_store_ps(tmp, acc[r][0]);
    _mm256_store_ps(tmp + 8, acc[r][1]);
    float* out = b.y + r * b.ldy;
    const int64_t cols = std::min<int64_t>(b.cols, 16);
    for (int64_t c = 0; c < cols; ++c) {
      out[c] = finish_scalar(b, b.beta == 0.0f ? tmp[c] : b.beta * out[c] + tmp[c], c);
    }
  }
}

// Rows [0, rows) (rows <= kRows) against panels [0, panels) (at most 2) at AVX-512.
template <int kP>
void rows_avx512(const Block& b, int64_t rows) {
  switch (rows) {
    case 6:
      return block_avx512<6, kP>(b);
    case 5:
      return block_avx512<5, kP>(b);
    case 4:
      return block_avx512<4, kP>(b);
    case 3:
      return block_avx512<3, kP>(b);
    case 2:
      return block_avx512<2, kP>(b);
    default:
      return block_avx512<1, kP>(b);
  }
}

void rows_avx2(const Block& b, int64_t rows) {
  switch (rows) {
    case 6:
      return block_avx2<6>(b);
    case 5:
      return block_avx2<5>(b);
    case 4:
      return block_avx2<4>(b);
    case 3:
      return block_avx2<3>(b);
    case 2:
      return block_avx2<2>(b);
    default:
      return block_avx2<1>(b);
  }
}
#endif

// Rows [r0, r0 + rows) x inputs [k0, k0 + depth) of x into the pass's buffer: dst[j * kRowStride
// + k] = x[r0 + j][k0 + k].
void copy_rows(const float* x, int64_t ldx, int64_t r0, int64_t rows, int64_t k0, int64_t depth,
               float* dst) {
  for (int64_t j = 0; j < rows; ++j) {
    const float* src = x + (r0 + j) * ldx + k0;
    std::copy(src, src + depth, dst + j * kRowStride);
  }
}

// One pass of inputs [k0, k0 + depth) over outputs [col0, col1), kBlockRows rows at a time: the
// rows copied where reads_in_place says so, then every register block against each group of
// panels (two at AVX-512, one below).
void pass(Isa isa, int64_t m, const float* x, int64_t ldx, const PackedWeights& w, int64_t col0,
          int64_t col1, int64_t k0, int64_t depth, float beta, float* y, int64_t ldy,
          const PackedOutput& output, std::vector<float>& rows_buffer) {
  const int64_t group = isa_at_least(isa, Isa::kAvx512) ? 2 : 1;
  for (int64_t r0 = 0; r0 < m; r0 += kBlockRows) {
    const int64_t block_rows = std::min(kBlockRows, m - r0);
    const bool in_place = reads_in_place(ldx);
    if (!in_place) copy_rows(x, ldx, r0, block_rows, k0, depth, rows_buffer.data());
    for (int64_t c = col0; c < col1; c += group * kPackedPanel) {
      const int64_t cols = std::min(group * kPackedPanel, col1 - c);
      const int64_t panels = (cols + kPackedPanel - 1) / kPackedPanel;
      for (int64_t r = 0; r < block_rows; r += kRows) {
        const int64_t rows = std::min(kRows, block_rows - r);
        const Block b{in_place ? x + (r0 + r) * ldx + k0 : rows_buffer.data() + r * kRowStride,
                      in_place ? ldx : kRowStride,
                      w.panel(c / kPackedPanel) + k0 * kPackedPanel,
                      w.in() * kPackedPanel,
                      depth,
                      beta,
                      y + (r0 + r) * ldy + c,
                      ldy,
                      cols,
                      output.bias == nullptr ? nullptr : output.bias + c,
                      output.relu};
#if defined(__x86_64__)
        if (group == 2) {
          panels == 2 ? rows_avx512<2>(b, rows) : rows_avx512<1>(b, rows);
          continue;
        }
        if (isa_at_least(isa, Isa::kAvx2)) {
          rows_avx2(b, rows);
          continue;
        }
#endif
        (void)panels;
        block_scalar(b, rows);
      }
    }
  }
}

}  // namespace

PackedWeights::PackedWeights(const float* w, int64_t out, int64_t in)
    : out_(out),
      in_(in),
      data_(static_cast<size_t>((out + kPackedPanel - 1) / kPackedPanel * kPackedPanel * in),
            0.0f) {
  for (int64_t o = 0; o < out; ++o) {
    float* dst = data_.data() + (o / kPackedPanel) * in * kPackedPanel + o % kPackedPanel;
    for (int64_t k = 0; k < in; ++k) dst[k * kPackedPanel] = w[o * in + k];
  }
}

void packed_gemm_single(int64_t m, const float* x, int64_t ldx, const PackedWeights& w,
                        int64_t col0, int64_t col1, float beta, float* y, int64_t ldy,
                        const PackedOutput& output) {
  const Isa isa = isa_active();
  thread_local std::vector<float> rows_buffer(static_cast<size_t>(kBlockRows * kRowStride));
  for (int64_t k0 = 0; k0 < w.in(); k0 += kDepth) {
    const float b = k0 == 0 ? beta : 1.0f;  // later passes accumulate onto the first
    const bool last = k0 + kDepth >= w.in();
    pass(isa, m, x, ldx, w, col0, col1, k0, std::min(kDepth, w.in() - k0), b, y, ldy,
         last ? output : PackedOutput{}, rows_buffer);
  }
}

void packed_gemm(int64_t m, const float* x, int64_t ldx, const PackedWeights& w, float beta,
                 float* y, int64_t ldy, const PackedOutput& output) {
  const int64_t threads = num_threads();
  const int64_t groups = (w.out() + 2 * kPackedPanel - 1) / (2 * kPackedPanel);
  if (groups >= 2 * threads || m < 4 * kRows * threads) {
    // By outputs, in groups of two panels: each thread reads only its share of the weight.
    parallel_for(groups, [&](int64_t begin, int64_t end) {
      packed_gemm_single(m, x, ldx, w, begin * 2 * kPackedPanel,
                         std::min(w.out(), end * 2 * kPackedPanel), beta, y, ldy, output);
    });
    return;
  }
  const int64_t blocks = (m + kRows - 1) / kRows;  // by rows: few outputs, many rows
  parallel_for(blocks, [&](int64_t begin, int64_t end) {
    const int64_t r0 = begin * kRows, r1 = std::min(m, end * kRows);
    packed_gemm_single(r1 - r0, x + r0 * ldx, ldx, w, 0, w.out(), beta, y + r0 * ldy, ldy, output);
  });
}

}  // namespace clipsearch
