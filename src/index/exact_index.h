// Exact search: scores every row against the query and keeps the top k (vector_index.h's
// order). The answer of record: tests compare it with a numpy float64 ranking, and the HNSW
// index falls back to it for selective filters.
//
// One query: the rows are split across the process-wide thread pool, each part scanned with
// the kernel of dot.h into its own TopK, merged at the end. A batch of queries: blocks of
// queries times blocks of rows through dot.h's matrix kernel, then top-k per query; every score
// (and so every answer) is bit-identical to the query's exact_search.
// The rows are only read; calls are thread-safe, but concurrent calls share one pool and run
// one after another.
#pragma once

#include <cstdint>
#include <vector>

#include "index/vector_index.h"

namespace clipsearch {

// Top options.k rows of `rows` for `query` (rows.dim floats). Rows scoring below
// options.min_score, NaN scores, and ids the filter refuses are skipped.
std::vector<SearchHit> exact_search(const VectorView& rows, const float* query,
                                    const SearchOptions& options);

// exact_search for each of queries[query_count, rows.dim]; result[q] belongs to query q.
std::vector<std::vector<SearchHit>> exact_search_batch(const VectorView& rows, const float* queries,
                                                       int64_t query_count,
                                                       const SearchOptions& options);
// The same with options of each query's own (k, filter, min_score): options[q] for query q, as
// many queries as options. A filter here does not save reading rows: all are scored.
std::vector<std::vector<SearchHit>> exact_search_batch(const VectorView& rows, const float* queries,
                                                       const std::vector<SearchOptions>& options);

}  // namespace clipsearch
