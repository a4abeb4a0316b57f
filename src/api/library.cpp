#include "clipsearch/library.h"

#include <cmath>
#include <filesystem>
#include <optional>
#include <utility>

#include "api/batched_encoder.h"
#include "api/library_impl.h"
#include "image/video_decode.h"
#include "indexer/model_identity.h"
#include "search/query_plan.h"
#include "search/zero_shot.h"

namespace clipsearch {
namespace {

// The model's scale when this query's scores are its probabilities: a text-only query on a
// sigmoid-scored model (SigLIP). Anything mixed in (pictures, examples, negatives, colour) makes
// the score a cosine of a combined vector, which no model probability describes.
std::optional<search::ScoreScale> probability_scale(const QueryParts& parts,
                                                    const ModelInfo& info) {
  const bool text_only = !parts.texts.empty() && parts.pictures.empty() &&
                         parts.example_ids.empty() && parts.example_paths.empty() &&
                         parts.negatives.empty() && !parts.color && !parts.color_weight;
  if (!text_only || info.score_kind != ModelInfo::ScoreKind::kSigmoid) return std::nullopt;
  return search::score_scale_of(info);
}

}  // namespace

ImageInfo image_info(const ImageRecord& record) {
  ImageInfo info;
  info.id = record.id;
  info.path = record.path;
  info.bytes = record.size;
  info.width = record.width;
  info.height = record.height;
  info.format = record.format;
  info.taken_ns = record.date_taken_ns;
  info.duration_ms = record.duration_ms;
  info.camera = record.camera;
  return info;
}

Status Library::Impl::needs_catalog(const char* what) const {
  if (!db.empty()) return Status();
  return Status::invalid_argument(std::string(what) +
                                  ": this library has no catalog (only a model)");
}

Result<search::Searcher*> Library::Impl::opened_searcher(bool* fresh) {
  CLIPSEARCH_RETURN_IF_ERROR(needs_catalog("indexed images"));
  std::lock_guard<std::mutex> lock(mutex);
  *fresh = !searcher;
  if (searcher) return searcher.get();
  search::SearcherOptions searcher_options;
  searcher_options.index = options.index == VectorIndex::kExact  ? search::IndexChoice::kExact
                           : options.index == VectorIndex::kHnsw ? search::IndexChoice::kHnsw
                                                                 : search::IndexChoice::kAuto;
  searcher_options.write_index_files = options.write_index_files;
  std::unique_ptr<Catalog> checked = std::move(catalog);
  CLIPSEARCH_ASSIGN_OR_RETURN(searcher,
                              checked ? search::Searcher::open(std::move(checked), searcher_options)
                                      : search::Searcher::open(db, searcher_options));
  return searcher.get();
}

void Library::Impl::close_catalog() {
  std::lock_guard<std::mutex> lock(mutex);
  catalog.reset();
}

Result<search::Searcher*> Library::Impl::current_searcher() {
  bool fresh = false;
  CLIPSEARCH_ASSIGN_OR_RETURN(search::Searcher * s, opened_searcher(&fresh));
  if (!fresh) CLIPSEARCH_RETURN_IF_ERROR(s->refresh().status());  // just opened: current
  return s;
}

Result<std::string> Library::Impl::model_folder(const std::string& name) const {
  return resolve_model(name, HubOptions::from_environment(), options.download_progress);
}

Result<search::QueryEmbedder*> Library::Impl::query_embedder() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (embedder) return embedder.get();
  }
  // The catalog's model, when there is a catalog: a model given must be that one.
  std::error_code ec;
  search::Searcher* s = nullptr;
  std::optional<ModelIdentity> stored;
  if (!db.empty() && (options.model.empty() || std::filesystem::exists(db, ec))) {
    // The catalog's model only: the caller brings the rows up to date itself.
    bool fresh = false;
    CLIPSEARCH_ASSIGN_OR_RETURN(s, opened_searcher(&fresh));
    CLIPSEARCH_ASSIGN_OR_RETURN(stored, s->model());
  }
  if (options.model.empty() && !stored) {
    return Status::not_found(db + ": the index is empty (run `clipsearch index` first)");
  }
  const std::string name = options.model.empty() ? stored->name : options.model;
  CLIPSEARCH_ASSIGN_OR_RETURN(std::string folder, model_folder(name));
  CLIPSEARCH_ASSIGN_OR_RETURN(
      std::unique_ptr<search::QueryEmbedder> loaded,
      search::QueryEmbedder::load(folder, options.decode,
                                  search::TextEmbeddingCache::kDefaultCapacity,
                                  options.model_options));
  if (stored) {
    CLIPSEARCH_ASSIGN_OR_RETURN(ModelIdentity identity,
                                model_identity(loaded->model(), name, options.decode));
    CLIPSEARCH_RETURN_IF_ERROR(s->check_model(identity));
  }
  if (options.shared_text_cache)
    loaded->set_shared_cache(options.shared_text_cache, options.text_ttl);
  std::lock_guard<std::mutex> lock(mutex);
  if (!embedder) {
    embedder = std::move(loaded);
    embedder_model = name;
    if (options.batching) {
      encoder = std::make_unique<BatchedQueryEncoder>(*embedder, *options.batching);
    } else {
      encoder = std::make_unique<search::EmbedderQueryEncoder>(embedder.get());
    }
  }
  return embedder.get();
}

