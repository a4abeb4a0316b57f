// dot.h's order in plain C++: the reference the SIMD kernels must equal bit for bit.
#include <cmath>
#include <cstring>

#include "core/half.h"
#include "index/dot_kernels.h"

namespace clipsearch::dot_internal {

float fma_exact(float a, float b, float c) {
  const double sum = static_cast<double>(a) * b + c;  // the product is exact in double
  uint64_t bits;
  std::memcpy(&bits, &sum, sizeof bits);
  // Rounding the exact a * b + c to double and then to float gives the float nearest to it
  // unless the double landed exactly halfway between two floats (the low 29 bits 1000...0),
  // or in float's subnormal range (where halfway points sit elsewhere): then ask libm.
  const bool halfway = (bits & 0x1FFFFFFFu) == 0x10000000u;
  if (!halfway && std::fabs(sum) >= 0x1p-126) return static_cast<float>(sum);
  return std::fma(a, b, c);
}

namespace {

float dot_one(const float* a, const float* b, int64_t dim) {
  float lanes[16] = {};
  for (int64_t i = 0; i < dim; i += 16) {
    const int64_t n = std::min<int64_t>(16, dim - i);
    for (int64_t j = 0; j < n; ++j) lanes[j] = fma_exact(a[i + j], b[i + j], lanes[j]);
  }
  return reduce_lanes(lanes);
}

void rows_f16(const float* q, const uint16_t* rows, int64_t n, int64_t dim, float* out) {
  for (int64_t r = 0; r < n; ++r) {
    const uint16_t* row = rows + r * dim;
    float lanes[64] = {}, folded[16];
    for (int64_t i = 0; i < dim; ++i) {
      lanes[i % 64] = fma_exact(q[i], f16_to_f32(row[i]), lanes[i % 64]);
    }
    fold_f16_lanes(lanes, folded);
    out[r] = reduce_lanes(folded);
  }
}

struct Scalar {
  static constexpr int kQ = 1, kR = 1, kRowsAlone = 1;
  template <int Q, int R>
  static void block(const float* q, const float* r, int64_t dim, float* out, int64_t ld) {
    for (int a = 0; a < Q; ++a) {
      for (int b = 0; b < R; ++b) out[a * ld + b] = dot_one(q + a * dim, r + b * dim, dim);
    }
  }
};

}  // namespace

const DotKernels kDotScalar = {dot_one, dot_matrix_tiled<Scalar>, rows_f16};

}  // namespace clipsearch::dot_internal
