#include "search/text_cache.h"

#include <cassert>

namespace clipsearch::search {

TextEmbeddingCache::TextEmbeddingCache(size_t capacity) : capacity_(capacity) {
  assert(capacity > 0);
}

bool TextEmbeddingCache::get(const std::string& text, std::vector<float>* out) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = by_text_.find(text);
  if (it == by_text_.end()) {
    ++misses_;
    return false;
  }
  ++hits_;
  entries_.splice(entries_.begin(), entries_, it->second);
  *out = it->second->second;
  return true;
}

bool TextEmbeddingCache::get_all(const std::vector<std::string>& texts,
                                 std::vector<std::vector<float>>* out) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const std::string& text : texts) {
    if (by_text_.find(text) == by_text_.end()) return false;
  }
  out->clear();
  for (const std::string& text : texts) {
    auto entry = by_text_.find(text)->second;
    entries_.splice(entries_.begin(), entries_, entry);
    out->push_back(entry->second);
  }
  hits_ += texts.size();
  return true;
}

void TextEmbeddingCache::put(const std::string& text, std::vector<float> embedding) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = by_text_.find(text);
  if (it != by_text_.end()) {
    it->second->second = std::move(embedding);
    entries_.splice(entries_.begin(), entries_, it->second);
    return;
  }
  entries_.emplace_front(text, std::move(embedding));
  by_text_.emplace(text, entries_.begin());
  if (entries_.size() > capacity_) {
    by_text_.erase(entries_.back().first);
    entries_.pop_back();
  }
}

size_t TextEmbeddingCache::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.size();
}

uint64_t TextEmbeddingCache::hits() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return hits_;
}

uint64_t TextEmbeddingCache::misses() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return misses_;
}

}  // namespace clipsearch::search
