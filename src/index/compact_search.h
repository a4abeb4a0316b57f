// Exact search through the compact store (compact_file.h): the F16 rows are scanned first (half
// the bytes of the F32 scan, dot.h's F16 order), the best compact_candidates(k) rows are kept,
// and those are rescored over the F32 rows with dot.h's kernel. Every score returned is
// therefore the F32 exact score, bit for bit; what can differ from exact_search is only which
// rows are returned, when F16 rounding pushes one of the true top k below the candidates.
// measure_compact_recall() says how often on a sample of the collection's own rows.
//
// Threading as exact_search: the rows are split across the thread pool; thread-safe. A batch of
// queries (compact_search_batch) shares one pass over the F16 rows instead: the rows are read
// from memory in blocks, and every query scans each block while it is in cache.
#pragma once

#include <cstdint>
#include <vector>

#include "index/compact_file.h"
#include "index/vector_index.h"

namespace clipsearch {

// Rows rescored over F32 for a search of k: 4k, at least 64 (a few microseconds of random
// reads; F16 rounding moves a 512-d score by about 1e-5, far less than the gap it would need to
// push a top-10 row below rank 64).
int64_t compact_candidates(int64_t k);

// exact_search(rows, query, options) through compact[rows.count, rows.dim]. Falls back to the
// F32 scan when the candidates would be half the rows or more.
std::vector<SearchHit> compact_search(const VectorView& rows, const uint16_t* compact,
                                      const float* query, const SearchOptions& options);

// compact_search for each of queries[options.size(), rows.dim], with each query's own options,
// in one pass over the compact rows: result[q] equals compact_search(rows, compact, query q,
// options[q]) exactly (the same F16 scores pick the same candidates, rescored alike).
std::vector<std::vector<SearchHit>> compact_search_batch(const VectorView& rows,
                                                         const uint16_t* compact,
                                                         const float* queries,
                                                         const std::vector<SearchOptions>& options);

// Recall@10 of compact_search against exact_search on `queries` sample queries, each a stored
// row blended with another (deterministic: the same rows give the same figure).
CompactRecall measure_compact_recall(const VectorView& rows, const uint16_t* compact,
                                     int queries = 32);

}  // namespace clipsearch
