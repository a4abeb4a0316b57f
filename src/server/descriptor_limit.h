// The file descriptors a connection limit needs, and the process limit (RLIMIT_NOFILE) raised to
// fit it. Each open connection holds its socket, the watchdog's dup of it and, while a file is
// streamed to it, that file; the rest of the process (catalog, model, vector file, logs) gets a
// fixed reserve. Raising the soft limit up to the hard one is what a server is expected to do
// for itself (the soft default of 1024 dates from select()); nothing here uses select().
#pragma once

#include "clipsearch/status.h"

namespace clipsearch::server {

constexpr unsigned kDescriptorsPerConnection = 3;
constexpr unsigned kDescriptorReserve = 256;
// What max_connections 0 ("fit the descriptor limit") stops at.
constexpr unsigned kAutomaticMaxConnections = 10000;

// The most connections the hard descriptor limit allows (at least 1).
unsigned connections_within_descriptor_limit();

// Raises the soft limit so that `max_connections` fit; an error naming both numbers, and what
// to change, when the hard limit is too low.
Status fit_descriptor_limit(unsigned max_connections);

}  // namespace clipsearch::server
