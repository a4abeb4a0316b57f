// HnswIndex: the approximate index for large collections, an HNSW graph (hnswlib 0.6.2,
// inner-product space) over the rows, with its own crash-safe, checksummed file.
//
// build() inserts the rows on the process-wide thread pool (hnswlib's addPoint is thread-safe
// for distinct labels; the graph then depends on thread timing, its quality does not). search()
// walks the graph with `ef` candidates and re-scores the hits with dot.h's kernel, so scores
// and tie order match exact_search() exactly for the rows it finds.
//
// Filters: hnswlib 0.6.2 cannot filter inside the walk, so a filter is applied to a candidate
// list widened by the allowed fraction f (k / f candidates, at least ef). The rule
// (filter_uses_exact()): when at most kFilterExactMaxRows rows are allowed, or f is below
// kFilterMinFraction, the exact scan over the allowed rows is both cheaper and exact; and when
// the widened list still holds fewer than k allowed hits, the search is redone exactly.
// f comes from IdFilter::allowed_count() for a bitset, from a sample of 1024 rows for a
// predicate.
//
// The file (docs/FORMATS.md, "HNSW file"): a 320-byte header (magic, version, dim, count,
// generation, model id, M, ef_construction, section offsets, a checksum of the whole file),
// hnswlib's own serialization of the graph, then the row ids. open() verifies the checksum and
// then every size, level and neighbour id in the graph before any of it is used, so a corrupt
// or foreign file is refused with a Status, never read out of bounds (hnswlib's loadIndex
// trusts its input, so it is not used). A loaded index is read-only.
//
// Movable, not copyable. search() is thread-safe; build()/open() return a new object.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "clipsearch/status.h"
#include "index/vector_file.h"
#include "index/vector_index.h"

namespace clipsearch {

struct HnswParams {
  int m = 16;  // graph degree (2m on the bottom layer)
  int ef_construction =
      100;              // candidate list while inserting (200 doubles build time for <0.5% recall)
  uint64_t seed = 100;  // level generator
};

// Candidate-list size of search() by default: recall@10 >= 0.95 against exact search on 1M
// clustered 512-d vectors (bench/RESULTS.md, "Vector index").
inline constexpr int kDefaultEfSearch = 64;
inline constexpr int64_t kFilterExactMaxRows = 10000;
inline constexpr double kFilterMinFraction = 0.05;

class HnswIndex {
 public:
  static Result<HnswIndex> build(const VectorView& rows, const HnswParams& params = {});
  static Result<HnswIndex> open(const std::string& path, const VectorFileInfo& expected,
                                int64_t expected_dim = 0);
  // Writes the index atomically (core/atomic_file.h), tagged with `info`.
  Status save(const std::string& path, const VectorFileInfo& info) const;

  HnswIndex();
  HnswIndex(HnswIndex&&) noexcept;
  HnswIndex& operator=(HnswIndex&&) noexcept;
  ~HnswIndex();

  // Top options.k rows for `query` (dim() floats); ef <= 0 means kDefaultEfSearch.
  std::vector<SearchHit> search(const float* query, const SearchOptions& options, int ef = 0) const;
  // Whether search() answers this filter with the exact scan (see the header comment).
  bool filter_uses_exact(const IdFilter& filter) const;

  int64_t size() const;
  int64_t dim() const;
  // Bytes of the graph (links and the copy of the vectors hnswlib keeps).
  int64_t memory_bytes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace clipsearch
