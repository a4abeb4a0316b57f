// Library::index and Library::reindex: the model loaded and bound to the catalog, the indexer
// run under the catalog's lock, the index files written for the next search.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <utility>

#include "api/library_impl.h"
#include "indexer/crawler.h"
#include "indexer/indexer.h"
#include "indexer/model_identity.h"

namespace clipsearch {
namespace {

struct LoadedModel {
  std::shared_ptr<Model> model;
  PreprocessConfig config;
  ModelIdentity identity;
};

// The model of the Library's queries when it is the one asked for (a server indexing in the
// background keeps one copy in memory; forward passes take turns on the model's lock).
std::optional<LoadedModel> query_model(Library::Impl& impl, const std::string& name) {
  std::lock_guard<std::mutex> lock(impl.mutex);
  if (!impl.embedder || impl.embedder_model != name) return std::nullopt;
  return LoadedModel{impl.embedder->shared_model(), impl.embedder->preprocess_config(), {}};
}

Result<LoadedModel> load_indexing_model(Library::Impl& impl, const std::string& name) {
  LoadedModel m;
  if (std::optional<LoadedModel> shared = query_model(impl, name)) {
    m = std::move(*shared);
  } else {
    CLIPSEARCH_ASSIGN_OR_RETURN(std::string folder, impl.model_folder(name));
    CLIPSEARCH_ASSIGN_OR_RETURN(m.model, Model::load(folder, impl.options.model_options));
    CLIPSEARCH_ASSIGN_OR_RETURN(m.config, preprocess_config_load(folder));
  }
  const int64_t size = m.model->info().image_size;
  if (!m.config.do_center_crop || m.config.crop_height != size || m.config.crop_width != size) {
    return Status::unsupported(name + ": the preprocessing crops to " +
                               std::to_string(m.config.crop_height) + "x" +
                               std::to_string(m.config.crop_width) + ", the model takes " +
                               std::to_string(size) + "x" + std::to_string(size));
  }
  CLIPSEARCH_ASSIGN_OR_RETURN(m.identity, model_identity(*m.model, name, impl.options.decode));
  return m;
}

// The model of LibraryOptions, else the one the catalog was made with.
Result<std::string> model_name(const Library::Impl& impl, Catalog& catalog) {
  if (!impl.options.model.empty()) {
    std::error_code ec;
    const bool folder = std::filesystem::is_directory(impl.options.model, ec);
    return folder ? absolute_path(impl.options.model) : impl.options.model;
  }
  CLIPSEARCH_ASSIGN_OR_RETURN(auto stored, catalog.model());
  if (!stored) {
    return Status::invalid_argument(catalog.path() +
                                    ": a new catalog needs --model (a model folder)");
  }
  return stored->name;
}

const char* root_state_name(RootState s) {
  switch (s) {
    case RootState::kOk:
      return "ok";
    case RootState::kMissing:
      return "missing";
    case RootState::kUnreadable:
      return "unreadable";
    case RootState::kEmpty:
      return "empty";
  }
  return "?";
}

IndexingReport report_of(const IndexStats& s) {
  IndexingReport r;
  r.files = s.files;
  r.unchanged = s.unchanged;
  r.embedded = s.embedded;
  r.imported = s.imported;
  r.reused = s.reused;
  r.moved = s.moved;
  r.touched = s.touched;
  r.removed = s.removed;
  r.colored = s.colored;
  r.failed = s.failed;
  r.not_images = s.not_images;
  r.decoded = s.decoded;
  r.videos = s.videos;
  r.frames = s.frames;
  for (const IndexFailure& f : s.failures) r.failures.push_back({f.path, f.message});
  for (const SkippedRoot& root : s.skipped_roots) {
    r.skipped_folders.push_back({root.root, root_state_name(root.state), root.message, root.kept});
  }
  return r;
}

Status check_batch_size(int batch_size) {
  if (batch_size >= 0) return Status();
  return Status::invalid_argument("batch size " + std::to_string(batch_size) +
                                  ": expected 0 (the device's default) or more");
}

// Images per batch: as asked, else what fills the image tower's device.
int batch_size_for(const IndexingOptions& options, const Model& model) {
  if (options.batch_size > 0) return options.batch_size;
  return model.devices().image_device == "cpu" ? kDefaultCpuBatch : kDefaultGpuBatch;
}

Result<IndexingReport> run_indexer(const Library::Impl& impl, Catalog& catalog, LoadedModel& m,
                                   std::vector<CatalogRoot> roots, const IndexingOptions& options) {
  IndexOptions index_options;
  index_options.roots = std::move(roots);
  index_options.batch_size = batch_size_for(options, *m.model);
  index_options.workers = options.workers;
  index_options.decode = impl.options.decode;
  index_options.max_file_bytes = options.max_file_bytes;
  index_options.video_frames = options.video_frames;
  index_options.precomputed = options.precomputed;
  if (options.on_progress) {
    index_options.on_progress = [&](const IndexProgress& p) {
      options.on_progress({p.done, p.total, p.failed});
    };
  }
  CLIPSEARCH_ASSIGN_OR_RETURN(IndexStats stats,
                              index_library(catalog, *m.model, m.config, index_options));
  IndexingReport report = report_of(stats);
  if (!options.vector_store.empty()) {
    CLIPSEARCH_RETURN_IF_ERROR(catalog.set_setting(search::kVectorStoreKey, options.vector_store));
  }
  // The vector file (and the HNSW graph of a large library) for the next searches: written now
  // so that the first search maps them instead of reading the catalog.
  if (impl.options.write_index_files) {
    if (auto searcher = search::Searcher::open(catalog.path()); !searcher.ok()) {
      report.warnings.push_back("index files not written: " + searcher.status().message());
    }
  }
  CLIPSEARCH_ASSIGN_OR_RETURN(CatalogStats totals, catalog.stats());
  report.images = totals.images;
  report.errors = totals.errors;
  report.generation = totals.generation;
  return report;
}

void remove_db_files(const std::string& db) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((db + suffix).c_str());
}

void fsync_folder_of(const std::string& path) {
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

Status check_vector_store(const std::string& store) {
  if (store.empty() || store == "f32" || store == "f16") return Status();
  return Status::invalid_argument("vector store '" + store + "': expected f32 or f16");
}

}  // namespace

Result<IndexingReport> Library::index(const std::vector<std::string>& folders,
                                      const IndexingOptions& options) {
  CLIPSEARCH_RETURN_IF_ERROR(check_vector_store(options.vector_store));
  CLIPSEARCH_RETURN_IF_ERROR(check_batch_size(options.batch_size));
  if (folders.empty() && !options.excludes.empty()) {
    return Status::invalid_argument(
        "index: --exclude applies to the PATHs given with it (the catalog's "
        "roots keep the excludes they were indexed with)");
  }
  CLIPSEARCH_RETURN_IF_ERROR(impl_->needs_catalog("index"));
  const std::string& db = impl_->db;
  impl_->close_catalog();
  CLIPSEARCH_ASSIGN_OR_RETURN(CatalogLock lock, CatalogLock::acquire(db));
  if (options.on_started) options.on_started();
  CLIPSEARCH_ASSIGN_OR_RETURN(std::unique_ptr<Catalog> catalog,
                              Catalog::open(db, Catalog::Mode::kReadWrite));
  CLIPSEARCH_ASSIGN_OR_RETURN(std::string name, model_name(*impl_, *catalog));
  CLIPSEARCH_ASSIGN_OR_RETURN(LoadedModel m, load_indexing_model(*impl_, name));
  CLIPSEARCH_RETURN_IF_ERROR(catalog->bind_model(m.identity));
  std::vector<CatalogRoot> roots;
  for (const std::string& folder : folders) roots.push_back({0, folder, options.excludes});
  return run_indexer(*impl_, *catalog, m, std::move(roots), options);
}

Result<IndexingReport> Library::reindex(const std::string& output, const IndexingOptions& given) {
  CLIPSEARCH_RETURN_IF_ERROR(check_vector_store(given.vector_store));
  CLIPSEARCH_RETURN_IF_ERROR(check_batch_size(given.batch_size));
  IndexingOptions options = given;
  CLIPSEARCH_RETURN_IF_ERROR(impl_->needs_catalog("reindex"));
  const std::string& db = impl_->db;
  impl_->close_catalog();
  CLIPSEARCH_ASSIGN_OR_RETURN(CatalogLock lock, CatalogLock::acquire(db));
  if (options.on_started) options.on_started();
  std::vector<CatalogRoot> roots;
  std::string name;  // the model asked for, else the catalog's (a change of precision only)
  {
    CLIPSEARCH_ASSIGN_OR_RETURN(std::unique_ptr<Catalog> old,
                                Catalog::open(db, Catalog::Mode::kReadOnly));
    CLIPSEARCH_ASSIGN_OR_RETURN(roots, old->roots());
    CLIPSEARCH_ASSIGN_OR_RETURN(name, model_name(*impl_, *old));
    // The new catalog keeps the old one's vector store unless asked for another.
    CLIPSEARCH_ASSIGN_OR_RETURN(std::optional<std::string> store,
                                old->setting(search::kVectorStoreKey));
    if (options.vector_store.empty() && store) options.vector_store = *store;
  }
  if (roots.empty()) {
    return Status::invalid_argument(db + ": the catalog has no roots to re-embed");
  }
  const bool in_place = output.empty();
  const std::string out = in_place ? db + ".reindex" : output;
  std::unique_ptr<CatalogLock> out_lock;
  if (!in_place) {
    CLIPSEARCH_ASSIGN_OR_RETURN(CatalogLock l, CatalogLock::acquire(out));
    out_lock = std::make_unique<CatalogLock>(std::move(l));
    std::error_code ec;
    if (std::filesystem::exists(out, ec)) {
      return Status::invalid_argument(out + ": exists; --output must name a new catalog");
    }
  }
  remove_db_files(out);  // a half-made catalog from an interrupted reindex
  CLIPSEARCH_ASSIGN_OR_RETURN(LoadedModel m, load_indexing_model(*impl_, name));
  IndexingReport report;
  {
    CLIPSEARCH_ASSIGN_OR_RETURN(std::unique_ptr<Catalog> fresh,
                                Catalog::open(out, Catalog::Mode::kReadWrite));
    CLIPSEARCH_RETURN_IF_ERROR(fresh->bind_model(m.identity));
    for (auto& r : roots) r.id = 0;
    CLIPSEARCH_ASSIGN_OR_RETURN(report, run_indexer(*impl_, *fresh, m, roots, options));
  }  // closing the last connection checkpoints and removes the -wal file
  if (!in_place) return report;
  // Swap: the old catalog stays whole until the new one is complete. This Library's own
  // connections (searcher, annotations) close first: the swap needs the only one.
  impl_->reset();
  {
    CLIPSEARCH_ASSIGN_OR_RETURN(std::unique_ptr<Catalog> old,
                                Catalog::open(db, Catalog::Mode::kReadWrite));
    Status st = old->detach_wal();
    if (!st.ok()) {
      return Status::error(st.code(), st.message() + "; the re-embedded catalog is complete at " +
                                          out + ": move it over " + db +
                                          " when nothing uses the catalog");
    }
  }
  if (std::rename(out.c_str(), db.c_str()) != 0) {
    return Status::io_error(out + ": cannot rename over " + db + ": " + std::strerror(errno));
  }
  fsync_folder_of(db);
  impl_->reset();  // the next call reads the new catalog (and loads the new model)
  return report;
}

}  // namespace clipsearch
