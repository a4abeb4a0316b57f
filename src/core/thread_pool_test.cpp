#include "core/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace clipsearch {
namespace {

TEST(ThreadPool, ParallelForCoversEveryIndexOnce) {
  for (int threads : {1, 2, 3, 8}) {
    set_num_threads(threads);
    for (int64_t n : {0, 1, 7, 1000}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      parallel_for(n, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)]++;
      });
      for (auto& h : hits) EXPECT_EQ(h.load(), 1);
    }
  }
  set_num_threads(0);
}

TEST(ThreadPool, TasksRunEachOnceAcrossManyJobs) {
  set_num_threads(4);
  std::atomic<int64_t> sum{0};
  for (int job = 0; job < 2000; ++job) {
    parallel_tasks(5, [&](int64_t t) { sum += t; });
  }
  EXPECT_EQ(sum.load(), 2000 * 10);
  set_num_threads(0);
}

TEST(ThreadPool, NestedCallsRunInline) {
  set_num_threads(4);
  std::atomic<int> count{0};
  parallel_tasks(4,
                 [&](int64_t) { parallel_for(10, [&](int64_t b, int64_t e) { count += e - b; }); });
  EXPECT_EQ(count.load(), 40);
  set_num_threads(0);
}

TEST(ThreadPool, MinChunkLimitsSplitting) {
  set_num_threads(4);
  std::atomic<int> chunks{0};
  parallel_for(
      10, [&](int64_t, int64_t) { chunks++; }, 10);
  EXPECT_EQ(chunks.load(), 1);
  set_num_threads(0);
}

}  // namespace
}  // namespace clipsearch

namespace clipsearch {
namespace {

// Issue 19: deferrable work (a batch of pictures) waits before its next operation while urgent
// work (a text pass) runs, so the urgent work's operation runs first.
TEST(ThreadPoolPriority, DeferrableWorkWaitsForUrgentWork) {
  set_num_threads(2);
  std::mutex log_mutex;
  std::vector<std::string> log;
  const auto note = [&](const char* what) {
    std::lock_guard<std::mutex> lock(log_mutex);
    log.push_back(what);
  };
  const uint64_t deferred_before = deferred_calls();
  std::optional<UrgentWork> urgent;
  urgent.emplace();
  std::thread deferrable([&] {
    const DeferrableWork yields(std::chrono::hours(1));
    parallel_for(100, [&](int64_t b, int64_t) {
      if (b == 0) note("deferrable");
    });
  });
  while (deferred_calls() == deferred_before) std::this_thread::yield();
  parallel_for(100, [&](int64_t b, int64_t) {
    if (b == 0) note("urgent");
  });
  urgent.reset();
  deferrable.join();
  EXPECT_EQ(log, (std::vector<std::string>{"urgent", "deferrable"}));
  // Without urgent work, deferrable work runs at once.
  const uint64_t deferred_now = deferred_calls();
  {
    const DeferrableWork yields;
    parallel_for(10, [](int64_t, int64_t) {});
  }
  EXPECT_EQ(deferred_calls(), deferred_now);
  set_num_threads(0);
}

}  // namespace
}  // namespace clipsearch
