// `serve --redis URL`: the Redis cache shared by several servers, its log lines and its metrics.
#pragma once

#include <memory>
#include <string>

#include "clipsearch/status.h"
#include "redis/redis_cache.h"
#include "server/metrics.h"

namespace clipsearch::cli {

struct ServeRedisArgs {
  std::string url;         // empty: no shared cache
  int ttl_seconds = 3600;  // search answers
  int timeout_ms = 100;    // connect and each command
};

// Checks the URL (a bad one is a start-up error; nothing is contacted).
Status check_redis_url(const ServeRedisArgs& args);

// The cache for this model (keys "clipsearch:<fingerprint>:..."), its metrics registered, one
// connection tried now: an unreachable server is a warning on stderr, never an error, since a
// cache must not keep search from starting. Later changes (lost, back) are logged once each.
// Sets the process to ignore SIGPIPE (hiredis writes to sockets the server may have closed).
Result<std::shared_ptr<redis::RedisCache>> open_redis_cache(const ServeRedisArgs& args,
                                                            const std::string& fingerprint,
                                                            server::Metrics* metrics);

}  // namespace clipsearch::cli
