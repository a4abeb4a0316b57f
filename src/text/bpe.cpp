#include "text/bpe.h"

#include <cassert>
#include <limits>

namespace clipsearch::text {

void BpeEncoder::merge(std::vector<int32_t>* symbols) const {
  std::vector<int32_t>& w = *symbols;
  const MergeTable& merges = vocab_->merges;
  auto rule = [&](int32_t a, int32_t b) { return merges.find(a, b); };
  while (w.size() > 1) {
    // The pair with the lowest rank (ref: min(pairs, key=bpe_ranks.get)).
    int32_t best_rank = std::numeric_limits<int32_t>::max();
    int32_t left = 0, right = 0, merged = 0;
    for (size_t i = 0; i + 1 < w.size(); ++i) {
      const MergeRule* r = rule(w[i], w[i + 1]);
      if (r != nullptr && r->rank < best_rank) {
        best_rank = r->rank;
        left = w[i], right = w[i + 1], merged = r->result;
      }
    }
    if (best_rank == std::numeric_limits<int32_t>::max()) break;
    // Merge every occurrence, left to right, without overlaps.
    size_t out = 0;
    for (size_t i = 0; i < w.size();) {
      if (i + 1 < w.size() && w[i] == left && w[i + 1] == right) {
        w[out++] = merged;
        i += 2;
      } else {
        w[out++] = w[i++];
      }
    }
    w.resize(out);
  }
}

void BpeEncoder::encode_word(std::string_view word, std::vector<int32_t>* ids) {
  assert(!word.empty());
  std::string key(word);
  auto it = cache_.find(key);
  if (it != cache_.end()) {
    ids->insert(ids->end(), it->second.begin(), it->second.end());
    return;
  }
  scratch_.clear();
  for (size_t i = 0; i < word.size(); ++i) {
    auto b = static_cast<uint8_t>(word[i]);
    scratch_.push_back(i + 1 == word.size() ? vocab_->byte_end_ids[b] : vocab_->byte_ids[b]);
  }
  merge(&scratch_);
  ids->insert(ids->end(), scratch_.begin(), scratch_.end());
  if (cache_.size() >= max_cache_entries_) cache_.clear();  // bounded memory on endless input
  cache_.emplace(std::move(key), scratch_);
}

}  // namespace clipsearch::text
