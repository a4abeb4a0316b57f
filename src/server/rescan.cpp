#include "server/rescan.h"

#include <future>
#include <utility>

namespace clipsearch::server {

BackgroundRescan::BackgroundRescan(Library* library) : library_(library) {}

BackgroundRescan::~BackgroundRescan() {
  if (thread_.joinable()) thread_.join();
}

Status BackgroundRescan::start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (state_.running) return Status::busy("a rescan is already running");
  if (thread_.joinable()) thread_.join();  // the previous, finished run
  // The thread says whether it got the catalog's lock (or why not) before this returns.
  auto started = std::make_shared<std::promise<Status>>();
  std::future<Status> got_lock = started->get_future();
  state_.running = true;
  state_.done = state_.total = state_.failed = 0;
  thread_ = std::thread([this, started] {
    IndexingOptions options;
    bool told = false;
    options.on_started = [&] {
      told = true;
      started->set_value(Status());
    };
    options.on_progress = [this](const IndexingProgress& p) {
      std::lock_guard<std::mutex> lock(mutex_);
      state_.done = p.done;
      state_.total = p.total;
      state_.failed = p.failed;
    };
    Result<IndexingReport> report = library_->index({}, options);
    if (told) {
      finish(report);
    } else {
      started->set_value(report.status());  // start() reports it (it holds mutex_ meanwhile)
    }
  });
  Status st = got_lock.get();
  if (!st.ok()) {
    thread_.join();  // it has nothing left to do
    state_.running = false;
  }
  return st;
}

RescanState BackgroundRescan::state() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return state_;
}

void BackgroundRescan::finish(const Result<IndexingReport>& report) {
  std::string result;
  if (report.ok()) {
    result = "ok: " + std::to_string(report->embedded) + " embedded, " +
             std::to_string(report->moved) + " moved, " + std::to_string(report->removed) +
             " removed, " + std::to_string(report->failed) + " failed, " +
             std::to_string(report->skipped_folders.size()) + " roots skipped";
  } else {
    result = "error: " + report.status().message();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  state_.running = false;
  state_.runs++;
  state_.last_result = result;
}

}  // namespace clipsearch::server
