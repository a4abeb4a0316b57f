// JobTable: background jobs start at once, show their progress while they run, end done, failed
// or cancelled, are bounded in number, and unknown ids are nothing.
#include "server/job_table.h"

#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

namespace clipsearch::server {
namespace {

// Work that reports progress 1 of 4 and then runs until it is cancelled.
JobTable::Work until_cancelled(std::atomic<bool>* stopped) {
  return [stopped](JobControl& control) -> Result<std::string> {
    control.progress(1, 4);
    while (!control.cancelled()) std::this_thread::yield();
    *stopped = true;
    return std::string("{}");
  };
}

// Waits (without a deadline: the work is immediate) until the job has left kRunning.
JobSnapshot finished(const JobTable& table, const std::string& id) {
  for (;;) {
    std::optional<JobSnapshot> job = table.get(id);
    if (!job || job->state != JobState::kRunning) return job.value_or(JobSnapshot{});
    std::this_thread::yield();
  }
}

TEST(JobTable, RunningJobsShowProgressAndStopWhenRemoved) {
  JobTable table({2, 16});
  std::atomic<bool> stopped{false};
  auto job = table.start("scan", {{"threshold", 0.5}}, until_cancelled(&stopped));
  ASSERT_TRUE(job.ok()) << job.status().message();
  EXPECT_EQ(job->id.size(), 16u);
  EXPECT_EQ(job->state, JobState::kRunning);
  while (table.get(job->id)->done != 1) std::this_thread::yield();
  EXPECT_EQ(table.get(job->id)->total, 4);
  ASSERT_EQ(table.list(true).size(), 1u);
  const nlohmann::json shown = nlohmann::json::parse(job_json(*table.get(job->id), true));
  EXPECT_EQ(shown["state"], "running");
  EXPECT_EQ(shown["kind"], "scan");
  EXPECT_EQ(shown["params"]["threshold"], 0.5);
  EXPECT_EQ(shown["progress"]["done"], 1);
  EXPECT_FALSE(shown.contains("result"));

  std::atomic<bool> second_stopped{false};
  auto second = table.start("scan", {}, until_cancelled(&second_stopped));
  ASSERT_TRUE(second.ok());
  auto third = table.start("scan", {}, until_cancelled(&second_stopped));
  EXPECT_EQ(third.status().code(), StatusCode::kUnavailable) << "two jobs run at most";

  const std::optional<JobSnapshot> removed = table.remove(job->id);
  ASSERT_TRUE(removed.has_value());
  EXPECT_EQ(removed->state, JobState::kCancelled);
  EXPECT_TRUE(stopped);
  EXPECT_FALSE(table.get(job->id).has_value());
  EXPECT_FALSE(table.remove(job->id).has_value());
  EXPECT_TRUE(table.start("scan", {}, until_cancelled(&second_stopped)).ok())
      << "a slot is free again";
}  // the table's destructor cancels the two still running

TEST(JobTable, FinishedJobsKeepTheirResultOrError) {
  JobTable table({2, 2});
  auto done = table.start("scan", {}, [](JobControl&) -> Result<std::string> {
    return std::string("{\"groups\": [1, 2]}");
  });
  ASSERT_TRUE(done.ok());
  const JobSnapshot d = finished(table, done->id);
  EXPECT_EQ(d.state, JobState::kDone);
  const nlohmann::json shown = nlohmann::json::parse(job_json(d, true));
  EXPECT_EQ(shown["result"]["groups"], nlohmann::json::array({1, 2}));
  EXPECT_FALSE(nlohmann::json::parse(job_json(d, false)).contains("result"));

  auto failed = table.start("scan", {}, [](JobControl&) -> Result<std::string> {
    return Status::io_error("disk on fire");
  });
  ASSERT_TRUE(failed.ok());
  const JobSnapshot f = finished(table, failed->id);
  EXPECT_EQ(f.state, JobState::kFailed);
  EXPECT_EQ(nlohmann::json::parse(job_json(f, true))["error"], "disk on fire");

  // A third finished job: the oldest finished one is forgotten (two are kept).
  auto third =
      table.start("scan", {}, [](JobControl&) -> Result<std::string> { return std::string("{}"); });
  ASSERT_TRUE(third.ok());
  finished(table, third->id);
  EXPECT_FALSE(table.get(done->id).has_value());
  EXPECT_TRUE(table.get(failed->id).has_value());
  EXPECT_EQ(table.list(false).size(), 2u);
  EXPECT_TRUE(table.list(true).empty());
}

}  // namespace
}  // namespace clipsearch::server
