#include "search/searcher.h"

#include <algorithm>
#include <cassert>
#include <filesystem>
#include <iterator>
#include <unordered_map>
#include <utility>

#include "core/half.h"
#include "index/compact_file.h"
#include "index/compact_search.h"
#include "index/exact_index.h"
#include "index/hnsw_index.h"
#include "index/vector_file.h"
#include "search/frame_search.h"

namespace clipsearch::search {
namespace {

bool filter_is_empty(const ImageFilter& f) {
  return f.folders.empty() && !f.date_min_ns && !f.date_max_ns && !f.mtime_min_ns &&
         !f.mtime_max_ns && !f.size_min && !f.size_max && f.formats.empty() && f.cameras.empty();
}

std::string hnsw_file_path(const std::string& db) { return db + ".hnsw"; }

// The F16 copy of `rows`, its recall measured, written to `path`; then mapped from there.
Result<CompactVectorFile> build_compact_file(const std::string& path, const VectorFileInfo& info,
                                             const VectorView& rows) {
  std::vector<uint16_t> halves(static_cast<size_t>(rows.count * rows.dim));
  for (size_t i = 0; i < halves.size(); ++i) halves[i] = f32_to_f16(rows.vectors[i]);
  const CompactRecall recall = measure_compact_recall(rows, halves.data());
  halves = {};
  CLIPSEARCH_RETURN_IF_ERROR(write_compact_file(path, info, rows, recall));
  return CompactVectorFile::open(path, info, rows.count, rows.dim);
}

}  // namespace

std::string vector_file_path(const std::string& db) { return db + ".vectors"; }
std::string compact_file_path(const std::string& db) { return db + ".f16"; }

namespace {}  // namespace

// The rows being searched, and the index over them, for one catalog generation.
struct Searcher::Rows {
  VectorFileInfo info;             // model fingerprint + generation the rows belong to
  std::optional<VectorFile> file;  // rows mapped from the vector file, or
  EmbeddingSnapshot snapshot;      // rows read from the catalog
  VectorView view;
  std::optional<HnswIndex> hnsw;  // set when the HNSW graph answers queries
  // The F16 copy of view's rows, when the catalog asks for it (exact search only).
  std::optional<CompactVectorFile> compact;
  // Packed colour signatures aligned with view's rows ([count, kColorSignatureFloats], zeros
  // for none); read on the first colour query.
  std::optional<std::vector<float>> colors;
  // Video frames (search/frame_search.h), read from the catalog: the vector file holds items.
  FrameSnapshot frames;
  std::vector<int64_t> video_ids;  // the videos with frames, ascending
};

Searcher::Searcher(std::unique_ptr<Catalog> catalog, SearcherOptions options)
    : catalog_(std::move(catalog)), options_(options) {}

Searcher::~Searcher() = default;

Result<std::unique_ptr<Searcher>> Searcher::open(const std::string& db_path,
                                                 const SearcherOptions& options) {
  CLIPSEARCH_ASSIGN_OR_RETURN(std::unique_ptr<Catalog> catalog,
                              Catalog::open(db_path, Catalog::Mode::kReadOnly));
  return open(std::move(catalog), options);
}

Result<std::unique_ptr<Searcher>> Searcher::open(std::unique_ptr<Catalog> catalog,
                                                 const SearcherOptions& options) {
  assert(catalog);
  std::unique_ptr<Searcher> searcher(new Searcher(std::move(catalog), options));
  CLIPSEARCH_RETURN_IF_ERROR(searcher->load_rows());
  return searcher;
}

Status Searcher::load_rows() {
  auto rows = std::make_shared<Rows>();
  CLIPSEARCH_ASSIGN_OR_RETURN(std::optional<ModelIdentity> model, catalog_->model());
  CLIPSEARCH_ASSIGN_OR_RETURN(int64_t generation, catalog_->generation());
  rows->info.model_id = model ? model->fingerprint : "";
  rows->info.generation = static_cast<uint64_t>(generation);
  const int64_t dim = model ? model->embed_dim : 0;
  const std::string& db = catalog_->path();

  Result<VectorFile> file = VectorFile::open(vector_file_path(db), rows->info, dim);
  if (file.ok()) {
    rows->file = std::move(file).value();
    rows->view = rows->file->view();
  } else {
    // The catalog is the record of truth; the file is only a faster way to read it.
    CLIPSEARCH_ASSIGN_OR_RETURN(rows->snapshot, catalog_->read_snapshot());
    rows->info.generation = static_cast<uint64_t>(rows->snapshot.generation);
    rows->view = VectorView{rows->snapshot.ids.data(), rows->snapshot.vectors.data(),
                            static_cast<int64_t>(rows->snapshot.ids.size()), rows->snapshot.dim};
    if (options_.write_index_files && model) {
      // A missing file (a catalog never searched yet) is not worth a note; a stale one is.
      const bool existed = std::filesystem::exists(vector_file_path(db));
      const Status written = write_vector_file(vector_file_path(db), rows->info, rows->view);
      if (!written.ok()) {
        notes_.push_back("vector file not rewritten: " + written.message());
      } else if (existed) {
        notes_.push_back("vector file rebuilt from the catalog (" + file.status().message() + ")");
      }
    }
  }

  CLIPSEARCH_ASSIGN_OR_RETURN(rows->frames, catalog_->read_frames());
  rows->video_ids = frame_video_ids(rows->frames);

  const bool want_hnsw = options_.index == IndexChoice::kHnsw ||
                         (options_.index == IndexChoice::kAuto &&
                          choose_index_kind(rows->view.count) == IndexKind::kHnsw);
  if (want_hnsw && rows->view.count > 0) {
    Result<HnswIndex> hnsw = HnswIndex::open(hnsw_file_path(db), rows->info, rows->view.dim);
    if (hnsw.ok()) {
      rows->hnsw = std::move(hnsw).value();
    } else if (options_.index == IndexChoice::kHnsw || options_.write_index_files) {
      // Building takes a while (bench/RESULTS.md); the indexer does it after each run.
      CLIPSEARCH_ASSIGN_OR_RETURN(HnswIndex built, HnswIndex::build(rows->view));
      if (options_.write_index_files) {
        const Status saved = built.save(hnsw_file_path(db), rows->info);
        if (!saved.ok()) notes_.push_back("HNSW file not written: " + saved.message());
      }
      rows->hnsw = std::move(built);
    } else {
      notes_.push_back("HNSW file unusable (" + hnsw.status().message() +
                       "); searching exactly instead");
    }
  }
  if (!rows->hnsw && rows->view.count > 0) CLIPSEARCH_RETURN_IF_ERROR(load_compact(*rows));
  rows_ = std::move(rows);
  return Status();
}

Status Searcher::load_compact(Rows& rows) {
  CLIPSEARCH_ASSIGN_OR_RETURN(std::optional<std::string> store, catalog_->setting(kVectorStoreKey));
  const std::string path = compact_file_path(catalog_->path());
  if (!store || *store == "f32") {
    // A store turned off leaves no stale copy behind (a failed removal is harmless: unused).
    std::error_code ignored;
    if (options_.write_index_files) std::filesystem::remove(path, ignored);
    return Status();
  }
  if (*store != "f16") {
    notes_.push_back("vector store '" + *store + "' unknown to this version; searching F32");
    return Status();
  }
  Result<CompactVectorFile> file =
      CompactVectorFile::open(path, rows.info, rows.view.count, rows.view.dim);
  if (file.ok()) {
    rows.compact = std::move(file).value();
    return Status();
  }
  if (!options_.write_index_files) {
    notes_.push_back("compact vector file unusable (" + file.status().message() +
                     "); searching F32");
    return Status();
  }
  const bool existed = std::filesystem::exists(path);
  Result<CompactVectorFile> built = build_compact_file(path, rows.info, rows.view);
  if (!built.ok()) {
    notes_.push_back("compact vector file not written: " + built.status().message());
    return Status();
  }
  if (existed) {
    notes_.push_back("compact vector file rebuilt (" + file.status().message() + ")");
  }
  rows.compact = std::move(built).value();
  return Status();
}

Status Searcher::load_colors() {
  if (rows_->colors) return Status();
  const VectorView& view = rows_->view;
  // color_mixed_search finds rows by binary search; both row sources are in id order.
  assert(std::is_sorted(view.ids, view.ids + view.count));
  std::vector<float> colors(static_cast<size_t>(view.count * kColorSignatureFloats), 0.0f);
  CLIPSEARCH_RETURN_IF_ERROR(
      catalog_->for_each_color([&](int64_t id, const float* color, size_t n) {
        const int64_t* it = std::lower_bound(view.ids, view.ids + view.count, id);
        if (n != kColorSignatureFloats || it == view.ids + view.count || *it != id) return;
        std::copy(color, color + n, colors.begin() + (it - view.ids) * kColorSignatureFloats);
      }));
  rows_->colors = std::move(colors);
  return Status();
}

Status Searcher::check_model(const ModelIdentity& model) {
  std::lock_guard<std::mutex> lock(mutex_);
  return catalog_->check_model(model);
}

Result<bool> Searcher::refresh() {
  std::lock_guard<std::mutex> lock(mutex_);
  CLIPSEARCH_ASSIGN_OR_RETURN(int64_t generation, catalog_->generation());
  if (static_cast<uint64_t>(generation) == rows_->info.generation) return false;
  CLIPSEARCH_RETURN_IF_ERROR(load_rows());
  return true;
}

Result<SearchPage> Searcher::search(const Embedding& query, const SearchRequest& request) {
  if (request.k < 0 || request.offset < 0) {
    return Status::invalid_argument("search: k and offset must not be negative");
  }
  std::unique_lock<std::mutex> lock(mutex_);
  // Kept alive by this pointer while the scan runs without the lock (refresh() may replace rows_).
  const std::shared_ptr<Rows> rows = rows_;
  SearchPage page;
  const VectorView& view = rows->view;
  if (view.count == 0 || request.k == 0) return page;
  if (static_cast<int64_t>(query.size()) != view.dim) {
    return Status::invalid_argument("search: the query has " + std::to_string(query.size()) +
                                    " values, the index holds " + std::to_string(view.dim) +
                                    "-value embeddings");
  }

  std::optional<IdFilter> filter;
  page.candidates = view.count;
  // Videos are ranked by their frames (not a colour query: colour signatures are per item).
  const bool by_frames = !rows->video_ids.empty() && !request.color;
  std::vector<int64_t> videos_allowed;
  if (by_frames || !filter_is_empty(request.filter) || !request.exclude_ids.empty() ||
      request.only_ids) {
    std::vector<int64_t> allowed;
    if (filter_is_empty(request.filter)) {
      allowed.assign(view.ids, view.ids + view.count);
      std::sort(allowed.begin(), allowed.end());
    } else {
      CLIPSEARCH_ASSIGN_OR_RETURN(allowed, catalog_->filter_ids(request.filter));
    }
    if (request.only_ids) {
      std::vector<int64_t> both;
      std::set_intersection(allowed.begin(), allowed.end(), request.only_ids->begin(),
                            request.only_ids->end(), std::back_inserter(both));
      allowed = std::move(both);
    }
    std::vector<int64_t> excluded = request.exclude_ids;
    std::sort(excluded.begin(), excluded.end());
    std::erase_if(allowed, [&](int64_t id) {
      return std::binary_search(excluded.begin(), excluded.end(), id);
    });
    page.candidates = static_cast<int64_t>(allowed.size());
    if (by_frames) {
      // The item rows answer for photos, the frames for videos.
      const std::vector<int64_t>& videos = rows->video_ids;
      std::set_intersection(allowed.begin(), allowed.end(), videos.begin(), videos.end(),
                            std::back_inserter(videos_allowed));
      std::erase_if(allowed, [&](int64_t id) {
        return std::binary_search(videos.begin(), videos.end(), id);
      });
    }
    filter = IdFilter::allow(allowed);
  }

  SearchOptions options;
  options.filter = filter ? &*filter : nullptr;
  // A cutoff ranks everything above it: sorting by date needs all of it, and the page says how
  // many the cutoff keeps. An exact scan scores every row anyway; an HNSW graph ranks only what
  // a page needs when the order is by score.
  const bool all_above_cutoff = request.min_score > -std::numeric_limits<float>::infinity() &&
                                (request.sort != SortOrder::kScore || !rows_->hnsw);
  // offset + k hits, never more than there are rows (offset + k may not fit in an int64).
  const int64_t page_end =
      request.k > view.count - request.offset ? view.count : request.offset + request.k;
  options.k = all_above_cutoff ? view.count : page_end;
  const ClipSearch clip = [&](const SearchOptions& o) {
    if (rows->hnsw) return rows->hnsw->search(query.data(), o);
    if (rows->compact) return compact_search(view, rows->compact->rows(), query.data(), o);
    return exact_search(view, query.data(), o);
  };
  std::vector<SearchHit> hits;
  if (request.color) {
    CLIPSEARCH_RETURN_IF_ERROR(load_colors());
    // Without a graph the CLIP side is a scan: one pass scoring every row beats repeated ones.
    hits = color_mixed_search(view, rows->colors->data(), query.data(), *request.color, options,
                              rows->hnsw ? clip : ClipSearch());
  } else if (rows->hnsw) {
    hits = clip(options);
  } else {
    // Without the lock, so that concurrent searches meet in scans_ and share a pass.
    lock.unlock();
    const ScanRows scanned{view, rows->compact ? rows->compact->rows() : nullptr};
    hits = scans_.search(scanned, query.data(), options);
    lock.lock();
  }
  std::vector<std::pair<int64_t, int64_t>> frame_times;  // (video id, time of its best frame)
  if (by_frames) {
    hits =
        merge_frame_hits(std::move(hits), best_frames(rows->frames, query.data(), videos_allowed),
                         options.k, &frame_times);
  }
  if (!hits.empty()) page.best_score = hits.front().score;
  std::erase_if(hits, [&](const SearchHit& h) { return h.score < request.min_score; });

  std::vector<int64_t> ids;
  for (const SearchHit& h : hits) ids.push_back(h.id);
  CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<ImageRecord> records, catalog_->get_images(ids));
  std::unordered_map<int64_t, ImageRecord*> by_id;
  for (ImageRecord& r : records) by_id[r.id] = &r;
  const std::unordered_map<int64_t, int64_t> time_of(frame_times.begin(), frame_times.end());
  std::vector<SearchResult> results;
  for (const SearchHit& h : hits) {
    auto it = by_id.find(h.id);
    if (it == by_id.end()) continue;
    auto t = time_of.find(h.id);
    results.push_back({std::move(*it->second), h.score,
                       t == time_of.end() ? std::nullopt : std::optional<int64_t>(t->second)});
  }
  const auto sort_by_date = [&](std::vector<SearchResult>& v) {
    const bool newest = request.sort == SortOrder::kDateNewest;
    std::stable_sort(v.begin(), v.end(), [&](const auto& a, const auto& b) {
      return newest ? a.image.date_taken_ns > b.image.date_taken_ns
                    : a.image.date_taken_ns < b.image.date_taken_ns;
    });
  };
  // With a cutoff, everything above it is ordered by date and then paged. Without one, a page
  // holds the ranks it holds by score, ordered by date: ordering the first offset + k by date
  // before paging would let a later page repeat rows of an earlier one and skip others.
  if (request.sort != SortOrder::kScore && all_above_cutoff) sort_by_date(results);
  if (all_above_cutoff) page.above_cutoff = static_cast<int64_t>(results.size());
  const auto first = std::min<size_t>(results.size(), static_cast<size_t>(request.offset));
  const auto last = std::min<size_t>(results.size(), first + static_cast<size_t>(request.k));
  page.results.assign(std::make_move_iterator(results.begin() + static_cast<std::ptrdiff_t>(first)),
                      std::make_move_iterator(results.begin() + static_cast<std::ptrdiff_t>(last)));
  if (request.sort != SortOrder::kScore && !all_above_cutoff) sort_by_date(page.results);
  return page;
}

