#include "server/descriptor_limit.h"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace clipsearch::server {

namespace {

rlim_t descriptors_for(unsigned connections) {
  return static_cast<rlim_t>(connections) * kDescriptorsPerConnection + kDescriptorReserve;
}

}  // namespace

unsigned connections_within_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1;
  if (limit.rlim_max == RLIM_INFINITY) return kAutomaticMaxConnections;
  if (limit.rlim_max <= descriptors_for(1)) return 1;
  const rlim_t n = (limit.rlim_max - kDescriptorReserve) / kDescriptorsPerConnection;
  return static_cast<unsigned>(std::min<rlim_t>(n, kAutomaticMaxConnections));
}

Status fit_descriptor_limit(unsigned max_connections) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return Status::io_error(std::string("cannot read the file-descriptor limit: ") +
                            std::strerror(errno));
  }
  const rlim_t needed = descriptors_for(max_connections);
  if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= needed) return Status();
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < needed) {
    return Status::invalid_argument(
        "max_connections " + std::to_string(max_connections) + " needs " + std::to_string(needed) +
        " file descriptors, but this process may open at most " + std::to_string(limit.rlim_max) +
        " (ulimit -Hn): lower max_connections to " +
        std::to_string(connections_within_descriptor_limit()) + " or raise the limit");
  }
  limit.rlim_cur = needed;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return Status::io_error("cannot raise the file-descriptor limit to " + std::to_string(needed) +
                            ": " + std::strerror(errno));
  }
  return Status();
}

}  // namespace clipsearch::server
