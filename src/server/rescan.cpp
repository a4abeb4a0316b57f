#include "server/rescan.h"

#include <utility>

#include "indexer/indexer.h"

namespace clipsearch::server {

BackgroundRescan::BackgroundRescan(std::string db, std::shared_ptr<Model> model,
                                   PreprocessConfig config, DecodeOptions decode,
                                   ModelIdentity identity)
    : db_(std::move(db)),
      model_(std::move(model)),
      config_(config),
      decode_(decode),
      identity_(std::move(identity)) {}

BackgroundRescan::~BackgroundRescan() {
  if (thread_.joinable()) thread_.join();
}

Status BackgroundRescan::start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (state_.running) return Status::busy("a rescan is already running");
  Result<CatalogLock> held = CatalogLock::acquire(db_);
  if (!held.ok()) return held.status();
  lock_ = std::make_unique<CatalogLock>(std::move(held).value());
  if (thread_.joinable()) thread_.join();  // the previous, finished run
  state_.running = true;
  state_.done = state_.total = state_.failed = 0;
  thread_ = std::thread([this] { run(); });
  return Status();
}

RescanState BackgroundRescan::state() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return state_;
}

void BackgroundRescan::run() {
  std::string result;
  Result<std::unique_ptr<Catalog>> catalog = Catalog::open(db_, Catalog::Mode::kReadWrite);
  Status st = catalog.ok() ? (*catalog)->bind_model(identity_) : catalog.status();
  if (st.ok()) {
    IndexOptions options;  // no roots: every root stored in the catalog
    options.decode = decode_;
    options.on_progress = [this](const IndexProgress& p) {
      std::lock_guard<std::mutex> lock(mutex_);
      state_.done = p.done;
      state_.total = p.total;
      state_.failed = p.failed;
    };
    Result<IndexStats> stats = index_library(**catalog, *model_, config_, options);
    if (stats.ok()) {
      result = "ok: " + std::to_string(stats->embedded) + " embedded, " +
               std::to_string(stats->moved) + " moved, " + std::to_string(stats->removed) +
               " removed, " + std::to_string(stats->failed) + " failed, " +
               std::to_string(stats->skipped_roots.size()) + " roots skipped";
    } else {
      st = stats.status();
    }
  }
  if (!st.ok()) result = "error: " + st.message();
  std::lock_guard<std::mutex> lock(mutex_);
  state_.running = false;
  state_.runs++;
  state_.last_result = result;
  lock_.reset();
}

}  // namespace clipsearch::server
