// LruCache: a thread-safe map of at most `capacity` entries that evicts the least recently
// used, counting hits and misses. The text embedding cache (search/text_cache.h) and the answer
// cache of `serve` (server/result_cache.h) are both one. One mutex: a lookup is a hash probe and
// a list splice, far cheaper than the work a hit saves. Values are copied out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace clipsearch {

template <class Value>
class LruCache {
 public:
  // A capacity of 0 keeps nothing (every lookup misses).
  explicit LruCache(size_t capacity) : capacity_(capacity) {}

  // Copies the value of `key` into *out and marks it most recently used.
  bool get(const std::string& key, Value* out) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = by_key_.find(key);
    if (it == by_key_.end()) {
      ++misses_;
      return false;
    }
    ++hits_;
    entries_.splice(entries_.begin(), entries_, it->second);
    *out = it->second->second;
    return true;
  }

  // All or nothing: when every key is present, fills *out (one value per key), counts a hit
  // per key and returns true; otherwise changes nothing, counts nothing and returns false.
  bool get_all(const std::vector<std::string>& keys, std::vector<Value>* out) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const std::string& key : keys) {
      if (by_key_.find(key) == by_key_.end()) return false;
    }
    out->clear();
    for (const std::string& key : keys) {
      auto entry = by_key_.find(key)->second;
      entries_.splice(entries_.begin(), entries_, entry);
      out->push_back(entry->second);
    }
    hits_ += keys.size();
    return true;
  }

  // Inserts or replaces; evicts the least recently used entry when full.
  void put(const std::string& key, Value value) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (capacity_ == 0) return;
    auto it = by_key_.find(key);
    if (it != by_key_.end()) {
      it->second->second = std::move(value);
      entries_.splice(entries_.begin(), entries_, it->second);
      return;
    }
    entries_.emplace_front(key, std::move(value));
    by_key_.emplace(key, entries_.begin());
    if (entries_.size() > capacity_) {
      by_key_.erase(entries_.back().first);
      entries_.pop_back();
    }
  }

  size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return entries_.size();
  }
  size_t capacity() const { return capacity_; }
  uint64_t hits() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return hits_;
  }
  uint64_t misses() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return misses_;
  }

 private:
  using Entry = std::pair<std::string, Value>;
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::list<Entry> entries_;  // most recently used first
  std::unordered_map<std::string, typename std::list<Entry>::iterator> by_key_;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
};

}  // namespace clipsearch
