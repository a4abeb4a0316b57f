// TopK: the k best hits seen so far (vector_index.h's order: score desc, id asc), kept in a heap
// whose front is the worst kept hit, so a row that cannot enter is rejected with one compare.
// One per thread; not thread-safe.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "index/vector_index.h"

namespace clipsearch {

class TopK {
 public:
  explicit TopK(int64_t k) : k_(static_cast<size_t>(std::max<int64_t>(k, 0))) { heap_.reserve(k_); }

  void push(int64_t id, float score) {
    const SearchHit hit{id, score};
    if (heap_.size() < k_) {
      heap_.push_back(hit);
      std::push_heap(heap_.begin(), heap_.end(), ranks_before);
    } else if (k_ > 0 && ranks_before(hit, heap_.front())) {
      std::pop_heap(heap_.begin(), heap_.end(), ranks_before);
      heap_.back() = hit;
      std::push_heap(heap_.begin(), heap_.end(), ranks_before);
    }
  }
  // A score below this cannot enter (ties are decided by id in push()).
  float threshold() const {
    return heap_.size() < k_ || k_ == 0 ? -std::numeric_limits<float>::infinity()
                                        : heap_.front().score;
  }
  void merge(const TopK& other) {
    for (const SearchHit& hit : other.heap_) push(hit.id, hit.score);
  }
  size_t size() const { return heap_.size(); }
  bool full() const { return heap_.size() >= k_; }

  // The kept hits, best first. Leaves the object empty.
  std::vector<SearchHit> take_sorted() {
    std::sort_heap(heap_.begin(), heap_.end(), ranks_before);
    std::vector<SearchHit> out = std::move(heap_);
    heap_.clear();
    return out;
  }

 private:
  size_t k_;
  std::vector<SearchHit> heap_;  // heap under ranks_before: front() is the worst kept hit
};

}  // namespace clipsearch
