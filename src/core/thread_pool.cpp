#include "core/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace clipsearch {
namespace {

inline void cpu_relax() {
#if defined(__x86_64__)
  _mm_pause();
#endif
}

thread_local bool t_inside_pool_task = false;
thread_local int t_deferrable_depth = 0;
thread_local std::chrono::milliseconds t_max_deferral = kMaxDeferral;
// After waiting, deferrable work runs unhindered until then (its slice, kDeferrableSlice).
thread_local std::chrono::steady_clock::time_point t_slice_end;

// The urgent work in progress (one ticket per UrgentWork, in the order they began), and the
// deferrable callers waiting for it. A deferrable call waits for the urgent work that had begun
// when it arrived, not for work that begins while it waits: back-to-back text passes would
// otherwise hold a batch of pictures back indefinitely, and this way each text pass still waits
// for at most the one image operation let through after the pass before it.
class UrgencyGate {
 public:
  uint64_t enter() {
    std::lock_guard<std::mutex> lock(mutex_);
    const uint64_t ticket = next_ticket_++;
    active_.insert(ticket);
    return ticket;
  }
  void leave(uint64_t ticket) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      active_.erase(active_.find(ticket));
    }
    idle_.notify_all();
  }
  // Called before each pool call of deferrable work; returns whether it waited.
  bool yield(std::chrono::milliseconds max_wait) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (active_.empty()) return false;
    ++deferred_;
    const uint64_t arrived = next_ticket_;  // tickets below it began before this call
    idle_.wait_for(lock, max_wait, [&] { return active_.empty() || *active_.begin() >= arrived; });
    return true;
  }
  uint64_t deferred() {
    std::lock_guard<std::mutex> lock(mutex_);
    return deferred_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable idle_;
  uint64_t next_ticket_ = 0;
  std::set<uint64_t> active_;  // tickets of the urgent work running (unique: never reused)
  uint64_t deferred_ = 0;
};

UrgencyGate& urgency_gate() {
  static UrgencyGate gate;
  return gate;
}

// Deferrable work yields before each operation (never inside a pool task: the operation that
// called it already waited), except during the slice that follows a wait: one operation per text
// pass would leave a batch of pictures hundreds of passes to finish under a steady stream of
// texts; a slice lets it progress while a text pass waits at most the slice and one operation.
void yield_if_deferrable() {
  if (t_deferrable_depth == 0 || t_inside_pool_task) return;
  const auto now = std::chrono::steady_clock::now();
  if (now < t_slice_end) return;
  if (urgency_gate().yield(t_max_deferral)) {
    t_slice_end = std::chrono::steady_clock::now() + kDeferrableSlice;
  }
}

