// Panel conversion in plain C++: the reference the SIMD levels must equal bit for bit.
#include "core/half.h"
#include "tensor/weight_kernels.h"

namespace clipsearch::weight_internal {
namespace {

void to_f32(const WeightMatrix& w, int64_t row0, int64_t rows, int64_t col0, int64_t cols,
            float* dst, int64_t ld) {
  const int64_t k = w.in();
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t at = (row0 + r) * k + col0;
    float* d = dst + r * ld;
    switch (w.type()) {
      case WeightType::kBF16:
        for (int64_t t = 0; t < cols; ++t) d[t] = bf16_to_f32(w.u16_data()[at + t]);
        break;
      case WeightType::kF16:
        for (int64_t t = 0; t < cols; ++t) d[t] = f16_to_f32(w.u16_data()[at + t]);
        break;
      case WeightType::kInt8: {
        const float scale = w.scales()[row0 + r];
        for (int64_t t = 0; t < cols; ++t) d[t] = scale * static_cast<float>(w.i8_data()[at + t]);
        break;
      }
      case WeightType::kF32:
        for (int64_t t = 0; t < cols; ++t) d[t] = w.at(row0 + r, col0 + t);
        break;
    }
  }
}

}  // namespace

// No skinny kernel: without SIMD, few-row products go through panels and BLAS like the rest.
const WeightKernels kScalar = {to_f32, nullptr, nullptr, nullptr};

}  // namespace clipsearch::weight_internal
