// Searcher: answers queries over one catalog. It owns the catalog connection and the vector
// index, and keeps them in step with the catalog's generation counter.
//
// Opening: the rows come from the vector file beside the catalog (`<db>.vectors`, mapped, never
// copied) when it carries the catalog's generation and model; otherwise they are read from the
// catalog (the record of truth) and the file is rewritten atomically, when the folder is
// writable, for the next start. Above kExactMaxRows rows (or on request) an HNSW graph is used,
// from `<db>.hnsw` under the same rule. A stale, foreign or corrupt file is never trusted: it is
// rebuilt, and the reason is kept in notes() for the caller to show.
//
// With the catalog setting `vector_store` = "f16" (kVectorStoreKey), exact searches go through
// an F16 copy of the rows (`<db>.f16`, index/compact_search.h: half the bytes read, the scores
// still exact) under the same rule: a missing, stale or corrupt file is rebuilt, its recall@10
// against F32 measured on a sample. An HNSW graph ignores it.
//
// Concurrent exact searches share passes over the rows (index/scan_batcher.h): the scan runs
// outside the searcher's lock, and searches that arrive while one runs are answered together
// by the next pass, through the batched kernel: with a compact store, alone or batched, they
// scan the F16 copy (one pass over the halves for the whole batch), without one the F32 rows.
//
// refresh() re-checks the generation (a server calls it before each query so that search sees
// what a running indexer has committed). Colour signatures are read from the catalog on the first
// colour query of a generation, so plain searches never pay for them. All methods are thread-safe
// (one mutex: the catalog connection is single-threaded; an exact scan runs outside it, on the
// thread pool).
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "clipsearch/query.h"
#include "clipsearch/status.h"
#include "index/catalog.h"
#include "index/compact_file.h"
#include "index/scan_batcher.h"
#include "index/vector_index.h"
#include "search/color_search.h"
#include "search/query_vector.h"

namespace clipsearch::search {

enum class IndexChoice { kAuto, kExact, kHnsw };

struct SearcherOptions {
  IndexChoice index = IndexChoice::kAuto;
  bool write_index_files = true;  // rewrite a stale vector/HNSW file beside the catalog
};

// The catalog setting that asks for a compact vector store: "f32" (none, the default) or "f16".
inline constexpr const char* kVectorStoreKey = "vector_store";
// `<db>.vectors`: where the F32 rows of the catalog at `db` live (index/vector_file.h).
std::string vector_file_path(const std::string& db);
// `<db>.f16`: where the compact store of the catalog at `db` lives.
std::string compact_file_path(const std::string& db);

// What exact searches scan: "f32", or "f16" with the recall measured when it was built.
struct VectorStore {
  std::string kind = "f32";
  std::optional<CompactRecall> recall;
};

struct SearchRequest {
  int64_t k = 10;
  int64_t offset = 0;
  float min_score = -std::numeric_limits<float>::infinity();
  ImageFilter filter;                // folders, dates, sizes, formats
  std::vector<int64_t> exclude_ids;  // never returned (e.g. the "more like this" image itself)
  // When set, only these ids (e.g. the images carrying a label or in an album), ascending.
  std::optional<std::vector<int64_t>> only_ids;
  // By date: with min_score set, every result above it in date order, then paged; without it,
  // each page (the ranks offset..offset + k by score) in date order.
  SortOrder sort = SortOrder::kScore;
  // When set, scores mix CLIP and colour similarity (search/color_search.h); min_score and the
  // scores returned are then mixed scores.
  std::optional<ColorQuery> color;
};

struct SearchResult {
  ImageRecord image;
  float score = 0;
  std::optional<int64_t> time_ms;  // a video ranked by a frame: that frame's time
};

struct SearchPage {
  std::vector<SearchResult> results;
  int64_t candidates = 0;  // images the query was compared with (after filters)
  float best_score = -std::numeric_limits<float>::infinity();  // before min_score (none: -inf)
  std::optional<int64_t> above_cutoff;  // results at or above min_score, when all were ranked
};

class Searcher {
 public:
  // Opens the catalog at `db_path` read-only, or takes `catalog`, a connection already open
  // (read-only: the Library hands over the one it checked the file with).
  static Result<std::unique_ptr<Searcher>> open(const std::string& db_path,
                                                const SearcherOptions& options = {});
  static Result<std::unique_ptr<Searcher>> open(std::unique_ptr<Catalog> catalog,
                                                const SearcherOptions& options = {});
  ~Searcher();

  // The catalog's model must be `model` (same fingerprint): text and image queries have to be
  // embedded by the model that embedded the library.
  Status check_model(const ModelIdentity& model);

  // kInvalidArgument for a negative k or offset, or a query of another length than the rows.
  Result<SearchPage> search(const Embedding& query, const SearchRequest& request);

  // The stored embedding of an indexed image, by path or id ("more like this"); kNotFound when
  // the catalog has no such image or the image failed to index.
  Result<std::pair<ImageRecord, Embedding>> indexed_image(const std::string& path);
  Result<std::pair<ImageRecord, Embedding>> indexed_image(int64_t id);
  // The colour signature of an indexed image (empty: none computed yet, or nothing to sample).
  Result<ColorSignature> indexed_color(int64_t id);

  // Catalog rows by id, in the order given; unknown ids are left out.
  Result<std::vector<ImageRecord>> images(const std::vector<int64_t>& ids);

  // Calls fn with the rows being searched (ids and vectors), under the searcher's lock.
  Status with_rows(const std::function<Status(const VectorView&)>& fn);
  // The rows being searched, kept alive by `owner` after a refresh replaces them: long work
  // (duplicates) reads them without holding the searcher's lock, so searches go on meanwhile.
  struct RowsLease {
    VectorView view;
    std::shared_ptr<const void> owner;
  };
  RowsLease lease_rows() const;

  // Reloads the rows when the catalog's generation moved on. Returns whether it did.
  Result<bool> refresh();

  int64_t generation() const;
  int64_t size() const;         // rows searched (images with an embedding)
  int64_t frame_count() const;  // video frames searched beside them (search/frame_search.h)
  IndexKind index_kind() const;
  VectorStore vector_store() const;
  // What happened at open/refresh worth telling the user ("vector file rebuilt: ...").
  std::vector<std::string> notes() const;
  Result<std::vector<CatalogRoot>> roots();
  Result<CatalogStats> stats();
  Result<std::optional<ModelIdentity>> model();
  // Catalog::catalog_id().
  Result<std::optional<std::string>> catalog_id();

 private:
  struct Rows;
  Searcher(std::unique_ptr<Catalog> catalog, SearcherOptions options);
  Status load_rows();
  Status load_colors();
  Status load_compact(Rows& rows);

  mutable std::mutex mutex_;
  std::unique_ptr<Catalog> catalog_;
  SearcherOptions options_;
  std::shared_ptr<Rows> rows_;  // shared with scans in flight and the leases of long work
  ScanBatcher scans_;           // where concurrent exact scans meet
  std::vector<std::string> notes_;
};

// The catalog rows of (image id, score) pairs as results, in the order given; ids no longer in
// the catalog are left out. For lists kept elsewhere (album members, the most clicked images).
Result<std::vector<SearchResult>> scored_images(
    Searcher& searcher, const std::vector<std::pair<int64_t, float>>& scored);

}  // namespace clipsearch::search
