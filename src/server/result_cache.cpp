#include "server/result_cache.h"

#include "indexer/model_identity.h"

namespace clipsearch::server {

void ResultCache::set_shared(std::shared_ptr<SharedCache> shared, std::string scope,
                             std::chrono::seconds ttl) {
  shared_ = std::move(shared);
  scope_ = std::move(scope);
  ttl_ = ttl;
}

std::optional<std::string> ResultCache::get(const std::string& key) {
  if (std::optional<std::string> body = local_get(key)) return body;
  if (!shared_) return std::nullopt;
  std::optional<std::string> body = shared_->get(shared_key(key));
  if (!body) return std::nullopt;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++shared_hits_;
  }
  local_put(key, *body);
  return body;
}

void ResultCache::put(const std::string& key, const std::string& body) {
  local_put(key, body);
  if (shared_) shared_->set(shared_key(key), body, ttl_);
}

std::string ResultCache::shared_key(const std::string& key) const {
  return "result:" + scope_ + ":" + hex(sha256_bytes(key.data(), key.size()));
}

std::optional<std::string> ResultCache::local_get(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = index_.find(key);
  if (it == index_.end()) {
    ++misses_;
    return std::nullopt;
  }
  ++hits_;
  entries_.splice(entries_.begin(), entries_, it->second);
  return it->second->second;
}

void ResultCache::local_put(const std::string& key, const std::string& body) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (capacity_ == 0 || index_.count(key)) return;
  entries_.emplace_front(key, body);
  index_[key] = entries_.begin();
  if (entries_.size() > capacity_) {
    index_.erase(entries_.back().first);
    entries_.pop_back();
  }
}

uint64_t ResultCache::hits() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return hits_;
}

uint64_t ResultCache::misses() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return misses_;
}

uint64_t ResultCache::shared_hits() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return shared_hits_;
}

}  // namespace clipsearch::server
