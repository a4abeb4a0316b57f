#include "cli/serve_redis.h"

#include <csignal>
#include <iostream>

namespace clipsearch::cli {
namespace {

void log_state(bool up, const std::string& detail) {
  if (up) {
    std::cerr << "clipsearch: redis " << detail << ": connected, sharing the cache\n";
  } else {
    std::cerr << "clipsearch: warning: " << detail
              << "; searching without the shared cache until redis answers again\n";
  }
}

void add_metrics(server::Metrics* metrics, const std::shared_ptr<redis::RedisCache>& cache) {
  redis::RedisCache* c = cache.get();  // the cache outlives the server that renders metrics
  metrics->add_callback("clipsearch_redis_hits_total", "Shared cache lookups that found a value",
                        "counter", [c] { return double(c->hits()); });
  metrics->add_callback("clipsearch_redis_misses_total",
                        "Shared cache lookups that found nothing (or could not ask)", "counter",
                        [c] { return double(c->misses()); });
  metrics->add_callback("clipsearch_redis_errors_total",
                        "Failed connections and commands to redis (timeouts included)", "counter",
                        [c] { return double(c->errors()); });
  metrics->add_callback("clipsearch_redis_up", "1 while the last redis command succeeded", "gauge",
                        [c] { return c->up() ? 1.0 : 0.0; });
}

}  // namespace

Status check_redis_url(const ServeRedisArgs& args) {
  if (args.url.empty()) return Status();
  return redis::parse_redis_url(args.url).status().with_context("--redis");
}

Result<std::shared_ptr<redis::RedisCache>> open_redis_cache(const ServeRedisArgs& args,
                                                            const std::string& fingerprint,
                                                            server::Metrics* metrics) {
  auto endpoint = redis::parse_redis_url(args.url);
  if (!endpoint.ok()) return endpoint.status().with_context("--redis");
  redis::RedisCacheOptions options;
  options.key_prefix = "clipsearch:" + fingerprint + ":";
  options.timeout = std::chrono::milliseconds(args.timeout_ms);
  options.on_state_change = log_state;
  std::signal(SIGPIPE, SIG_IGN);
  auto cache = std::make_shared<redis::RedisCache>(std::move(endpoint).value(), std::move(options));
  add_metrics(metrics, cache);
  static_cast<void>(cache->connect_now());  // logged by log_state either way
  return cache;
}

}  // namespace clipsearch::cli