Result<search::QueryEncoder*> Library::Impl::query_encoder() {
  CLIPSEARCH_RETURN_IF_ERROR(query_embedder().status());
  std::lock_guard<std::mutex> lock(mutex);
  return encoder.get();
}

Status Library::Impl::with_annotations(const std::function<Status(Annotations&)>& fn) {
  CLIPSEARCH_RETURN_IF_ERROR(needs_catalog("albums, labels and clicks"));
  std::lock_guard<std::mutex> lock(annotations_mutex_);
  if (!annotations_) {
    CLIPSEARCH_ASSIGN_OR_RETURN(annotations_, Annotations::open(db));
  }
  return fn(*annotations_);
}

void Library::Impl::reset() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    catalog.reset();
    searcher.reset();
    encoder.reset();
    embedder.reset();
    embedder_model.clear();
  }
  std::lock_guard<std::mutex> lock(annotations_mutex_);
  annotations_.reset();
}

Library::Library(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Library::~Library() = default;

std::string Library::default_catalog_path() { return catalog_default_path(); }

Result<std::unique_ptr<Library>> Library::open(const std::string& catalog,
                                               const LibraryOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->db = catalog.empty() ? catalog_default_path() : catalog;
  impl->options = options;
  // An existing file that is no catalog fails here, not at the first call (which gets the
  // connection opened to check it); a missing one is created by the first index().
  std::error_code ec;
  if (std::filesystem::exists(impl->db, ec)) {
    auto opened = Catalog::open(impl->db, Catalog::Mode::kReadOnly);
    // Not found: a file an interrupted first `index` left without a schema, which the next
    // index() completes; any other error is the file's.
    if (!opened.ok() && opened.status().code() != StatusCode::kNotFound) return opened.status();
    if (opened.ok()) impl->catalog = std::move(*opened);
  }
  return std::unique_ptr<Library>(new Library(std::move(impl)));
}

Result<std::unique_ptr<Library>> Library::open_model(const LibraryOptions& options) {
  if (options.model.empty())
    return Status::invalid_argument("a library without a catalog needs a model");
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  return std::unique_ptr<Library>(new Library(std::move(impl)));
}

const std::string& Library::catalog_path() const { return impl_->db; }

Status Library::load_model() { return impl_->query_embedder().status(); }

Result<int64_t> Library::generation() {
  CLIPSEARCH_ASSIGN_OR_RETURN(search::Searcher * searcher, impl_->current_searcher());
  return searcher->generation();
}

Result<SearchResults> Library::search(const Query& query, int64_t k, int64_t offset) {
  CLIPSEARCH_ASSIGN_OR_RETURN(search::Searcher * searcher, impl_->current_searcher());
  // Read before searching: with other threads refreshing, the page shows at least this.
  const int64_t generation = searcher->generation();
  const QueryParts& parts = query.parts();
  const bool needs_model =
      !parts.texts.empty() || !parts.negatives.empty() || !parts.pictures.empty();
  // Only examples: no model needed (their embeddings are in the catalog).
  search::EmbedderQueryEncoder no_model(nullptr);
  search::QueryEncoder* encoder = &no_model;
  if (needs_model) {
    CLIPSEARCH_ASSIGN_OR_RETURN(encoder, impl_->query_encoder());
  }
  const std::optional<search::ScoreScale> probability =
      needs_model ? probability_scale(parts, impl_->embedder->model().info()) : std::nullopt;
  QueryParts cosine_parts = parts;
  if (probability) {
    cosine_parts.min_score = search::cosine_at_probability(parts.min_score, *probability);
  }
  CLIPSEARCH_ASSIGN_OR_RETURN(
      search::PreparedQuery prepared,
      search::prepare_query(cosine_parts, k, offset, *encoder, *searcher, impl_->db));
  CLIPSEARCH_ASSIGN_OR_RETURN(search::SearchPage page,
                              searcher->search(prepared.vector, prepared.request));
  const auto score = [&](float cosine) {
    return probability && std::isfinite(cosine) ? search::sigmoid_probability(cosine, *probability)
                                                : cosine;
  };
  SearchResults results;
  results.score_kind = probability ? ScoreKind::kProbability : ScoreKind::kCosine;
  results.candidates = page.candidates;
  results.best_score = score(page.best_score);
  results.above_min_score = page.above_cutoff;
  results.generation = generation;
  for (const search::SearchResult& r : page.results) {
    std::optional<double> time;
    if (r.time_ms) time = static_cast<double>(*r.time_ms) / 1000.0;
    results.hits.push_back({image_info(r.image), score(r.score), time});
  }
  return results;
}

Result<ImageInfo> Library::image(int64_t id) {
  CLIPSEARCH_ASSIGN_OR_RETURN(search::Searcher * searcher, impl_->current_searcher());
  CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<ImageRecord> rows, searcher->images({id}));
  if (rows.empty() || rows[0].status != ImageStatus::kOk) {
    return Status::not_found("image " + std::to_string(id) + ": not in the index");
  }
  return image_info(rows[0]);
}

