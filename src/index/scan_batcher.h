// ScanBatcher: concurrent exact searches over the same rows share one pass over the vectors.
//
// Group commit, with no waiting window: a search that finds no scan running runs at once, alone
// (the single-query path, split across the thread pool); searches that arrive while a scan runs
// queue, and when it ends one of them scans for all of them together through the batched
// kernel (exact_search_batch: q queries x a block of rows, each query with its own k, filter
// and cutoff). A lone query never waits; under load a pass over the rows answers up to
// max_batch queries. Answers are exact_search's, bit for bit, whichever way a query went.
// With a compact F16 copy of the rows (ScanRows::compact), both ways go through it instead
// (compact_search alone, compact_search_batch together: one pass over the halves), and the
// answers are compact_search's, bit for bit.
//
// Thread-safe. The rows and the query must outlive the call.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

#include "index/vector_index.h"

namespace clipsearch {

// What a scan reads: the F32 rows and, when the catalog keeps one, their F16 copy
// [rows.count, rows.dim] (index/compact_search.h), which is then scanned instead.
struct ScanRows {
  VectorView rows;
  const uint16_t* compact = nullptr;
};

class ScanBatcher {
 public:
  // How a query scanned alone is answered, when given (a test's seam); by default exact_search,
  // or compact_search with a compact store.
  using Single =
      std::function<std::vector<SearchHit>(const float* query, const SearchOptions& options)>;

  explicit ScanBatcher(size_t max_batch = 64) : max_batch_(max_batch) {}

  std::vector<SearchHit> search(const ScanRows& rows, const float* query,
                                const SearchOptions& options, const Single& single = nullptr);

  // Passes over the rows so far, and the queries they answered (passes <= queries).
  int64_t passes() const;
  int64_t queries() const;
  // Searches queued behind a running scan now.
  size_t waiting() const;

 private:
  struct Pending;
  std::vector<Pending*> take_batch();  // with mutex_ held
  static void run(const std::vector<Pending*>& batch);

  const size_t max_batch_;
  mutable std::mutex mutex_;
  std::condition_variable scanned_;
  bool scanning_ = false;
  std::deque<Pending*> waiting_;
  int64_t passes_ = 0, queries_ = 0;
};

}  // namespace clipsearch
