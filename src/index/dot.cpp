#include "index/dot.h"

#include <cassert>

#include "index/dot_kernels.h"

namespace clipsearch {
namespace {

const DotKernels& active() {
  static const DotKernels& kernels = dot_kernels(isa_active());
  return kernels;
}

}  // namespace

const DotKernels& dot_kernels(Isa isa) {
  assert(isa_at_least(isa_supported(), isa));
  switch (isa) {
    case Isa::kAvx512Bf16:  // no float32 kernel of its own: AVX-512's
    case Isa::kAvx512:
      return dot_internal::kDotAvx512;
    case Isa::kAvx2:
      return dot_internal::kDotAvx2;
    case Isa::kScalar:
      break;
  }
  return dot_internal::kDotScalar;
}

float dot(const float* a, const float* b, int64_t dim) { return active().dot(a, b, dim); }

void dot_rows(const float* query, const float* rows, int64_t n, int64_t dim, float* out) {
  active().matrix(query, 1, rows, n, dim, out, n);
}

void dot_matrix(const float* queries, int64_t query_count, const float* rows, int64_t row_count,
                int64_t dim, float* out, int64_t ld_out) {
  active().matrix(queries, query_count, rows, row_count, dim, out, ld_out);
}

void dot_rows_f16(const float* query, const uint16_t* rows, int64_t n, int64_t dim, float* out) {
  active().rows_f16(query, rows, n, dim, out);
}

}  // namespace clipsearch
