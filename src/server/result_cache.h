// ResultCache: the JSON bodies of recent search answers (LRU), keyed by the catalog generation
// and the request's canonical form, so that a page of results asked again (paging back, several
// users typing the same popular query) is answered without embedding or scanning. A new
// generation (the indexer committed) makes every older entry unreachable. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

namespace clipsearch::server {

class ResultCache {
 public:
  explicit ResultCache(size_t capacity = 256) : capacity_(capacity) {}

  std::optional<std::string> get(const std::string& key) {
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

  void put(const std::string& key, std::string body) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (capacity_ == 0 || index_.count(key)) return;
    entries_.emplace_front(key, std::move(body));
    index_[key] = entries_.begin();
    if (entries_.size() > capacity_) {
      index_.erase(entries_.back().first);
      entries_.pop_back();
    }
  }

  uint64_t hits() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return hits_;
  }
  uint64_t misses() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return misses_;
  }

 private:
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::list<std::pair<std::string, std::string>> entries_;  // most recent first
  std::unordered_map<std::string, std::list<std::pair<std::string, std::string>>::iterator> index_;
  uint64_t hits_ = 0, misses_ = 0;
};

}  // namespace clipsearch::server
