// BackgroundRescan: `POST /api/index` — rescans the catalog's roots on a thread of its own while
// the server keeps answering (the same incremental indexer as `clipsearch index`, with the
// server's model: forward passes of queries and of the rescan take turns on the model's lock).
// One rescan at a time, and none while another process indexes the catalog (its lock file).
// Progress is read by /api/status; search sees the new images at its next refresh.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "clipsearch/image.h"
#include "clipsearch/model.h"
#include "clipsearch/status.h"
#include "index/catalog.h"

namespace clipsearch::server {

struct RescanState {
  bool running = false;
  int64_t done = 0, total = 0, failed = 0;
  int64_t runs = 0;         // finished rescans since the server started
  std::string last_result;  // "ok: 3 embedded, 1 removed, 0 failed" or "error: ..."
};

class BackgroundRescan {
 public:
  BackgroundRescan(std::string db, std::shared_ptr<Model> model, PreprocessConfig config,
                   DecodeOptions decode, ModelIdentity identity);
  ~BackgroundRescan();  // waits for a running rescan

  // Starts a rescan; an error when one is running here or another process holds the lock.
  Status start();
  RescanState state() const;

 private:
  void run();

  const std::string db_;
  std::shared_ptr<Model> model_;
  const PreprocessConfig config_;
  const DecodeOptions decode_;
  const ModelIdentity identity_;
  mutable std::mutex mutex_;
  RescanState state_;
  std::unique_ptr<CatalogLock> lock_;
  std::thread thread_;
};

}  // namespace clipsearch::server
