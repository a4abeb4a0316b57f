#include "redis/redis_cache.h"

#include <algorithm>
#include <utility>

namespace clipsearch::redis {

Result<std::unique_ptr<RedisCache>> RedisCache::create(const std::string& url,
                                                       RedisCacheOptions options) {
  CLIPSEARCH_ASSIGN_OR_RETURN(RedisEndpoint endpoint, parse_redis_url(url));
  return std::make_unique<RedisCache>(std::move(endpoint), std::move(options));
}

RedisCache::RedisCache(RedisEndpoint endpoint, RedisCacheOptions options)
    : endpoint_(std::move(endpoint)), options_(std::move(options)) {}

bool RedisCache::up() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return state_ == State::kUp;
}

Status RedisCache::connect_now() {
  auto connection = RedisConnection::open(endpoint_, options_.timeout);
  Status st = connection.status();
  if (st.ok()) st = (*connection)->command({"PING"}).status();
  if (!st.ok()) {
    failed(st);
    return st;
  }
  succeeded();
  release(std::move(connection).value());
  return Status();
}

std::unique_ptr<RedisConnection> RedisCache::acquire() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      return connection;
    }
    if (state_ == State::kDown && std::chrono::steady_clock::now() < retry_at_) return nullptr;
  }
  auto connection = RedisConnection::open(endpoint_, options_.timeout);
  if (!connection.ok()) {
    failed(connection.status());
    return nullptr;
  }
  return std::move(connection).value();
}

void RedisCache::release(std::unique_ptr<RedisConnection> connection) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (idle_.size() < options_.max_idle) idle_.push_back(std::move(connection));
}

void RedisCache::succeeded() {
  bool changed = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    changed = state_ != State::kUp;
    state_ = State::kUp;
    backoff_ = std::chrono::milliseconds(0);
  }
  if (changed && options_.on_state_change) options_.on_state_change(true, endpoint_.describe());
}

void RedisCache::failed(const Status& why) {
  errors_.fetch_add(1, std::memory_order_relaxed);
  bool changed = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    changed = state_ != State::kDown;
    state_ = State::kDown;
    idle_.clear();  // a server that failed one connection has usually lost them all
    backoff_ = std::clamp(backoff_ * 2, options_.min_backoff, options_.max_backoff);
    retry_at_ = std::chrono::steady_clock::now() + backoff_;
  }
  if (changed && options_.on_state_change) options_.on_state_change(false, why.message());
}

std::optional<std::string> RedisCache::get(const std::string& key) {
  std::unique_ptr<RedisConnection> connection = acquire();
  if (!connection) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  auto value = connection->get(options_.key_prefix + key);
  if (!value.ok()) {
    failed(value.status());
    misses_.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  succeeded();
  release(std::move(connection));
  (value->has_value() ? hits_ : misses_).fetch_add(1, std::memory_order_relaxed);
  return std::move(value).value();
}

void RedisCache::set(const std::string& key, const std::string& value, std::chrono::seconds ttl) {
  std::unique_ptr<RedisConnection> connection = acquire();
  if (!connection) return;
  const Status st = connection->set(options_.key_prefix + key, value, ttl);
  if (!st.ok()) {
    failed(st);
    return;
  }
  succeeded();
  release(std::move(connection));
}

}  // namespace clipsearch::redis
