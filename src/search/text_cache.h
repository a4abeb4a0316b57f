// TextEmbeddingCache: the embeddings of recent query texts, so that a repeated query (the same
// words typed again, a page of results re-requested) skips the tokenizer and the text tower.
//
// Least-recently-used eviction at a fixed number of entries (the reference recipe keeps 1,000;
// the default here is 1,024). Keys are the exact query text; values are the L2-normalized
// embedding. Thread-safe (core/lru_cache.h). get_all() is all or nothing: a query whose texts
// are not all cached goes to the model, and that lookup counts the misses.
#pragma once

#include <cassert>
#include <cstddef>
#include <vector>

#include "core/lru_cache.h"

namespace clipsearch::search {

class TextEmbeddingCache : public LruCache<std::vector<float>> {
 public:
  static constexpr size_t kDefaultCapacity = 1024;

  explicit TextEmbeddingCache(size_t capacity = kDefaultCapacity) : LruCache(capacity) {
    assert(capacity > 0);
  }
};

}  // namespace clipsearch::search
