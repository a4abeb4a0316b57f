// The process-wide thread pool. `--threads N` sets its size once; every parallel kernel of the
// engine runs on it, and OpenBLAS is kept single-threaded per call, so BLAS threads and ours
// never compete for the same cores (no oversubscription).
//
// parallel_for() may be called from any thread; a call made from inside a pool task runs inline
// on the calling thread (no nested parallelism). One parallel_for runs at a time; concurrent
// callers are serialized.
#pragma once

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

}  // namespace clipsearch
