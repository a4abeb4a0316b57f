// The products of the forward pass with a layer's weights, whatever their precision:
//   y[m, out] = beta * y[m, out] + x[m, in] . W^T
// A float32 WeightMatrix goes to linear() in gemm.h unchanged (the same calls, bit for bit, as
// before reduced precisions existed). BF16, F16 and int8 matrices are multiplied panel by panel
// (weight_kernels.h): each panel of the weight converted to float32 in a buffer that fits the
// cache, then the float32 kernels on it, so the activations, the accumulation and every other
// step of the forward pass stay float32. Where the CPU has BF16 arithmetic, products of many
// rows with BF16 or int8 weights run in it instead (weight_kernels.h), BF16 layers packed for it
// at load.
#pragma once

#include <cstdint>

#include "tensor/weight_matrix.h"

namespace clipsearch {

// On the thread pool: output columns split across threads (each converts only its panels).
void linear(int64_t m, const float* x, int64_t ldx, const WeightMatrix& w, float beta, float* y,
            int64_t ldy);

// On the calling thread (for callers that already run one task per thread).
void linear_single(int64_t m, const float* x, int64_t ldx, const WeightMatrix& w, float beta,
                   float* y, int64_t ldy);

// Whether this CPU's level multiplies BF16 weights packed by WeightMatrix::bf16_products (the
// BF16 arithmetic level): the model packs its BF16 layers at load only then.
bool bf16_products_packed();

// Row `row` of `w` as float32, dst[i] = w.at(row, i) for i < w.in(): a lookup in an embedding
// table kept at a reduced precision.
void weight_row(const WeightMatrix& w, int64_t row, float* dst);

}  // namespace clipsearch
