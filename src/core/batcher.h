// Batcher: dynamic batching of independent requests into one call, so that N clients searching
// at once cost one model forward pass on [N, ...] instead of N passes on [1, ...].
//
// Callers submit() an item and wait on the returned future. One worker thread takes up to
// max_batch queued items, waiting at most max_wait after the first of them for more to arrive,
// and calls the batch function once with all of them; result i goes to the caller of item i.
// The queue is bounded: when max_queue items wait, submit() fails at once (a server answers
// 503 with Retry-After) instead of letting latency grow without bound. shutdown() fails
// every waiting caller with an error (none hangs); the batch already running finishes first.
//
// Thread-safe: submit() from any number of threads. The batch function runs on the worker
// thread only, one batch at a time.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "clipsearch/status.h"

namespace clipsearch {

struct BatcherOptions {
  size_t max_batch = 16;
  std::chrono::microseconds max_wait{std::chrono::milliseconds(5)};
  size_t max_queue = 256;        // items waiting (not counting the batch being run)
  std::string name = "batcher";  // in error messages
  // Optional observers (metrics): on_batch on the worker thread before each batch runs,
  // on_queue_depth with the batcher's lock held (keep it short).
  std::function<void(size_t)> on_batch;        // the size of each batch run
  std::function<void(size_t)> on_queue_depth;  // items waiting, after each change
};

// Messages of the Status a failed submit() or a shut-down wait carries.
Status batcher_queue_full(const std::string& name, size_t max_queue);
Status batcher_stopped(const std::string& name);

template <class In, class Out>
class Batcher {
 public:
  // Returns one result per item, in order (fewer or more is an error for the whole batch). An
  // exception thrown by the function fails every item of the batch.
  using BatchFn = std::function<std::vector<Result<Out>>(std::vector<In>& items)>;

  Batcher(BatchFn fn, BatcherOptions options) : fn_(std::move(fn)), options_(std::move(options)) {
    if (options_.max_batch == 0) options_.max_batch = 1;
    worker_ = std::thread([this] { run(); });
  }
  ~Batcher() { shutdown(); }
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Queues `item`; fails immediately when the queue is full or the batcher is shut down.
  Result<std::future<Result<Out>>> submit(In item) {
    std::future<Result<Out>> future;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) return batcher_stopped(options_.name);
      if (queue_.size() >= options_.max_queue) {
        rejected_++;
        return batcher_queue_full(options_.name, options_.max_queue);
      }
      Pending p{std::move(item), std::promise<Result<Out>>(), Clock::now()};
      future = p.promise.get_future();
      queue_.push_back(std::move(p));
      set_depth_gauge();
    }
    wake_.notify_one();
    return future;
  }

  // Stops taking items, fails those still queued, waits for the running batch. Idempotent.
  void shutdown() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (worker_.joinable()) worker_.join();
  }

  size_t queue_depth() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return queue_.size();
  }
  uint64_t batches_run() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return batches_;
  }
  uint64_t rejected() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return rejected_;
  }
  const BatcherOptions& options() const { return options_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Pending {
    In item;
    std::promise<Result<Out>> promise;
    Clock::time_point queued;
  };

  void set_depth_gauge() {  // mutex_ held
    if (options_.on_queue_depth) options_.on_queue_depth(queue_.size());
  }

  void run() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) break;
      // The first item waits at most max_wait for company.
      const Clock::time_point deadline = queue_.front().queued + options_.max_wait;
      wake_.wait_until(lock, deadline,
                       [this] { return stopping_ || queue_.size() >= options_.max_batch; });
      if (stopping_) break;
      std::vector<Pending> batch;
      const size_t n = std::min(options_.max_batch, queue_.size());
      for (size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      set_depth_gauge();
      batches_++;
      lock.unlock();
      run_batch(batch);
      lock.lock();
    }
    const Status stopped = batcher_stopped(options_.name);
    for (Pending& p : queue_) p.promise.set_value(stopped);
    queue_.clear();
    set_depth_gauge();
  }

  void run_batch(std::vector<Pending>& batch) {
    if (options_.on_batch) options_.on_batch(batch.size());
    std::vector<In> items;
    items.reserve(batch.size());
    for (Pending& p : batch) items.push_back(std::move(p.item));
    std::vector<Result<Out>> results;
    Status failure;
    try {
      results = fn_(items);
      if (results.size() != batch.size()) {
        failure = Status::error(options_.name + ": batch function returned " +
                                std::to_string(results.size()) + " results for " +
                                std::to_string(batch.size()) + " items");
      }
    } catch (const std::exception& e) {
      failure = Status::error(options_.name + ": " + e.what());
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      if (failure.ok()) {
        batch[i].promise.set_value(std::move(results[i]));
      } else {
        batch[i].promise.set_value(failure);
      }
    }
  }

  BatchFn fn_;
  BatcherOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  uint64_t batches_ = 0;
  uint64_t rejected_ = 0;
  std::thread worker_;
};

}  // namespace clipsearch
