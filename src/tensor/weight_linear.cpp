#include "tensor/weight_linear.h"

#include <algorithm>
#include <cassert>
#include <vector>

#include "core/thread_pool.h"
#include "tensor/skinny_gemm.h"
#include "tensor/weight_kernels.h"

namespace clipsearch {
namespace {

// A panel is kPanelRows weight rows (output columns) by kPanelDepth inputs: 64 x 512 floats =
// 128 KiB, converted once and then read from L2 by every row of x. Chosen by measurement on
// ViT-B/32's shapes (docs/ARCHITECTURE.md, "Precisions").
constexpr int64_t kPanelRows = 64;
constexpr int64_t kPanelDepth = 512;

const WeightKernels& active_kernels() {
  static const WeightKernels& kernels = weight_kernels(isa_active());
  return kernels;
}

}  // namespace

const WeightKernels& weight_kernels(Isa isa) {
  assert(isa_at_least(isa_supported(), isa));
  switch (isa) {
    case Isa::kAvx512:
      return weight_internal::kAvx512;
    case Isa::kAvx2:
      return weight_internal::kAvx2;
    case Isa::kScalar:
      break;
  }
  return weight_internal::kScalar;
}

void weight_product(const WeightKernels& kernels, int64_t m, const float* x, int64_t ldx,
                    const WeightMatrix& w, int64_t col0, int64_t col1, float beta, float* y,
                    int64_t ldy) {
  assert(w.type() != WeightType::kF32);
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
  if (w.type() == WeightType::kF32) {
    linear(m, w.out(), w.in(), x, ldx, w.f32_data(), w.layout(), beta, y, ldy);
    return;
  }
  if (m == 0) return;
  gemm_init();
  const int64_t panels = (w.out() + kPanelRows - 1) / kPanelRows;
  parallel_for(panels, [&](int64_t begin, int64_t end) {
    weight_product(active_kernels(), m, x, ldx, w, begin * kPanelRows,
                   std::min(w.out(), end * kPanelRows), beta, y, ldy);
  });
}

void linear_single(int64_t m, const float* x, int64_t ldx, const WeightMatrix& w, float beta,
                   float* y, int64_t ldy) {
  if (w.type() == WeightType::kF32) {
    const bool transposed = w.layout() == WeightLayout::kOutIn;
    gemm_single(m, w.out(), w.in(), 1.0f, x, ldx, w.f32_data(), transposed ? w.in() : w.out(),
                transposed, beta, y, ldy);
    return;
  }
  if (m == 0) return;
  gemm_init();
  weight_product(active_kernels(), m, x, ldx, w, 0, w.out(), beta, y, ldy);
}

}  // namespace clipsearch
