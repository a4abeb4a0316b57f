// Inner products of one query with many rows: the exact scan's kernel. AVX-512 or AVX2+FMA as
// the build targets (-march=native), plain C++ otherwise. Every row is summed in the same order
// whichever entry point computes it, so dot() and dot_rows() give bit-identical scores for the
// same row (the HNSW index re-scores its candidates with dot() to match the exact scan).
#pragma once

#include <cstdint>

namespace clipsearch {

// out[r] = query . rows[r * dim ...], for r in [0, n).
void dot_rows(const float* query, const float* rows, int64_t n, int64_t dim, float* out);
// query . row.
float dot(const float* query, const float* row, int64_t dim);

}  // namespace clipsearch
