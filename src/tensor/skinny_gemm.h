// Products with few rows (a text query of a handful of tokens, a batch-1 projection):
// y[m, n] = beta * y[m, n] + x[m, :] . W[n, :], W stored [n, k] (nn.Linear layout).
//
// Such products are bound by reading the weights, not by arithmetic, and a general sgemm first
// copies (packs) the whole weight matrix before computing, reading it twice. This kernel streams
// each weight row once: a block of 4 weight rows stays in L1 while every input row is dotted
// with it. Runs on the calling thread; `linear()` splits n across the pool.
#pragma once

#include <cstdint>

namespace clipsearch {

// Rows of x this kernel is meant for; above this, sgemm's blocking wins.
constexpr int64_t kSkinnyMaxRows = 16;

// Whether the kernel has a SIMD form at the active ISA level (core/isa.h); without one,
// linear() leaves such products to BLAS.
bool skinny_gemm_available();

void skinny_gemm(int64_t m, int64_t n, int64_t k, const float* x, int64_t ldx, const float* w,
                 float beta, float* y, int64_t ldy);

}  // namespace clipsearch
