// ScanControl: how a caller follows and stops long work over the catalog's rows (a server's
// background job: the duplicates scan, an albums run).
#pragma once

#include <cstdint>
#include <functional>

namespace clipsearch::search {

// Both optional; both called on the working thread, between blocks of work.
struct ScanControl {
  std::function<void(int64_t done, int64_t total)> on_progress;  // steps done, of total
  std::function<bool()> cancelled;                               // true: stop now
};

}  // namespace clipsearch::search
