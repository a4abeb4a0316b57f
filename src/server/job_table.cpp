#include "server/job_table.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <random>
#include <thread>
#include <utility>

#include "core/thread_pool.h"

namespace clipsearch::server {
namespace {

using Clock = std::chrono::steady_clock;

// 64 random bits as 16 hex digits: ids a client cannot guess from its own.
std::string random_job_id() {
  static std::mutex mutex;
  static std::mt19937_64 engine(std::random_device{}());
  std::lock_guard<std::mutex> lock(mutex);
  char id[17];
  std::snprintf(id, sizeof id, "%016llx", static_cast<unsigned long long>(engine()));
  return id;
}

}  // namespace

const char* job_state_name(JobState state) {
  switch (state) {
    case JobState::kRunning:
      return "running";
    case JobState::kDone:
      return "done";
    case JobState::kFailed:
      return "failed";
    case JobState::kCancelled:
      break;
  }
  return "cancelled";
}

// One job: its snapshot under its own lock, the cancel flag the work polls, and the thread. The
// thread sees the Job through a plain pointer; whoever destroys the Job joins the thread first, so
// the last owner is never the thread itself.
struct JobTable::Job : JobControl {
  mutable std::mutex mutex;
  JobSnapshot snapshot;
  Clock::time_point started = Clock::now();
  std::atomic<bool> cancel_requested{false};
  std::thread thread;

  ~Job() override {
    if (thread.joinable()) thread.join();
  }
  void progress(int64_t done, int64_t total) override {
    std::lock_guard<std::mutex> lock(mutex);
    snapshot.done = done;
    snapshot.total = total;
  }
  bool cancelled() const override { return cancel_requested.load(); }

  JobSnapshot read() const {
    std::lock_guard<std::mutex> lock(mutex);
    JobSnapshot s = snapshot;
    if (s.state == JobState::kRunning) {
      s.elapsed_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    }
    return s;
  }
  bool running() const {
    std::lock_guard<std::mutex> lock(mutex);
    return snapshot.state == JobState::kRunning;
  }
  void finish(Result<std::string> result) {
    std::lock_guard<std::mutex> lock(mutex);
    snapshot.elapsed_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    if (cancel_requested.load()) {
      snapshot.state = JobState::kCancelled;
    } else if (result.ok()) {
      snapshot.state = JobState::kDone;
      snapshot.result = std::move(result).value();
    } else {
      snapshot.state = JobState::kFailed;
      snapshot.error = result.status();
    }
  }
  void run(const Work& work) {
    // Background work: its operations on the thread pool yield to text queries' forward passes.
    const DeferrableWork background;
    Result<std::string> result = Status::error("the job stopped without an answer");
    try {
      result = work(*this);
    } catch (const std::exception& e) {
      result = Status::error(std::string("the job failed: ") + e.what());
    }
    finish(std::move(result));
  }
};

std::string job_json(const JobSnapshot& job, bool with_result) {
  nlohmann::json j = {{"id", job.id},
                      {"kind", job.kind},
                      {"params", job.params},
                      {"state", job_state_name(job.state)},
                      {"progress", {{"done", job.done}, {"total", job.total}}},
                      {"elapsed_ms", job.elapsed_ms}};
  if (job.error) j["error"] = job.error->message();
  std::string body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (with_result && job.result) {
    body.pop_back();  // the closing brace: the result is already JSON, spliced in as is
    body += ", \"result\": " + *job.result + "}";
  }
  return body;
}

JobTable::JobTable(JobLimits limits) : limits_(limits) {}

JobTable::~JobTable() {
  std::vector<std::shared_ptr<Job>> jobs;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    jobs.swap(jobs_);
  }
  for (const auto& job : jobs) job->cancel_requested = true;
  // Each Job joins its thread as it goes.
}

Result<JobSnapshot> JobTable::start(const std::string& kind, nlohmann::json params, Work work) {
  std::vector<std::shared_ptr<Job>> dropped;  // joined after the lock is released
  auto job = std::make_shared<Job>();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto running = static_cast<size_t>(std::count_if(
        jobs_.begin(), jobs_.end(), [](const std::shared_ptr<Job>& j) { return j->running(); }));
    if (running >= limits_.max_running) {
      return Status::unavailable(std::to_string(running) +
                                 " jobs are running (the most this server runs at once); " +
                                 "retry when one has finished");
    }
    job->snapshot.id = random_job_id();
    job->snapshot.kind = kind;
    job->snapshot.params = std::move(params);
    jobs_.push_back(job);
    while (jobs_.size() > limits_.max_kept) {
      auto oldest = std::find_if(jobs_.begin(), jobs_.end(),
                                 [](const std::shared_ptr<Job>& j) { return !j->running(); });
      if (oldest == jobs_.end()) break;
      dropped.push_back(std::move(*oldest));
      jobs_.erase(oldest);
    }
    // Started under the lock, so that remove() never finds a job without its thread.
    job->thread = std::thread([raw = job.get(), work = std::move(work)] { raw->run(work); });
  }
  return job->read();
}

std::shared_ptr<JobTable::Job> JobTable::find(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& job : jobs_) {
    if (job->snapshot.id == id) return job;  // ids never change once set
  }
  return nullptr;
}

std::optional<JobSnapshot> JobTable::get(const std::string& id) const {
  const std::shared_ptr<Job> job = find(id);
  if (!job) return std::nullopt;
  return job->read();
}

std::optional<JobSnapshot> JobTable::remove(const std::string& id) {
  std::shared_ptr<Job> job;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = std::find_if(jobs_.begin(), jobs_.end(),
                           [&](const std::shared_ptr<Job>& j) { return j->snapshot.id == id; });
    if (it == jobs_.end()) return std::nullopt;
    job = std::move(*it);
    jobs_.erase(it);
  }
  if (job->running()) job->cancel_requested = true;
  if (job->thread.joinable()) job->thread.join();
  return job->read();
}

std::vector<JobSnapshot> JobTable::list(bool running_only) const {
  std::vector<std::shared_ptr<Job>> jobs;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    jobs = jobs_;
  }
  std::vector<JobSnapshot> out;
  for (const auto& job : jobs) {
    JobSnapshot s = job->read();
    if (!running_only || s.state == JobState::kRunning) out.push_back(std::move(s));
  }
  return out;
}

}  // namespace clipsearch::server
