// The int8 kernels in plain C++: the fallback for machines below AVX2 and the reference the
// other levels are tested against (int8_gemm_test).
#include <algorithm>
#include <cmath>

#include "tensor/int8_gemm.h"

namespace clipsearch::int8_internal {
namespace {

float quantize_scalar(const float* x, int64_t in, int64_t depth, bool to_unsigned, int8_t* q) {
  float max_abs = 0;
  for (int64_t i = 0; i < in; ++i) max_abs = std::max(max_abs, std::fabs(x[i]));
  const float inv = max_abs > 0 ? 127.0f / max_abs : 0.0f;
  const auto offset = static_cast<uint8_t>(to_unsigned ? 0x80 : 0);
  for (int64_t i = 0; i < in; ++i) q[i] = quantize_value(x[i], inv, offset);
  std::fill(q + in, q + depth, static_cast<int8_t>(offset));
  return max_abs / 127.0f;
}

void product_scalar(const Int8Packed& w, int64_t rows, const int8_t* q, int64_t ldq,
                    const float* row_scales, int64_t block0, int64_t block1, float beta, float* y,
                    int64_t ldy) {
  const int64_t groups = w.depth / 4;
  for (int64_t r = 0; r < rows; ++r) {
    const int8_t* qr = q + r * ldq;
    for (int64_t b = block0; b < block1; ++b) {
      const int8_t* wb = w.data.data() + b * groups * 64;
      int32_t sums[16] = {};
      for (int64_t g = 0; g < groups; ++g) {
        for (int c = 0; c < 16; ++c) {
          for (int t = 0; t < 4; ++t) sums[c] += qr[g * 4 + t] * wb[g * 64 + c * 4 + t];
        }
      }
      const int64_t c0 = b * 16;
      int8_dequantize_scalar(sums, std::min<int64_t>(16, w.out - c0), row_scales[r],
                             w.scales.data() + c0, beta, y + r * ldy + c0);
    }
  }
}

}  // namespace

const Int8Kernels kScalar = {quantize_scalar, product_scalar, false};

}  // namespace clipsearch::int8_internal
