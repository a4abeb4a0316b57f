// Progress reporting for long commands (index, reindex): a bar redrawn in place on a terminal,
// or plain lines, or JSON Lines for scripts, written to a FILE (stderr by default) at most a few
// times a second. Not thread-safe: call from the thread that drives the work.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace clipsearch {

enum class ProgressStyle { kNone, kBar, kLines, kJson };

// "auto" picks kBar when `out` is a terminal, else kLines; "bar", "lines", "json", "none".
// Returns false for an unknown name.
bool progress_style_parse(const std::string& name, std::FILE* out, ProgressStyle* style);

class Progress {
 public:
  Progress(ProgressStyle style, std::string label, std::FILE* out = stderr);
  // `done` of `total` items, `errors` of them failed. Throttled: drawn at most every
  // 100 ms (bar) or second (lines, JSON), and always when done == total.
  void update(int64_t done, int64_t total, int64_t errors);
  // Draws the final state and ends the bar's line.
  void finish();
  // Ends the bar's line without a final report (the work failed).
  void stop();

 private:
  void draw(bool final);

  ProgressStyle style_;
  std::string label_;
  std::FILE* out_;
  std::chrono::steady_clock::time_point start_, last_;
  int64_t done_ = 0, total_ = 0, errors_ = 0;
  bool drawn_ = false;
  bool finished_ = false;
};

}  // namespace clipsearch
