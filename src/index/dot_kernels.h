// Internal to index/dot*.cpp: the per-ISA kernels and the tiling they share.
//
// A kernel class K provides block<Q, R>(q, r, dim, out, ld), which writes the Q x R inner
// products of Q consecutive query vectors and R consecutive rows (each `dim` floats) to
// out[a * ld + b], each pair summed in dot.h's order; and the block shape it is fastest with:
// kQ x kR for many queries, 1 x kRowsAlone for one query. kRowsAlone is 1 at every level: one
// query reads its rows one after another, a single sequential stream that the hardware
// prefetcher follows at full memory bandwidth; 1 x 4 blocks (four interleaved streams 2 KB
// apart) reached half of it on 512-d rows (bench/RESULTS.md, "Exact scan"). One row's 16 lanes
// give 16-deep chains of FMAs, which the CPU overlaps across consecutive rows.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "index/dot.h"

namespace clipsearch::dot_internal {

// The pairwise sum of dot.h's 16 lanes: (j, j+8), (j, j+4), (j, j+2), (0, 1).
inline float reduce_lanes(const float lanes[16]) {
  float s[8], t[4];
  for (int j = 0; j < 8; ++j) s[j] = lanes[j] + lanes[j + 8];
  for (int j = 0; j < 4; ++j) t[j] = s[j] + s[j + 4];
  return (t[0] + t[2]) + (t[1] + t[3]);
}

// Called before reading each row of a one-query scan: when the row ends in another 4 KiB page
// than it starts, asks for one line `Ahead` bytes past its end. The hardware prefetcher stops at
// page boundaries, so each new page of a sequential stream began with a full miss (and a TLB
// walk); touching pages ahead restarts it early. 512-d rows: 112 -> 80 ms for 1M F32 rows
// (bench/RESULTS.md, "Exact scan"). A prefetch never faults, past the end included.
template <uintptr_t Ahead>
inline void prefetch_pages_ahead(const void* row, size_t row_bytes) {
  constexpr uintptr_t kPage = 4096;
  const auto begin = reinterpret_cast<uintptr_t>(row), end = begin + row_bytes;
  if (begin / kPage != end / kPage) __builtin_prefetch(reinterpret_cast<const void*>(end + Ahead));
}
// How far ahead each scan asks. F32: 32 KiB (64 and 128 KiB measured the same). F16 rows are
// scanned at a higher byte rate (its arithmetic is not the limit: 20 ms for 1M rows from L2),
// so more must be in flight: 32 -> 64 KiB took 1M F16 rows from 40 to 36 ms of CPU (128 and
// 256 KiB: 35 ms, within the noise; bench/RESULTS.md, "The compact store at 1.8x").
constexpr uintptr_t kPrefetchAheadF32 = 32768, kPrefetchAheadF16 = 65536;

template <class K, int Q>
void dot_row_span(const float* q, const float* rows, int64_t r0, int64_t r1, int64_t dim,
                  float* out, int64_t ld) {
  constexpr int R = Q == 1 ? K::kRowsAlone : K::kR;
  int64_t r = r0;
  for (; r + R <= r1; r += R) {
    if constexpr (Q == 1)
      prefetch_pages_ahead<kPrefetchAheadF32>(rows + r * dim, sizeof(float) * R * dim);
    K::template block<Q, R>(q, rows + r * dim, dim, out + r, ld);
  }
  for (; r < r1; ++r) K::template block<Q, 1>(q, rows + r * dim, dim, out + r, ld);
}

template <class K>
float dot_single(const float* a, const float* b, int64_t dim) {
  float out;
  K::template block<1, 1>(a, b, dim, &out, 1);
  return out;
}

// Rows in tiles that stay in L2 while every group of queries passes over them.
template <class K>
void dot_matrix_tiled(const float* queries, int64_t query_count, const float* rows,
                      int64_t row_count, int64_t dim, float* out, int64_t ld) {
  constexpr int64_t kRowTile = 128;
  for (int64_t r0 = 0; r0 < row_count; r0 += kRowTile) {
    const int64_t r1 = std::min(row_count, r0 + kRowTile);
    int64_t q = 0;
    for (; q + K::kQ <= query_count; q += K::kQ) {
      dot_row_span<K, K::kQ>(queries + q * dim, rows, r0, r1, dim, out + q * ld, ld);
    }
    for (; q < query_count; ++q) {
      dot_row_span<K, 1>(queries + q * dim, rows, r0, r1, dim, out + q * ld, ld);
    }
  }
}

// The F16 order's final step (dot.h): lanes[64] folded to 16, (j + j+16) + (j+32 + j+48).
inline void fold_f16_lanes(const float lanes[64], float out[16]) {
  for (int j = 0; j < 16; ++j)
    out[j] = (lanes[j] + lanes[j + 16]) + (lanes[j + 32] + lanes[j + 48]);
}

// fma(a, b, c), correctly rounded, without an FMA instruction: the scalar kernel's step. Inline
// double arithmetic in all but rare cases, where libm's fmaf (a call, much slower) decides.
float fma_exact(float a, float b, float c);

extern const DotKernels kDotScalar;
extern const DotKernels kDotAvx2;
extern const DotKernels kDotAvx512;

}  // namespace clipsearch::dot_internal
