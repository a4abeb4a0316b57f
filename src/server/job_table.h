// JobTable: long work of `clipsearch serve` (the duplicates scan, n^2 over the catalog) run as
// background jobs, so that a request never waits for it and searches go on meanwhile.
//
// start() runs the work on a thread of its own and returns at once with the job's id (random, 16
// hex digits); the work reports progress and polls for cancellation through its JobControl and
// returns the JSON body of its result. get() reads a job's state, progress and (once done) result;
// remove() cancels a running job, waits for it to stop (the work polls between blocks of a few
// milliseconds) and forgets it. At most `max_running` jobs run at once (start() is kUnavailable
// beyond: the server answers 429); finished jobs are kept for get() until `max_kept` are, the
// oldest finished then dropped. The destructor cancels and waits for every job.
//
// The work runs in a DeferrableWork scope (core/thread_pool.h): its thread-pool operations give
// way to text queries' forward passes. Thread-safe. The table's lock is never held while work
// runs or while a thread is joined.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "clipsearch/status.h"

namespace clipsearch::server {

enum class JobState { kRunning, kDone, kFailed, kCancelled };

// "running", "done", "failed", "cancelled": the names the API uses.
const char* job_state_name(JobState state);

// What the work sees of its job.
class JobControl {
 public:
  virtual ~JobControl() = default;
  virtual void progress(int64_t done, int64_t total) = 0;
  virtual bool cancelled() const = 0;
};

struct JobSnapshot {
  std::string id;
  std::string kind;       // "duplicates"
  nlohmann::json params;  // what the job was started with, as given back to clients
  JobState state = JobState::kRunning;
  int64_t done = 0, total = 0;
  double elapsed_ms = 0;              // since the start (to the end, once finished)
  std::optional<std::string> result;  // kDone: the JSON body the work returned
  std::optional<Status> error;        // kFailed: why
};

// The job as the API shows it: {"id", "kind", "params", "state", "progress": {"done", "total"},
// "elapsed_ms"} with, when asked and once done, "result" (the work's body as is), or "error" for a
// failed job.
std::string job_json(const JobSnapshot& job, bool with_result);

struct JobLimits {
  size_t max_running = 2;
  size_t max_kept = 16;
};

class JobTable {
 public:
  using Work = std::function<Result<std::string>(JobControl& control)>;

  explicit JobTable(JobLimits limits = {});
  ~JobTable();
  JobTable(const JobTable&) = delete;
  JobTable& operator=(const JobTable&) = delete;

  // The new job (state kRunning), or kUnavailable when max_running jobs already run.
  Result<JobSnapshot> start(const std::string& kind, nlohmann::json params, Work work);
  std::optional<JobSnapshot> get(const std::string& id) const;
  // Cancels the job if it runs, waits for it to stop, forgets it; its last state (kCancelled
  // when the work stopped on the request), or nullopt for an unknown id.
  std::optional<JobSnapshot> remove(const std::string& id);
  // Every job kept, oldest first (running_only: those still running).
  std::vector<JobSnapshot> list(bool running_only) const;

 private:
  struct Job;
  std::shared_ptr<Job> find(const std::string& id) const;
  void drop_oldest_finished();  // mutex_ held

  JobLimits limits_;
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<Job>> jobs_;  // oldest first
};

}  // namespace clipsearch::server
