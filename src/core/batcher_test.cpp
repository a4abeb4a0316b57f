#include "core/batcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace clipsearch {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A gate the batch function waits on, so a test can hold the worker inside a batch.
struct Gate {
  std::mutex m;
  std::condition_variable cv;
  bool open = false;
  void wait() {
    std::unique_lock<std::mutex> lock(m);
    cv.wait(lock, [this] { return open; });
  }
  void release() {
    {
      std::lock_guard<std::mutex> lock(m);
      open = true;
    }
    cv.notify_all();
  }
};

TEST(Batcher, EveryResultGoesToItsOwnCallerUnderConcurrency) {
  std::mutex sizes_mutex;
  std::vector<size_t> sizes;
  BatcherOptions options;
  options.max_batch = 8;
  options.max_wait = 2ms;
  options.max_queue = 10000;
  Batcher<int, int> batcher(
      [&](std::vector<int>& items) {
        {
          std::lock_guard<std::mutex> lock(sizes_mutex);
          sizes.push_back(items.size());
        }
        std::this_thread::sleep_for(1ms);  // a "forward pass": lets the queue fill meanwhile
        std::vector<Result<int>> out;
        out.reserve(items.size());
        for (int v : items) out.emplace_back(v * 3 + 1);
        return out;
      },
      options);
  constexpr int kThreads = 16, kPerThread = 50;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const int v = t * 1000 + i;
        auto f = batcher.submit(v);
        if (!f.ok()) {
          wrong++;
          continue;
        }
        Result<int> r = f->get();
        if (!r.ok() || r.value() != v * 3 + 1) wrong++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  size_t total = 0, largest = 0;
  for (size_t s : sizes) {
    total += s;
    largest = std::max(largest, s);
    EXPECT_LE(s, 8u);
  }
  EXPECT_EQ(total, size_t{kThreads * kPerThread});
  EXPECT_GT(largest, 1u) << "no batch formed under load";
  EXPECT_LT(sizes.size(), size_t{kThreads * kPerThread});
}

TEST(Batcher, FullBatchesFormWhileTheWorkerIsBusy) {
  Gate gate;
  std::vector<size_t> sizes;
  BatcherOptions options;
  options.max_batch = 4;
  options.max_wait = 1s;         // a full batch must not wait for this
  std::vector<size_t> observed;  // by on_batch, before the batch runs
  options.on_batch = [&](size_t n) { observed.push_back(n); };
  Batcher<int, int> batcher(
      [&](std::vector<int>& items) {
        sizes.push_back(items.size());
        if (sizes.size() == 1) gate.wait();
        return std::vector<Result<int>>(items.begin(), items.end());
      },
      options);
  std::vector<std::future<Result<int>>> futures;
  for (int i = 0; i < 4; ++i) futures.push_back(std::move(batcher.submit(i).value()));
  std::this_thread::sleep_for(50ms);  // the worker is in batch 1 (4 items), held by the gate
  for (int i = 4; i < 12; ++i) futures.push_back(std::move(batcher.submit(i).value()));
  const auto t0 = Clock::now();
  gate.release();
  for (int i = 0; i < 12; ++i) EXPECT_EQ(futures[i].get().value(), i);
  EXPECT_LT(Clock::now() - t0, 2s);  // generous: the machine may be loaded
  EXPECT_EQ(sizes, (std::vector<size_t>{4, 4, 4}));
  EXPECT_EQ(batcher.batches_run(), 3u);
  EXPECT_EQ(observed, (std::vector<size_t>{4, 4, 4}));
}

TEST(Batcher, MaxWaitBoundsTheWaitOfALoneItem) {
  BatcherOptions options;
  options.max_batch = 64;
  options.max_wait = 60ms;
  Batcher<int, int> batcher(
      [](std::vector<int>& items) { return std::vector<Result<int>>(items.begin(), items.end()); },
      options);
  const auto t0 = Clock::now();
  auto f = batcher.submit(7);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->get().value(), 7);
  const auto waited = Clock::now() - t0;
  EXPECT_GE(waited, 55ms);
  EXPECT_LT(waited, 1s);
}

