#include "index/scan_batcher.h"

#include <algorithm>

#include "index/compact_search.h"
#include "index/exact_index.h"

namespace clipsearch {

struct ScanBatcher::Pending {
  const ScanRows* rows;
  const float* query;
  const SearchOptions* options;
  const Single* single;
  std::vector<SearchHit> hits;
  bool done = false;
};

std::vector<SearchHit> ScanBatcher::search(const ScanRows& rows, const float* query,
                                           const SearchOptions& options, const Single& single) {
  Pending me{&rows, query, &options, &single, {}, false};
  std::unique_lock<std::mutex> lock(mutex_);
  waiting_.push_back(&me);
  while (!me.done) {
    if (scanning_) {
      scanned_.wait(lock);
      continue;
    }
    // This thread scans for the queue's front and whoever waits on the same rows with it (the
    // front may be another thread's search: this one then leads again, or is answered).
    const std::vector<Pending*> batch = take_batch();
    scanning_ = true;
    ++passes_;
    queries_ += static_cast<int64_t>(batch.size());
    lock.unlock();
    run(batch);
    lock.lock();
    for (Pending* p : batch) p->done = true;
    scanning_ = false;
    scanned_.notify_all();
  }
  return std::move(me.hits);
}

std::vector<ScanBatcher::Pending*> ScanBatcher::take_batch() {
  std::vector<Pending*> batch;
  const ScanRows& rows = *waiting_.front()->rows;
  for (auto it = waiting_.begin(); it != waiting_.end() && batch.size() < max_batch_;) {
    const ScanRows& r = *(*it)->rows;
    if (r.rows.vectors == rows.rows.vectors && r.rows.count == rows.rows.count &&
        r.rows.dim == rows.rows.dim && r.compact == rows.compact) {
      batch.push_back(*it);
      it = waiting_.erase(it);
    } else {
      ++it;
    }
  }
  return batch;
}

void ScanBatcher::run(const std::vector<Pending*>& batch) {
  if (batch.size() == 1) {
    Pending& p = *batch[0];
    if (*p.single) {
      p.hits = (*p.single)(p.query, *p.options);
    } else if (p.rows->compact != nullptr) {
      p.hits = compact_search(p.rows->rows, p.rows->compact, p.query, *p.options);
    } else {
      p.hits = exact_search(p.rows->rows, p.query, *p.options);
    }
    return;
  }
  const ScanRows& source = *batch[0]->rows;
  const VectorView& rows = source.rows;
  std::vector<float> queries;  // [batch, dim]
  std::vector<SearchOptions> options;
  for (const Pending* p : batch) {
    queries.insert(queries.end(), p->query, p->query + rows.dim);
    options.push_back(*p->options);
  }
  std::vector<std::vector<SearchHit>> hits =
      source.compact != nullptr
          ? compact_search_batch(rows, source.compact, queries.data(), options)
          : exact_search_batch(rows, queries.data(), options);
  for (size_t i = 0; i < batch.size(); ++i) batch[i]->hits = std::move(hits[i]);
}

int64_t ScanBatcher::passes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return passes_;
}

int64_t ScanBatcher::queries() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return queries_;
}

size_t ScanBatcher::waiting() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return waiting_.size();
}

}  // namespace clipsearch
