// HandlerPool: the few threads that run route handlers, so that a connection costs memory, not a
// thread. The HTTP server's event threads hand each complete request to the pool (the connection
// suspended meanwhile) and never block on a handler themselves.
//
// A handler may block (waiting for a batched model call, reading a file): the pool is sized for
// the requests that may wait at once, which is also the largest batch concurrent queries can
// form. Jobs run in the order submitted. Thread-safe. stop() refuses new jobs, hands every job
// still queued to its `run(false)` (so its connection is answered), and waits for the running
// ones.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace clipsearch::server {

class HandlerPool {
 public:
  // run(true): do the work; run(false): the pool is stopping and the job will not run.
  using Job = std::function<void(bool run)>;

  explicit HandlerPool(size_t threads);
  ~HandlerPool();
  HandlerPool(const HandlerPool&) = delete;
  HandlerPool& operator=(const HandlerPool&) = delete;

  // False, without calling the job, once stop() has begun.
  bool submit(Job job);
  void stop();

  size_t threads() const { return threads_.size(); }
  size_t queued() const;
  size_t running() const;

 private:
  void work();

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  size_t running_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace clipsearch::server