std::vector<std::string> Library::notes() {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->searcher ? impl_->searcher->notes() : std::vector<std::string>{};
}

LibraryUsage Library::usage() {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  LibraryUsage usage;
  if (impl_->searcher) {
    usage.index = impl_->searcher->index_kind() == IndexKind::kHnsw ? "hnsw" : "exact";
  }
  if (impl_->embedder) {
    const search::TextEmbeddingCache& cache = impl_->embedder->cache();
    usage.text_cache_hits = static_cast<int64_t>(cache.hits());
    usage.text_cache_misses = static_cast<int64_t>(cache.misses());
    usage.text_cache_size = static_cast<int64_t>(cache.size());
    usage.texts_embedded = static_cast<int64_t>(impl_->embedder->texts_embedded());
    usage.pictures_embedded = static_cast<int64_t>(impl_->embedder->pictures_embedded());
    const ModelDevices devices = impl_->embedder->model().devices();
    usage.image_device = devices.image_device;
    usage.text_device = devices.text_device;
    usage.device_note = devices.device_note;
  }
  return usage;
}

Result<LibraryStatus> Library::status(size_t max_failures) {
  CLIPSEARCH_RETURN_IF_ERROR(impl_->needs_catalog("status"));
  // The connection open() checked the catalog with, under the lock (the searcher may take it
  // over meanwhile), else one of its own.
  std::unique_lock<std::mutex> lock(impl_->mutex);
  Catalog* catalog = impl_->catalog.get();
  std::unique_ptr<Catalog> own;
  if (!catalog) {
    lock.unlock();
    CLIPSEARCH_ASSIGN_OR_RETURN(own, Catalog::open(impl_->db, Catalog::Mode::kReadOnly));
    catalog = own.get();
  }
  CLIPSEARCH_ASSIGN_OR_RETURN(std::optional<ModelIdentity> model, catalog->model());
  CLIPSEARCH_ASSIGN_OR_RETURN(CatalogStats stats, catalog->stats());
  CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<CatalogRoot> roots, catalog->roots());
  CLIPSEARCH_ASSIGN_OR_RETURN(auto failures, catalog->failures(static_cast<int64_t>(max_failures)));
  CLIPSEARCH_ASSIGN_OR_RETURN(std::optional<std::string> catalog_id, catalog->catalog_id());
  LibraryStatus status;
  status.catalog = impl_->db;
  if (model) {
    status.model = LibraryStatus::Model{model->name, model->fingerprint, model->embed_dim,
                                        model->pipeline, model->precision};
  }
  status.catalog_id = std::move(catalog_id);
  status.images = stats.images;
  status.errors = stats.errors;
  status.generation = stats.generation;
  for (const CatalogRoot& r : roots) status.folders.push_back(r.path);
  for (auto& [path, error] : failures) status.failures.push_back({path, error});
  CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<FormatCount> kinds, catalog->count_by_format());
  for (const FormatCount& k : kinds) {
    status.kinds.push_back({k.format, video_format_is_video(k.format), k.items, k.frames});
  }
  CLIPSEARCH_ASSIGN_OR_RETURN(std::optional<std::string> store,
                              catalog->setting(search::kVectorStoreKey));
  if (store) status.vector_store = *store;
  if (status.vector_store == "f16") {
    // The header alone: status never reads the rows. A missing or foreign file has no figure.
    auto recall = CompactVectorFile::read_recall(search::compact_file_path(impl_->db));
    if (recall.ok()) status.vector_store_recall = recall->recall_at_10;
  }
  std::error_code error;
  const std::string scanned = status.vector_store == "f16" ? search::compact_file_path(impl_->db)
                                                           : search::vector_file_path(impl_->db);
  const uintmax_t bytes = std::filesystem::file_size(scanned, error);
  if (!error) status.vector_store_bytes = static_cast<int64_t>(bytes);
  return status;
}

}  // namespace clipsearch
