// The process-wide thread pool. `--threads N` sets its size once; every parallel kernel of the
// engine runs on it, and OpenBLAS is kept single-threaded per call, so BLAS threads and ours
// never compete for the same cores (no oversubscription).
//
// parallel_for() may be called from any thread; a call made from inside a pool task runs inline
// on the calling thread (no nested parallelism). One parallel_for runs at a time; concurrent
// callers are serialized.
//
// Priorities between concurrent callers: work in an UrgentWork scope (a text query's forward
// pass) goes before work in a DeferrableWork scope (a batch of pictures). While any thread is
// inside an UrgentWork scope, a thread inside a DeferrableWork scope waits before each of its
// parallel_for / parallel_tasks calls (the inline ones too) until the urgent work that had begun
// when the call came has ended (not work that begins while it waits), so urgent work waits for
// at most one operation of the deferrable work, not for the whole batch, and a stream of urgent
// work slows deferrable work down without starving it (each call also waits kMaxDeferral at
// most). After a wait, deferrable work runs kDeferrableSlice without yielding, so that it keeps
// a share of the machine under a steady stream of urgent work: urgent work then waits at most
// the slice and one operation. Work in neither scope is neither urgent nor deferred.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include "clipsearch/threads.h"

namespace clipsearch {

// Calls fn(begin, end) on disjoint ranges covering [0, n), split over the pool's threads into
// contiguous chunks of at least min_chunk items. Returns when every chunk is done.
void parallel_for(int64_t n, const std::function<void(int64_t begin, int64_t end)>& fn,
                  int64_t min_chunk = 1);

// Calls fn(task) for every task in [0, tasks), tasks handed out dynamically (for uneven work).
void parallel_tasks(int64_t tasks, const std::function<void(int64_t task)>& fn);

inline constexpr std::chrono::milliseconds kMaxDeferral{250};
inline constexpr std::chrono::milliseconds kDeferrableSlice{10};

// Marks the calling thread's work as urgent while the object lives (any thread, nestable).
class UrgentWork {
 public:
  UrgentWork();
  ~UrgentWork();
  UrgentWork(const UrgentWork&) = delete;
  UrgentWork& operator=(const UrgentWork&) = delete;

 private:
  uint64_t ticket_;
};

// Makes the calling thread's pool calls yield to urgent work while the object lives (on the
// thread that made it; nestable: the innermost scope's max_wait applies), each waiting at most
// max_wait.
class DeferrableWork {
 public:
  explicit DeferrableWork(std::chrono::milliseconds max_wait = kMaxDeferral);
  ~DeferrableWork();
  DeferrableWork(const DeferrableWork&) = delete;
  DeferrableWork& operator=(const DeferrableWork&) = delete;

 private:
  std::chrono::milliseconds outer_max_wait_;
};

// How many pool calls of deferrable work waited for urgent work, process-wide (tests, metrics).
uint64_t deferred_calls();

}  // namespace clipsearch
