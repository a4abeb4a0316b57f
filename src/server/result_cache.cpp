#include "server/result_cache.h"

#include "core/sha256.h"

namespace clipsearch::server {

void ResultCache::set_shared(std::shared_ptr<SharedCache> shared, std::string scope,
                             std::chrono::seconds ttl) {
  shared_ = std::move(shared);
  scope_ = std::move(scope);
  ttl_ = ttl;
}

std::optional<std::string> ResultCache::get(const std::string& key) {
  std::string body;
  if (local_.get(key, &body)) return body;
  if (!shared_) return std::nullopt;
  std::optional<std::string> shared = shared_->get(shared_key(key));
  if (!shared) return std::nullopt;
  ++shared_hits_;
  local_.put(key, *shared);
  return shared;
}

void ResultCache::put(const std::string& key, const std::string& body) {
  local_.put(key, body);
  if (shared_) shared_->set(shared_key(key), body, ttl_);
}

std::string ResultCache::shared_key(const std::string& key) const {
  return "result:" + scope_ + ":" + hex(sha256_bytes(key.data(), key.size()));
}

}  // namespace clipsearch::server
