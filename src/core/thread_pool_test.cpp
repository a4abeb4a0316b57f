#include "core/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
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
