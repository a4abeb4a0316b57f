// RedisCache: the SharedCache on a Redis server, so several `clipsearch serve` processes share
// text embeddings and search answers.
//
// Every key is prefixed with `key_prefix` ("clipsearch:<model fingerprint>:"), so two models
// never read each other's entries. A cache must never take a search down, so:
//   - every connect and command has a short timeout (100 ms by default): a hung server costs a
//     request at most that long per lookup;
//   - a failure counts one error, drops the connections (a restarted server broke them all) and
//     starts a backoff (doubling up to max_backoff) during which lookups miss at once without
//     touching the network; the first lookup after the backoff reconnects. No thread of its own.
//   - on_state change is told when the server becomes reachable or unreachable (once per change,
//     not per failed request), so the caller can log it.
//
// Thread-safe: a small pool of connections, each used by one thread at a time; a thread that
// finds none idle opens one (at most as many connections as concurrent requests; at most
// max_idle kept). The mutex guards the pool and the backoff state, never network I/O.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "clipsearch/shared_cache.h"
#include "redis/redis_connection.h"
#include "redis/redis_url.h"

namespace clipsearch::redis {

struct RedisCacheOptions {
  std::string key_prefix;
  std::chrono::milliseconds timeout{100};       // connect, and each command
  std::chrono::milliseconds min_backoff{250};   // after the first failure
  std::chrono::milliseconds max_backoff{8000};  // doubling up to this
  size_t max_idle = 8;                          // idle connections kept
  // Called (outside the lock) when the server turns reachable (up = true) or unreachable, with
  // the error that says why.
  std::function<void(bool up, const std::string& detail)> on_state_change;
};

class RedisCache : public SharedCache {
 public:
  // Only a bad URL is an error; the server is not contacted.
  static Result<std::unique_ptr<RedisCache>> create(const std::string& url,
                                                    RedisCacheOptions options);
  RedisCache(RedisEndpoint endpoint, RedisCacheOptions options);

  // Connects and pings now (at start-up, to warn early); the error when the server is
  // unreachable. Later lookups retry on their own either way.
  Status connect_now();

  std::optional<std::string> get(const std::string& key) override;
  void set(const std::string& key, const std::string& value, std::chrono::seconds ttl) override;

  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }
  uint64_t errors() const { return errors_.load(std::memory_order_relaxed); }
  bool up() const;
  const RedisEndpoint& endpoint() const { return endpoint_; }

 private:
  // An idle or new connection; null while backing off or when connecting failed.
  std::unique_ptr<RedisConnection> acquire();
  void release(std::unique_ptr<RedisConnection> connection);
  void succeeded();
  void failed(const Status& why);

  const RedisEndpoint endpoint_;
  const RedisCacheOptions options_;
  std::atomic<uint64_t> hits_{0}, misses_{0}, errors_{0};

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<RedisConnection>> idle_;
  enum class State { kUnknown, kUp, kDown } state_ = State::kUnknown;
  std::chrono::milliseconds backoff_{0};
  std::chrono::steady_clock::time_point retry_at_{};
};

}  // namespace clipsearch::redis