Result<std::pair<ImageRecord, Embedding>> Searcher::indexed_image(const std::string& path) {
  std::unique_lock<std::mutex> lock(mutex_);
  CLIPSEARCH_ASSIGN_OR_RETURN(std::optional<ImageRecord> record, catalog_->find_by_path(path));
  if (!record) return Status::not_found(path + ": not in the index");
  lock.unlock();
  return indexed_image(record->id);
}

Result<std::pair<ImageRecord, Embedding>> Searcher::indexed_image(int64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<ImageRecord> records, catalog_->get_images({id}));
  if (records.empty()) {
    return Status::not_found("image " + std::to_string(id) + ": not in the index");
  }
  if (records[0].status != ImageStatus::kOk) {
    return Status::not_found(records[0].path + ": not indexed (" + records[0].error + ")");
  }
  CLIPSEARCH_ASSIGN_OR_RETURN(Embedding embedding, catalog_->get_embedding(id));
  return std::make_pair(std::move(records[0]), std::move(embedding));
}

Result<ColorSignature> Searcher::indexed_color(int64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  CLIPSEARCH_ASSIGN_OR_RETURN(std::optional<std::vector<float>> packed, catalog_->get_color(id));
  if (!packed || packed->size() != kColorSignatureFloats) return ColorSignature();
  return ColorSignature::unpack(packed->data());
}

