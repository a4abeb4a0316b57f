// Sorted, disjoint ranges of code points (the generated *_tables.inc files) and the lookup.
#pragma once

#include <algorithm>
#include <cstddef>
#include <iterator>

namespace clipsearch::text {

struct CodePointRange {
  char32_t first;
  char32_t last;
};

// Whether `c` lies in one of `table`'s ranges (sorted by first, disjoint).
template <size_t N>
bool in_ranges(const CodePointRange (&table)[N], char32_t c) {
  const CodePointRange* end = table + N;
  const CodePointRange* it = std::upper_bound(
      table, end, c, [](char32_t v, const CodePointRange& r) { return v < r.first; });
  return it != table && c <= std::prev(it)->last;
}

}  // namespace clipsearch::text
