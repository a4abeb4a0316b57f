// The inner product every scoring path of clipsearch uses: the exact scan, HNSW graph walks and
// re-scoring, colour mixing, batched queries, duplicates, albums, recommendations and zero-shot
// scores. One kernel, so that "equal to brute force" holds bit for bit.
//
// The order of the sum is fixed, whatever the instruction set: 16 lanes, lane j accumulating
// a[i] * b[i] for every i = j (mod 16) in ascending i with fused multiply-adds (one rounding
// each); then the lanes are added pairwise, lane j + lane j+8, then j + j+4, j + j+2, and the
// last two. The scalar, AVX2 and AVX-512 kernels follow it exactly, so a score is the same float
// at every ISA level, on every machine, and from every entry point below (a row scored alone or
// in a block of many).
//
// Rows kept as F16 (the compact store, index/compact_search.h) have an order of their own, also
// the same at every level: 64 lanes, lane j accumulating q[i] * r[i] for i = j (mod 64) in
// ascending i with fused multiply-adds (the F16 value widened exactly to float); then lanes j,
// j+16, j+32, j+48 are added as (j + j+16) + (j+32 + j+48), and those 16 lanes as above. Four
// chains per row instead of one: a compact row is half the bytes, so the scan needs twice the
// arithmetic rate from one row at a time.
//
// Thread-safe; the kernels run on the calling thread.
#pragma once

#include <cstdint>

#include "core/isa.h"

namespace clipsearch {

// a . b over `dim` floats.
float dot(const float* a, const float* b, int64_t dim);
// out[r] = query . rows[r * dim ...], for r in [0, n).
void dot_rows(const float* query, const float* rows, int64_t n, int64_t dim, float* out);
// out[q * ld_out + r] = queries[q * dim ...] . rows[r * dim ...], for q < query_count,
// r < row_count: many queries against many rows (batched search, duplicates).
void dot_matrix(const float* queries, int64_t query_count, const float* rows, int64_t row_count,
                int64_t dim, float* out, int64_t ld_out);

// out[r] = query . rows_f16[r * dim ...] (IEEE binary16 rows), for r in [0, n), in the F16
// order above.
void dot_rows_f16(const float* query, const uint16_t* rows, int64_t n, int64_t dim, float* out);

// The kernels of one ISA level, for tests that compare levels in one process. `isa` must be
// supported by the machine (isa_supported()).
struct DotKernels {
  float (*dot)(const float* a, const float* b, int64_t dim);
  void (*matrix)(const float* queries, int64_t query_count, const float* rows, int64_t row_count,
                 int64_t dim, float* out, int64_t ld_out);
  void (*rows_f16)(const float* query, const uint16_t* rows, int64_t n, int64_t dim, float* out);
};
const DotKernels& dot_kernels(Isa isa);

}  // namespace clipsearch
