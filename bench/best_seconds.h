// The timing rule of the micro-benchmarks: one warm-up call, then the best of `reps` timed calls
// (the least disturbed by a shared machine).
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>

inline double best_seconds(int reps, const std::function<void()>& fn) {
  fn();
  double best = 1e30;
  for (int i = 0; i < reps; ++i) {
    const auto start = std::chrono::steady_clock::now();
    fn();
    best = std::min(
        best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}