TEST(Batcher, FullQueueRejectsImmediately) {
  Gate gate;
  BatcherOptions options;
  options.max_batch = 1;
  options.max_wait = 0ms;
  options.max_queue = 3;
  options.name = "image batcher";
  std::atomic<size_t> depth{0};
  options.on_queue_depth = [&](size_t n) { depth = n; };
  Batcher<int, int> batcher(
      [&](std::vector<int>& items) {
        gate.wait();
        return std::vector<Result<int>>(items.begin(), items.end());
      },
      options);
  std::vector<std::future<Result<int>>> futures;
  futures.push_back(std::move(batcher.submit(0).value()));
  while (batcher.queue_depth() != 0) std::this_thread::sleep_for(1ms);  // taken by the worker
  for (int i = 1; i <= 3; ++i) futures.push_back(std::move(batcher.submit(i).value()));
  EXPECT_EQ(depth.load(), 3u);
  const auto t0 = Clock::now();
  auto rejected = batcher.submit(99);
  EXPECT_LT(Clock::now() - t0, 50ms);
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(rejected.status().message().find("image batcher: queue full"), std::string::npos);
  EXPECT_EQ(batcher.rejected(), 1u);
  gate.release();
  for (int i = 0; i <= 3; ++i) EXPECT_EQ(futures[i].get().value(), i);
}

TEST(Batcher, ShutdownFailsWaitingCallersInsteadOfHanging) {
  Gate gate;
  BatcherOptions options;
  options.max_batch = 2;
  options.max_wait = 0ms;
  Batcher<int, int> batcher(
      [&](std::vector<int>& items) {
        gate.wait();
        return std::vector<Result<int>>(items.begin(), items.end());
      },
      options);
  std::vector<std::future<Result<int>>> futures;
  futures.push_back(std::move(batcher.submit(0).value()));
  while (batcher.queue_depth() != 0) std::this_thread::sleep_for(1ms);
  for (int i = 1; i <= 5; ++i) futures.push_back(std::move(batcher.submit(i).value()));
  std::thread releaser([&] {
    std::this_thread::sleep_for(50ms);
    gate.release();
  });
  batcher.shutdown();
  releaser.join();
  EXPECT_EQ(futures[0].get().value(), 0);  // the running batch finished
  for (int i = 1; i <= 5; ++i) {
    ASSERT_EQ(futures[i].wait_for(1s), std::future_status::ready);
    Result<int> r = futures[i].get();
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("shutting down"), std::string::npos);
  }
  EXPECT_FALSE(batcher.submit(6).ok());
}

TEST(Batcher, PerItemErrorsAndBatchFailuresReachTheRightCallers) {
  BatcherOptions options;
  options.max_batch = 4;
  options.max_wait = 20ms;
  Batcher<int, int> batcher(
      [](std::vector<int>& items) {
        if (items.size() == 1 && items[0] == -1) throw std::runtime_error("model failed");
        std::vector<Result<int>> out;
        for (int v : items) {
          out.push_back(v % 2 ? Result<int>(Status::error("odd " + std::to_string(v)))
                              : Result<int>(v));
        }
        return out;
      },
      options);
  auto a = batcher.submit(2);
  auto b = batcher.submit(3);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->get().value(), 2);
  Result<int> rb = b->get();
  ASSERT_FALSE(rb.ok());
  EXPECT_EQ(rb.status().message(), "odd 3");
  auto c = batcher.submit(-1);
  Result<int> rc = c->get();
  ASSERT_FALSE(rc.ok());
  EXPECT_NE(rc.status().message().find("model failed"), std::string::npos);
}

}  // namespace
}  // namespace clipsearch
