#include "server/batcher.h"

namespace clipsearch::server {

Status batcher_queue_full(const std::string& name, size_t max_queue) {
  return Status::error(name + ": queue full (" + std::to_string(max_queue) +
                       " requests waiting); try again shortly");
}

Status batcher_stopped(const std::string& name) { return Status::error(name + ": shutting down"); }

}  // namespace clipsearch::server
