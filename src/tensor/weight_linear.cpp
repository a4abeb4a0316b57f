#include "tensor/weight_linear.h"

#include <algorithm>
#include <cassert>
#include <vector>

#include "core/thread_pool.h"
#include "tensor/int8_gemm.h"
#include "tensor/skinny_gemm.h"
#include "tensor/weight_kernels.h"

namespace clipsearch {
namespace {

// A panel is kPanelRows weight rows (output columns) by kPanelDepth inputs: 256 x 256 floats =
// 256 KiB, converted once and then read from L2 by every row of x. Measured on ViT-B/32's
// shapes (bench/weight_linear_bench.cpp, one thread): 64 x 512 reached 83% of the float32
// sgemm rate, 256 x 256 about 95% (sgemm repacks the activations once per panel, so wider
// panels pay less; 768 x 256, 768 KiB, gains another 2%).
constexpr int64_t kPanelRows = 256;
constexpr int64_t kPanelDepth = 256;

const WeightKernels& active_kernels() {
  static const WeightKernels& kernels = weight_kernels(isa_active());
  return kernels;
}

}  // namespace

const WeightKernels& weight_kernels(Isa isa) {
  assert(isa_at_least(isa_supported(), isa));
  switch (isa) {
    case Isa::kAvx512Bf16:
      return weight_internal::kAvx512Bf16;
    case Isa::kAvx512:
      return weight_internal::kAvx512;
    case Isa::kAvx2:
      return weight_internal::kAvx2;
    case Isa::kScalar:
      break;
  }
  return weight_internal::kScalar;
}

bool rounds_activations_to_bf16(const WeightKernels& k, WeightType type, int64_t m) {
  return k.bf16 != nullptr && m > kSkinnyMaxRows &&
         (type == WeightType::kBF16 || type == WeightType::kInt8);
}

void weight_product(const WeightKernels& kernels, int64_t m, const float* x, int64_t ldx,
                    const WeightMatrix& w, int64_t col0, int64_t col1, float beta, float* y,
                    int64_t ldy) {
  assert(w.type() != WeightType::kF32);
  if (rounds_activations_to_bf16(kernels, w.type(), m)) {
    kernels.bf16(m, x, ldx, w, col0, col1, beta, y, ldy);
    return;
  }
  if (m <= kSkinnyMaxRows && kernels.skinny != nullptr) {
    kernels.skinny(m, x, ldx, w, col0, col1, beta, y, ldy);
    return;
  }
  const int64_t k = w.in();
  const bool skinny = m <= kSkinnyMaxRows && skinny_gemm_available();
  std::vector<float> panel(static_cast<size_t>(kPanelRows * std::min(k, kPanelDepth)));
  for (int64_t c = col0; c < col1; c += kPanelRows) {
    const int64_t cols = std::min(kPanelRows, col1 - c);
    for (int64_t k0 = 0; k0 < k; k0 += kPanelDepth) {
      const int64_t depth = std::min(kPanelDepth, k - k0);
      const float b = k0 == 0 ? beta : 1.0f;  // later slices of k accumulate onto the first
      kernels.to_f32(w, c, cols, k0, depth, panel.data(), depth);  // [cols, depth]
      if (skinny) {
        skinny_gemm(m, cols, depth, x + k0, ldx, panel.data(), b, y + c, ldy);
      } else {
        gemm_single(m, cols, depth, 1.0f, x + k0, ldx, panel.data(), depth, true, b, y + c, ldy);
      }
    }
  }
}

void linear(int64_t m, const float* x, int64_t ldx, const WeightMatrix& w, float beta, float* y,
            int64_t ldy) {
  if (w.int8_packed() != nullptr) return int8_linear(m, x, ldx, *w.int8_packed(), beta, y, ldy);
  if (w.type() == WeightType::kF32) {
    linear(m, w.out(), w.in(), x, ldx, w.f32_data(), w.layout(), beta, y, ldy);
    return;
  }
  if (m == 0) return;
  gemm_init();
  const WeightKernels& kernels = active_kernels();
  // Decided once for the whole product, so that no thread's share of the rows, however few,
  // computes in another arithmetic than the rest.
  const bool bf16 = rounds_activations_to_bf16(kernels, w.type(), m);
  auto product = [&](int64_t rows, const float* xs, int64_t col0, int64_t col1, float* ys) {
    if (w.bf16_packed() != nullptr) {
      kernels.bf16_packed(bf16, rows, xs, ldx, *w.bf16_packed(), col0, col1, beta, ys, ldy);
    } else if (bf16) {
      kernels.bf16(rows, xs, ldx, w, col0, col1, beta, ys, ldy);
    } else {
      weight_product(kernels, rows, xs, ldx, w, col0, col1, beta, ys, ldy);
    }
  };
  const int threads = num_threads();
  if (m >= 32 * threads) {
    // Many rows: each thread takes a block of rows and converts every panel itself; the
    // conversions repeat per thread but cost about 1/m of the products.
    parallel_for(
        m,
        [&](int64_t begin, int64_t end) {
          product(end - begin, x + begin * ldx, 0, w.out(), y + begin * ldy);
        },
        16);
  } else {
    // Few rows: output columns split, in blocks of 16 (a packed matrix: of its panels), each
    // thread reading only its weights.
    const int64_t width = w.bf16_packed() != nullptr ? Bf16Packed::kPanelCols : 16;
    const int64_t blocks = (w.out() + width - 1) / width;
    parallel_for(
        blocks,
        [&](int64_t begin, int64_t end) {
          product(m, x, begin * width, std::min(w.out(), end * width), y);
        },
        4);
  }
}

void weight_row(const WeightMatrix& w, int64_t row, float* dst) {
  if (w.int8_packed() != nullptr || w.bf16_packed() != nullptr) {
    for (int64_t i = 0; i < w.in(); ++i) dst[i] = w.at(row, i);
  } else if (w.type() != WeightType::kF32) {
    active_kernels().to_f32(w, row, 1, 0, w.in(), dst, w.in());
  } else if (w.layout() == WeightLayout::kOutIn) {
    std::copy(w.f32_data() + row * w.in(), w.f32_data() + (row + 1) * w.in(), dst);
  } else {
    for (int64_t i = 0; i < w.in(); ++i) dst[i] = w.f32_data()[i * w.out() + row];
  }
}

void linear_single(int64_t m, const float* x, int64_t ldx, const WeightMatrix& w, float beta,
                   float* y, int64_t ldy) {
  if (w.int8_packed() != nullptr) {
    return int8_linear_single(m, x, ldx, *w.int8_packed(), beta, y, ldy);
  }
  if (w.type() == WeightType::kF32) {
    const bool transposed = w.layout() == WeightLayout::kOutIn;
    gemm_single(m, w.out(), w.in(), 1.0f, x, ldx, w.f32_data(), transposed ? w.in() : w.out(),
                transposed, beta, y, ldy);
    return;
  }
  if (m == 0) return;
  gemm_init();
  const WeightKernels& kernels = active_kernels();
  if (w.bf16_packed() != nullptr) {
    kernels.bf16_packed(rounds_activations_to_bf16(kernels, w.type(), m), m, x, ldx,
                        *w.bf16_packed(), 0, w.out(), beta, y, ldy);
    return;
  }
  weight_product(kernels, m, x, ldx, w, 0, w.out(), beta, y, ldy);
}

bool bf16_products_packed() { return active_kernels().bf16_packed != nullptr; }

}  // namespace clipsearch
