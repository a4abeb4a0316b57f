#include "core/batcher.h"

namespace clipsearch {

Status batcher_queue_full(const std::string& name, size_t max_queue) {
  return Status::unavailable(name + ": queue full (" + std::to_string(max_queue) +
                             " requests waiting); try again shortly");
}

Status batcher_stopped(const std::string& name) {
  return Status::unavailable(name + ": shutting down");
}

}  // namespace clipsearch
