// Gate: a place test code waits at until the test opens it, so a test can hold a worker inside a
// job (a handler, a batch) and look at what happens around it. Waits are bounded (10 s), so a
// broken test fails instead of hanging. Header-only; thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace clipsearch::testing {

class Gate {
 public:
  // Blocks until release(), at most 10 s.
  void wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    ++waiting_;
    cv_.notify_all();
    cv_.wait_for(lock, std::chrono::seconds(10), [this] { return open_; });
  }
  // True once `n` callers have reached wait() (at most 5 s).
  bool wait_for_waiting(int n) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, std::chrono::seconds(5), [&] { return waiting_ >= n; });
  }
  void release() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      open_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
  int waiting_ = 0;
};

}  // namespace clipsearch::testing