// Workers sleep on a condition variable between jobs and spin briefly after one, since the
// engine issues many short jobs back to back (one per layer op) and a wake-up costs more than
// the op on small batches.
class ThreadPool {
 public:
  explicit ThreadPool(int threads) {
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { worker_loop(); });
  }
  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
      ++generation_;
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
  }
  int size() const { return static_cast<int>(workers_.size()) + 1; }

  void run(int64_t tasks, const std::function<void(int64_t)>& fn) {
    std::lock_guard<std::mutex> serial(run_mutex_);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = &fn;
      job_tasks_ = tasks;
      next_task_.store(0, std::memory_order_relaxed);
      ++generation_;
      published_generation_.store(generation_, std::memory_order_release);
    }
    wake_.notify_all();
    work_on(fn, tasks);
    // Every task is claimed now; wait for the workers still running one. A worker joins a job
    // only under mutex_ while job_ is set, so clearing job_ under the lock with no active worker
    // guarantees no late worker can touch `fn` after we return. Spin on the atomic first so the
    // lock is taken once, not on every turn.
    for (;;) {
      while (active_workers_.load(std::memory_order_acquire) != 0) cpu_relax();
      std::lock_guard<std::mutex> lock(mutex_);
      if (active_workers_.load(std::memory_order_acquire) == 0) {
        job_ = nullptr;
        return;
      }
    }
  }

 private:
  void work_on(const std::function<void(int64_t)>& fn, int64_t tasks) {
    t_inside_pool_task = true;
    for (;;) {
      int64_t task = next_task_.fetch_add(1, std::memory_order_relaxed);
      if (task >= tasks) break;
      fn(task);
    }
    t_inside_pool_task = false;
  }

  void worker_loop() {
    uint64_t seen = 0;
    for (;;) {
      // Spin a little for the next job before sleeping.
      for (int i = 0; i < 20000 && published_generation_.load(std::memory_order_acquire) == seen;
           ++i) {
        cpu_relax();
      }
      const std::function<void(int64_t)>* job = nullptr;
      int64_t tasks = 0;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
        if (stop_) return;
        job = job_;
        tasks = job_tasks_;
        if (job != nullptr) active_workers_.fetch_add(1, std::memory_order_acq_rel);
      }
      if (job != nullptr) {
        work_on(*job, tasks);
        active_workers_.fetch_sub(1, std::memory_order_acq_rel);
      }
    }
  }

  std::vector<std::thread> workers_;
  std::mutex run_mutex_;
  std::mutex mutex_;
  std::condition_variable wake_;
  uint64_t generation_ = 0;
  std::atomic<uint64_t> published_generation_{0};
  bool stop_ = false;
  const std::function<void(int64_t)>* job_ = nullptr;
  int64_t job_tasks_ = 0;
  std::atomic<int64_t> next_task_{0};
  std::atomic<int> active_workers_{0};  // incremented under mutex_ only
};

std::mutex g_pool_mutex;
std::unique_ptr<ThreadPool> g_pool;
int g_requested_threads = 0;

int hardware_threads() { return std::max(1u, std::thread::hardware_concurrency()); }

ThreadPool& pool() {
  std::lock_guard<std::mutex> lock(g_pool_mutex);
  if (!g_pool) {
    g_pool = std::make_unique<ThreadPool>(g_requested_threads > 0 ? g_requested_threads
                                                                  : hardware_threads());
  }
  return *g_pool;
}

}  // namespace

int num_threads() { return pool().size(); }

void set_num_threads(int n) {
  std::lock_guard<std::mutex> lock(g_pool_mutex);
  g_requested_threads = n;
  int wanted = n > 0 ? n : hardware_threads();
  if (g_pool && g_pool->size() != wanted) g_pool.reset();
}

UrgentWork::UrgentWork() : ticket_(urgency_gate().enter()) {}
UrgentWork::~UrgentWork() { urgency_gate().leave(ticket_); }
DeferrableWork::DeferrableWork(std::chrono::milliseconds max_wait)
    : outer_max_wait_(t_max_deferral) {
  ++t_deferrable_depth;
  t_max_deferral = max_wait;
}
DeferrableWork::~DeferrableWork() {
  --t_deferrable_depth;
  t_max_deferral = outer_max_wait_;
}
uint64_t deferred_calls() { return urgency_gate().deferred(); }

void parallel_tasks(int64_t tasks, const std::function<void(int64_t task)>& fn) {
  if (tasks <= 0) return;
  yield_if_deferrable();
  if (tasks == 1 || t_inside_pool_task) {
    for (int64_t t = 0; t < tasks; ++t) fn(t);
    return;
  }
  ThreadPool& p = pool();
  if (p.size() == 1) {
    for (int64_t t = 0; t < tasks; ++t) fn(t);
    return;
  }
  p.run(tasks, fn);
}

void parallel_for(int64_t n, const std::function<void(int64_t begin, int64_t end)>& fn,
                  int64_t min_chunk) {
  if (n <= 0) return;
  min_chunk = std::max<int64_t>(1, min_chunk);
  int64_t chunks =
      std::min<int64_t>(t_inside_pool_task ? 1 : num_threads(), (n + min_chunk - 1) / min_chunk);
  if (chunks <= 1) {
    yield_if_deferrable();
    fn(0, n);
    return;
  }
  parallel_tasks(chunks, [&](int64_t c) {
    int64_t begin = n * c / chunks;
    int64_t end = n * (c + 1) / chunks;
    if (begin < end) fn(begin, end);
  });
}

}  // namespace clipsearch
