// ResultCache: the JSON bodies of recent search answers (LRU), keyed by the catalog generation
// and the request's canonical form, so that a page of results asked again (paging back, several
// users typing the same popular query) is answered without embedding or scanning. A new
// generation (the indexer committed) makes every older entry unreachable.
//
// With a shared second level (serve --redis), a local miss asks the shared cache, and an answer
// computed here is written there too, so another server on the same catalog answers it without
// computing. Shared keys are "result:<scope>:<SHA-256 of the key>", where the scope is the
// catalog's id (Catalog::catalog_id): the key holds the generation but two catalogs may well be
// at the same one. Shared entries expire after the given TTL. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "clipsearch/shared_cache.h"
#include "core/lru_cache.h"

namespace clipsearch::server {

class ResultCache {
 public:
  explicit ResultCache(size_t capacity = 256) : local_(capacity) {}

  // Call before use.
  void set_shared(std::shared_ptr<SharedCache> shared, std::string scope, std::chrono::seconds ttl);

  std::optional<std::string> get(const std::string& key);
  void put(const std::string& key, const std::string& body);

  uint64_t hits() const { return local_.hits(); }      // answered from this process's LRU
  uint64_t misses() const { return local_.misses(); }  // not in the LRU
  // Of those misses, answered from the shared cache.
  uint64_t shared_hits() const { return shared_hits_.load(); }

 private:
  std::string shared_key(const std::string& key) const;

  LruCache<std::string> local_;
  std::shared_ptr<SharedCache> shared_;
  std::string scope_;
  std::chrono::seconds ttl_{0};
  std::atomic<uint64_t> shared_hits_{0};
};

}  // namespace clipsearch::server
