// Byte-level BPE: turns one pre-tokenized word into token ids, with a cache of words seen.
//
// The word's UTF-8 bytes become byte-level symbols, the last one carrying the end-of-word
// suffix "</w>"; then the adjacent pair with the lowest merge rank is merged, everywhere from
// left to right, until no pair has a rule (ref: open_clip SimpleTokenizer.bpe, which the
// tokenizers BPE model reproduces). The BpeEncoder borrows the Vocabulary, which must outlive
// it. Not thread-safe (the cache); use one encoder per thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "text/vocabulary.h"

namespace clipsearch::text {

class BpeEncoder {
 public:
  explicit BpeEncoder(const Vocabulary* vocab, size_t max_cache_entries = 1 << 16)
      : vocab_(vocab), max_cache_entries_(max_cache_entries) {}

  // Appends the ids of `word` (UTF-8 bytes, not empty) to *ids.
  void encode_word(std::string_view word, std::vector<int32_t>* ids);

  size_t cache_size() const { return cache_.size(); }

 private:
  void merge(std::vector<int32_t>* symbols) const;

  const Vocabulary* vocab_;
  size_t max_cache_entries_;
  std::unordered_map<std::string, std::vector<int32_t>> cache_;
  std::vector<int32_t> scratch_;
};

}  // namespace clipsearch::text
