// The vector side of search: the types every index shares, and which index to use.
//
// An index holds (id, vector) rows: int64 image ids (the catalog's) and L2-normalized float32
// vectors of one dimension; the score of a row is the inner product with the query (cosine
// similarity for normalized vectors). Results are the top k rows by score, highest first, ties
// broken by smaller id first, so equal inputs always give equal, ordered results.
//
// exact_index.h scans every row (exact; used below kExactMaxRows rows and for selective
// filters), hnsw_index.h is the approximate graph index for larger collections, vector_file.h
// is the on-disk form of the rows that search maps at start-up.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

namespace clipsearch {

struct SearchHit {
  int64_t id = 0;
  float score = 0;
  bool operator==(const SearchHit&) const = default;
};

// True when a ranks before b: higher score, then smaller id.
inline bool ranks_before(const SearchHit& a, const SearchHit& b) {
  return a.score > b.score || (a.score == b.score && a.id < b.id);
}

// Which ids a search may return (a folder, a date range, ...): a bitset over ids, or a
// predicate. Const methods are thread-safe if the predicate is.
class IdFilter {
 public:
  // Allows exactly `ids` (non-negative). Memory: max(ids) / 8 bytes.
  static IdFilter allow(const std::vector<int64_t>& ids);
  // Allows the ids for which `allowed(id)` is true; called once per candidate row, from several
  // threads at once.
  static IdFilter predicate(std::function<bool(int64_t id)> allowed);

  bool allows(int64_t id) const {
    if (predicate_) return predicate_(id);
    const uint64_t u = static_cast<uint64_t>(id);
    return u < bit_count_ && ((bits_[u >> 6] >> (u & 63)) & 1) != 0;
  }
  // Number of allowed ids for a bitset filter; -1 for a predicate (unknown).
  int64_t allowed_count() const { return predicate_ ? -1 : allowed_count_; }

 private:
  std::vector<uint64_t> bits_;
  uint64_t bit_count_ = 0;
  int64_t allowed_count_ = 0;
  std::function<bool(int64_t)> predicate_;
};

struct SearchOptions {
  int64_t k = 10;  // results wanted; for paging ask k = offset + limit and drop the first offset
  float min_score = -std::numeric_limits<float>::infinity();  // rows scoring below are dropped
  const IdFilter* filter = nullptr;                           // null: every row
};

// Rows held by the caller: ids[count] and vectors[count, dim], row-major, row stride `dim`.
struct VectorView {
  const int64_t* ids = nullptr;
  const float* vectors = nullptr;
  int64_t count = 0;
  int64_t dim = 0;
};

enum class IndexKind { kExact, kHnsw };

// The policy (bench/RESULTS.md, "Vector index", has the measurements). In latency alone HNSW
// wins from a few thousand rows (at 5,000 rows: 0.2 ms against 0.7 ms of CPU). Exact search is
// kept up to 200,000 rows because there it still answers in about 40 ms of CPU (1 thread), its
// results are exact, it needs no graph build (about 95 s of CPU for 200,000 rows), and a
// process that starts per query opens the mapped vector file in a fraction of the 1 s budget
// while loading a 200,000-row graph takes seconds. Above it the scan grows with the rows (about
// 80 ms of CPU per query at 1M rows since issue 19's scan, 47 ms through an F16 store) and a
// long-running process keeps the graph loaded.
inline constexpr int64_t kExactMaxRows = 200000;

inline IndexKind choose_index_kind(int64_t rows) {
  return rows <= kExactMaxRows ? IndexKind::kExact : IndexKind::kHnsw;
}

}  // namespace clipsearch
