// Internal to tensor/weight_*.cpp (and their tests): the per-ISA kernels behind weight_linear.h.
//
// Products of many rows convert a panel of the weight (256 output rows by 256 inputs) to
// float32 into a buffer that stays in L2, and the float32 kernels (OpenBLAS sgemm) multiply the
// activations by it; only the conversion is per ISA, and it is exact for BF16 and F16 and one
// float multiply for int8, so every level produces the same panel bit for bit. Products of at
// most kSkinnyMaxRows rows, bound by reading the weights, use a fused kernel where the level has
// one: the weights are converted in registers as they stream past, never stored as float32.
// Where the level has BF16 arithmetic (kAvx512Bf16), products of more rows with BF16 or int8
// weights multiply in BF16 instead (rounds_activations_to_bf16): the activations rounded to BF16,
// the accumulation float32.
#pragma once

#include <cstdint>

#include "core/isa.h"
#include "tensor/bf16_packed.h"
#include "tensor/weight_matrix.h"

namespace clipsearch {

struct WeightKernels {
  // dst[r * ld + t] = w.at(row0 + r, col0 + t) for r < rows, t < cols. w is not kF32.
  void (*to_f32)(const WeightMatrix& w, int64_t row0, int64_t rows, int64_t col0, int64_t cols,
                 float* dst, int64_t ld);
  // For products of at most kSkinnyMaxRows rows, bound by reading the weights: y[r][c] = beta *
  // y[r][c] + x[r] . w(c, :) for c in [col0, col1), converting the weights in registers as they
  // stream past (no panel). Null where the level has none.
  void (*skinny)(int64_t m, const float* x, int64_t ldx, const WeightMatrix& w, int64_t col0,
                 int64_t col1, float beta, float* y, int64_t ldy);
  // y[r][c] = beta * y[r][c] + bf16(x[r]) . w(c, :) for c in [col0, col1), float32 accumulation
  // (int8: the row's scale times the dot of x with the integers). For kBF16 and kInt8 weights;
  // null where the level has no BF16 arithmetic.
  void (*bf16)(int64_t m, const float* x, int64_t ldx, const WeightMatrix& w, int64_t col0,
               int64_t col1, float beta, float* y, int64_t ldy);
  // The same product for weights packed at load (tensor/bf16_packed.h), col0 a multiple of
  // Bf16Packed::kPanelCols: in BF16 arithmetic as `bf16` when `bf16_arithmetic`
  // (rounds_activations_to_bf16 for the whole product), else in float32 as `skinny` (for at most
  // kSkinnyMaxRows rows). Null where the level has no BF16 arithmetic (nothing is packed there).
  void (*bf16_packed)(bool bf16_arithmetic, int64_t m, const float* x, int64_t ldx,
                      const Bf16Packed& w, int64_t col0, int64_t col1, float beta, float* y,
                      int64_t ldy);
};

// Whether weight_product with kernels `k` multiplies m rows by a matrix of `type` in BF16 (the
// activations rounded to BF16) rather than float32.
bool rounds_activations_to_bf16(const WeightKernels& k, WeightType type, int64_t m);

// The kernels of one level; `isa` must be supported by the machine (isa_supported()).
const WeightKernels& weight_kernels(Isa isa);

// y[m, out] = beta * y + x[m, in] W^T with the conversion kernels `k`, on the calling thread.
// w is not kF32.
void weight_product(const WeightKernels& k, int64_t m, const float* x, int64_t ldx,
                    const WeightMatrix& w, int64_t col0, int64_t col1, float beta, float* y,
                    int64_t ldy);

namespace weight_internal {
extern const WeightKernels kScalar;
extern const WeightKernels kAvx2;
extern const WeightKernels kAvx512;
extern const WeightKernels kAvx512Bf16;
// kAvx512's panel conversion, which the BF16 level uses too.
void to_f32_avx512(const WeightMatrix& w, int64_t row0, int64_t rows, int64_t col0, int64_t cols,
                   float* dst, int64_t ld);
// kAvx2's skinny kernel, which the AVX-512 levels use too.
void skinny_avx2(int64_t m, const float* x, int64_t ldx, const WeightMatrix& w, int64_t col0,
                 int64_t col1, float beta, float* y, int64_t ldy);
}  // namespace weight_internal

}  // namespace clipsearch
