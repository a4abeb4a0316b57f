// SharedCache: a key-value cache that other processes may share (Redis: src/redis), used by the
// in-process LRU caches as their second level (LRU -> shared cache -> compute, then write both).
//
// Lookups never fail: a miss and an unreachable cache look the same to the caller, because a
// cache must never take a search down; the implementation counts its own errors. Keys and values
// are byte strings (binary-safe). Implementations are thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace clipsearch {

class SharedCache {
 public:
  virtual ~SharedCache() = default;
  // The value stored under `key`, or nullopt (missing, expired, or the cache is unreachable).
  virtual std::optional<std::string> get(const std::string& key) = 0;
  // Stores `value` for `ttl` (positive); failures are counted, never reported.
  virtual void set(const std::string& key, const std::string& value, std::chrono::seconds ttl) = 0;
};

}  // namespace clipsearch
