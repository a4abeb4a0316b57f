// The handler pool: jobs run on its threads, many at once up to its size; stop() answers the
// queued ones with run(false), waits for the running ones and refuses new ones.
#include "server/handler_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "testing/gate.h"

namespace clipsearch::server {
namespace {

using namespace std::chrono_literals;

using clipsearch::testing::Gate;

bool eventually(const std::function<bool()>& condition) {
  for (int i = 0; i < 500 && !condition(); ++i) std::this_thread::sleep_for(10ms);
  return condition();
}

TEST(HandlerPool, RunsJobsOnItsThreadsUpToItsSize) {
  HandlerPool pool(3);
  Gate gate;
  std::atomic<int> ran{0};
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(pool.submit([&](bool run) {
      ASSERT_TRUE(run);
      gate.wait();
      ran.fetch_add(1);
    }));
  }
  EXPECT_TRUE(eventually([&] { return pool.running() == 3 && pool.queued() == 2; }));
  gate.release();
  EXPECT_TRUE(eventually([&] { return ran.load() == 5; }));
  EXPECT_EQ(pool.running(), 0u);
}

TEST(HandlerPool, StopAnswersQueuedJobsWaitsForRunningOnesAndRefusesNewOnes) {
  HandlerPool pool(1);
  Gate gate;
  std::atomic<int> ran{0}, dropped{0};
  ASSERT_TRUE(pool.submit([&](bool run) {
    gate.wait();
    if (run) ran.fetch_add(1);
  }));
  ASSERT_TRUE(eventually([&] { return pool.running() == 1; }));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(pool.submit([&](bool run) { (run ? ran : dropped).fetch_add(1); }));
  }
  auto stopped = std::async(std::launch::async, [&] { pool.stop(); });
  EXPECT_TRUE(eventually([&] { return dropped.load() == 3; }));
  EXPECT_EQ(stopped.wait_for(50ms), std::future_status::timeout) << "the running job is waited for";
  gate.release();
  stopped.get();
  EXPECT_EQ(ran.load(), 1);
  EXPECT_FALSE(pool.submit([&](bool) { ran.fetch_add(100); }));
  EXPECT_EQ(ran.load(), 1);
}

}  // namespace
}  // namespace clipsearch::server
