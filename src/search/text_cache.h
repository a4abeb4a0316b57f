// TextEmbeddingCache: the embeddings of recent query texts, so that a repeated query (the same
// words typed again, a page of results re-requested) skips the tokenizer and the text tower.
//
// Least-recently-used eviction at a fixed number of entries (the reference recipe keeps 1,000;
// the default here is 1,024). Keys are the exact query text; values are the L2-normalized
// embedding. All methods are thread-safe (one mutex; a lookup is a hash probe and a list splice,
// far cheaper than the forward pass it saves).
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace clipsearch::search {

class TextEmbeddingCache {
 public:
  static constexpr size_t kDefaultCapacity = 1024;

  explicit TextEmbeddingCache(size_t capacity = kDefaultCapacity);

  // Copies the cached embedding of `text` into *out and marks it most recently used.
  bool get(const std::string& text, std::vector<float>* out);
  // All or nothing: when every text is cached, fills *out (one embedding per text), counts a
  // hit per text and returns true; otherwise changes nothing, counts nothing, returns false
  // (the caller embeds them, and that lookup counts the misses).
  bool get_all(const std::vector<std::string>& texts, std::vector<std::vector<float>>* out);
  // Inserts or replaces; evicts the least recently used entry when full.
  void put(const std::string& text, std::vector<float> embedding);

  size_t size() const;
  size_t capacity() const { return capacity_; }
  uint64_t hits() const;
  uint64_t misses() const;

 private:
  using Entry = std::pair<std::string, std::vector<float>>;
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::list<Entry> entries_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> by_text_;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
};

}  // namespace clipsearch::search
