// BackgroundRescan: `POST /api/index` — Library::index of the catalog's folders on a thread of
// its own while the server keeps answering (the same incremental indexer as `clipsearch index`,
// with the server's model: its image passes yield to text queries' passes, core/thread_pool.h). One
// rescan at a time, and none while another process indexes the catalog (its lock file): start()
// says which at once. Progress is read by /api/status; search sees the new images at its next
// refresh.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "clipsearch/library.h"
#include "clipsearch/status.h"

namespace clipsearch::server {

struct RescanState {
  bool running = false;
  int64_t done = 0, total = 0, failed = 0;
  int64_t runs = 0;         // finished rescans since the server started
  std::string last_result;  // "ok: 3 embedded, 1 removed, 0 failed" or "error: ..."
};

class BackgroundRescan {
 public:
  // `library` must outlive this object.
  explicit BackgroundRescan(Library* library);
  ~BackgroundRescan();  // waits for a running rescan

  // Starts a rescan; an error (kBusy) when one is running here or another process indexes the
  // catalog.
  Status start();
  RescanState state() const;

 private:
  void finish(const Result<IndexingReport>& report);

  Library* library_;
  mutable std::mutex mutex_;
  RescanState state_;
  std::thread thread_;
};

}  // namespace clipsearch::server
