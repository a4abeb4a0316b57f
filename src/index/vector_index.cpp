#include "index/vector_index.h"

#include <algorithm>
#include <bit>
#include <cassert>

namespace clipsearch {

IdFilter IdFilter::allow(const std::vector<int64_t>& ids) {
  IdFilter filter;
  int64_t max_id = -1;
  for (int64_t id : ids) {
    assert(id >= 0);
    max_id = std::max(max_id, id);
  }
  filter.bit_count_ = static_cast<uint64_t>(max_id + 1);
  filter.bits_.assign((filter.bit_count_ + 63) / 64, 0);
  for (int64_t id : ids) {
    const uint64_t u = static_cast<uint64_t>(id);
    filter.bits_[u >> 6] |= uint64_t{1} << (u & 63);
  }
  for (uint64_t word : filter.bits_) filter.allowed_count_ += std::popcount(word);
  return filter;
}

IdFilter IdFilter::predicate(std::function<bool(int64_t id)> allowed) {
  IdFilter filter;
  filter.predicate_ = std::move(allowed);
  return filter;
}

}  // namespace clipsearch