Result<std::vector<ImageRecord>> Searcher::images(const std::vector<int64_t>& ids) {
  std::lock_guard<std::mutex> lock(mutex_);
  return catalog_->get_images(ids);
}

Status Searcher::with_rows(const std::function<Status(const VectorView&)>& fn) {
  std::lock_guard<std::mutex> lock(mutex_);
  return fn(rows_->view);
}

Searcher::RowsLease Searcher::lease_rows() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return {rows_->view, rows_};
}

int64_t Searcher::generation() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int64_t>(rows_->info.generation);
}

int64_t Searcher::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return rows_->view.count;
}

int64_t Searcher::frame_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int64_t>(rows_->frames.image_ids.size());
}

IndexKind Searcher::index_kind() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return rows_->hnsw ? IndexKind::kHnsw : IndexKind::kExact;
}

VectorStore Searcher::vector_store() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!rows_->compact) return {};
  return {"f16", rows_->compact->recall()};
}

std::vector<std::string> Searcher::notes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return notes_;
}

Result<std::vector<CatalogRoot>> Searcher::roots() {
  std::lock_guard<std::mutex> lock(mutex_);
  return catalog_->roots();
}

Result<CatalogStats> Searcher::stats() {
  std::lock_guard<std::mutex> lock(mutex_);
  return catalog_->stats();
}

Result<std::optional<ModelIdentity>> Searcher::model() {
  std::lock_guard<std::mutex> lock(mutex_);
  return catalog_->model();
}

Result<std::optional<std::string>> Searcher::catalog_id() {
  std::lock_guard<std::mutex> lock(mutex_);
  return catalog_->catalog_id();
}

Result<std::vector<SearchResult>> scored_images(
    Searcher& searcher, const std::vector<std::pair<int64_t, float>>& scored) {
  std::vector<int64_t> ids;
  std::unordered_map<int64_t, float> score_of;
  for (const auto& [id, score] : scored) {
    ids.push_back(id);
    score_of[id] = score;
  }
  CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<ImageRecord> images, searcher.images(ids));
  std::vector<SearchResult> out;
  for (ImageRecord& image : images) {
    const float score = score_of[image.id];
    out.push_back({std::move(image), score, std::nullopt});
  }
  return out;
}

}  // namespace clipsearch::search
