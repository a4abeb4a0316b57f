#include "tensor/int8_gemm.h"

#include <algorithm>
#include <cassert>
#include <vector>

#include "core/thread_pool.h"

namespace clipsearch {
namespace {

using int8_internal::Int8Kernels;

// Rows quantized at a time per thread: 48 rows of fc2's 3072 inputs are 144 KiB, which stay in
// L2 beside the 64 weight columns (192 KiB) that every row tile of the chunk reads.
constexpr int64_t kChunkRows = 48;

// Quantizes rows [0, m) of x into q (depth bytes a row) and their scales.
void quantize_rows(const Int8Kernels& k, int64_t m, const float* x, int64_t ldx,
                   const Int8Packed& w, int8_t* q, float* scales) {
  for (int64_t r = 0; r < m; ++r) {
    scales[r] = k.quantize(x + r * ldx, w.in, w.depth, k.unsigned_activations, q + r * w.depth);
  }
}

// Rows [0, m) against every channel, a chunk of rows at a time, on the calling thread.
void product_by_rows(const Int8Kernels& k, int64_t m, const float* x, int64_t ldx,
                     const Int8Packed& w, float beta, float* y, int64_t ldy) {
  const int64_t chunk = std::min(m, kChunkRows);
  std::vector<int8_t> q(static_cast<size_t>(chunk * w.depth));  // [chunk, depth]
  std::vector<float> scales(static_cast<size_t>(chunk));
  for (int64_t r0 = 0; r0 < m; r0 += chunk) {
    const int64_t rows = std::min(chunk, m - r0);
    quantize_rows(k, rows, x + r0 * ldx, ldx, w, q.data(), scales.data());
    k.product(w, rows, q.data(), w.depth, scales.data(), 0, w.blocks, beta, y + r0 * ldy, ldy);
  }
}

}  // namespace

Int8Packed int8_pack(const int8_t* q, const float* scales, int64_t out, int64_t in) {
  Int8Packed p;
  p.out = out;
  p.in = in;
  p.depth = (in + 3) / 4 * 4;
  p.blocks = (out + 15) / 16;
  p.data.assign(static_cast<size_t>(p.blocks * p.depth * 16), 0);
  p.column_sums.assign(static_cast<size_t>(p.blocks * 16), 0);
  p.scales.assign(static_cast<size_t>(p.blocks * 16), 0.0f);
  parallel_for(
      out,
      [&](int64_t begin, int64_t end) {
        for (int64_t o = begin; o < end; ++o) {
          int8_t* block = p.data.data() + (o / 16) * p.depth * 16 + (o % 16) * 4;
          int32_t sum = 0;
          for (int64_t i = 0; i < in; ++i) {
            const int8_t v = q[o * in + i];
            block[(i / 4) * 64 + i % 4] = v;
            sum += v;
          }
          p.column_sums[static_cast<size_t>(o)] = sum;
          p.scales[static_cast<size_t>(o)] = scales[o];
        }
      },
      16);
  return p;
}

const char* int8_level_name(Int8Level level) {
  switch (level) {
    case Int8Level::kVnni:
      return "avx512vnni";
    case Int8Level::kAvx2:
      return "avx2";
    case Int8Level::kScalar:
      break;
  }
  return "scalar";
}

Int8Level int8_level(Isa isa) {
  if (isa_at_least(isa, Isa::kAvx512) && cpu_has_avx512_vnni()) return Int8Level::kVnni;
  if (isa_at_least(isa, Isa::kAvx2)) return Int8Level::kAvx2;
  return Int8Level::kScalar;
}

Int8Level int8_level_active() {
  static const Int8Level level = int8_level(isa_active());
  return level;
}

namespace int8_internal {

const Int8Kernels& int8_kernels(Int8Level level) {
  switch (level) {
    case Int8Level::kVnni:
      return kVnni;
    case Int8Level::kAvx2:
      return kAvx2;
    case Int8Level::kScalar:
      break;
  }
  return kScalar;
}

void int8_dequantize_scalar(const int32_t* sums, int64_t count, float row_scale,
                            const float* column_scales, float beta, float* y) {
  for (int64_t c = 0; c < count; ++c) {
    const float v = static_cast<float>(sums[c]) * (row_scale * column_scales[c]);
    y[c] = beta == 0.0f ? v : beta * y[c] + v;
  }
}

}  // namespace int8_internal

void int8_linear_single(int64_t m, const float* x, int64_t ldx, const Int8Packed& w, float beta,
                        float* y, int64_t ldy) {
  if (m == 0) return;
  product_by_rows(int8_internal::int8_kernels(int8_level_active()), m, x, ldx, w, beta, y, ldy);
}

void int8_linear(int64_t m, const float* x, int64_t ldx, const Int8Packed& w, float beta, float* y,
                 int64_t ldy) {
  if (m == 0) return;
  const Int8Kernels& k = int8_internal::int8_kernels(int8_level_active());
  const int threads = num_threads();
  if (m >= 32 * threads) {
    parallel_for(
        m,
        [&](int64_t begin, int64_t end) {
          product_by_rows(k, end - begin, x + begin * ldx, ldx, w, beta, y + begin * ldy, ldy);
        },
        16);
    return;
  }
  // Few rows (text queries, one image): quantized once, then each thread reads only the weights
  // of its own channels, four blocks (64 channels) at least.
  std::vector<int8_t> q(static_cast<size_t>(m * w.depth));  // [m, depth]
  std::vector<float> scales(static_cast<size_t>(m));
  quantize_rows(k, m, x, ldx, w, q.data(), scales.data());
  parallel_for(
      w.blocks,
      [&](int64_t begin, int64_t end) {
        k.product(w, m, q.data(), w.depth, scales.data(), begin, end, beta, y, ldy);
      },
      4);
}

}  // namespace clipsearch
