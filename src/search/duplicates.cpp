#include "search/duplicates.h"

#include <algorithm>
#include <map>
#include <numeric>

#include "core/thread_pool.h"
#include "index/dot.h"

namespace clipsearch::search {
namespace {

// Rows per block: a [kBlock, kBlock] float score tile is 4 MB.
constexpr int64_t kBlock = 1024;

class UnionFind {
 public:
  explicit UnionFind(int64_t n) : parent_(static_cast<size_t>(n)) {
    std::iota(parent_.begin(), parent_.end(), 0);
  }
  int64_t find(int64_t x) {
    while (at(x) != x) {
      at(x) = at(at(x));  // path halving
      x = at(x);
    }
    return x;
  }
  void unite(int64_t a, int64_t b) {
    a = find(a);
    b = find(b);
    if (a != b) at(std::max(a, b)) = std::min(a, b);
  }

 private:
  int64_t& at(int64_t x) { return parent_[static_cast<size_t>(x)]; }
  std::vector<int64_t> parent_;
};

// What the scan keeps: the components so far and, per row, the lowest similarity of a link it
// is part of. O(n) memory whatever the threshold (a low one links most pairs: storing the links
// would need n^2 of them).
struct Components {
  explicit Components(int64_t n) : sets(n), lowest(static_cast<size_t>(n), 2.0f) {}
  void link(int64_t a, int64_t b, float score) {
    sets.unite(a, b);
    lowest[static_cast<size_t>(a)] = std::min(lowest[static_cast<size_t>(a)], score);
    lowest[static_cast<size_t>(b)] = std::min(lowest[static_cast<size_t>(b)], score);
  }
  UnionFind sets;
  std::vector<float> lowest;
};

// Links the pairs (i in block_a, j in block_b, i < j) scoring at least the threshold.
void scan_block_pair(const float* vectors, int64_t dim, int64_t a0, int64_t a1, int64_t b0,
                     int64_t b1, float threshold, std::vector<float>* tile,
                     Components* components) {
  const int64_t rows = a1 - a0, cols = b1 - b0;
  tile->resize(static_cast<size_t>(rows * cols));  // every element written below
  // tile[rows, cols]: every pair scored as a search would score it, the columns across the pool.
  parallel_for(
      cols,
      [&](int64_t begin, int64_t end) {
        dot_matrix(vectors + a0 * dim, rows, vectors + (b0 + begin) * dim, end - begin, dim,
                   tile->data() + begin, cols);
      },
      64);
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) {
      const float s = (*tile)[static_cast<size_t>(i * cols + j)];
      if (a0 + i < b0 + j && s >= threshold) components->link(a0 + i, b0 + j, s);
    }
  }
}

}  // namespace

std::vector<DuplicateGroup> duplicate_groups(const float* vectors, const int64_t* ids, int64_t n,
                                             int64_t dim, float threshold,
                                             const ScanControl& control) {
  Components components(n);
  std::vector<float> tile;
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  const int64_t pairs = blocks * (blocks + 1) / 2;
  int64_t done = 0;
  if (control.on_progress) control.on_progress(0, pairs);
  for (int64_t a0 = 0; a0 < n; a0 += kBlock) {
    const int64_t a1 = std::min(n, a0 + kBlock);
    for (int64_t b0 = a0; b0 < n; b0 += kBlock) {
      if (control.cancelled && control.cancelled()) return {};
      scan_block_pair(vectors, dim, a0, a1, b0, std::min(n, b0 + kBlock), threshold, &tile,
                      &components);
      if (control.on_progress) control.on_progress(++done, pairs);
    }
  }
  std::map<int64_t, DuplicateGroup> by_root;
  for (int64_t r = 0; r < n; ++r) {
    if (components.lowest[static_cast<size_t>(r)] > 1.5f) continue;  // in no link
    DuplicateGroup& g = by_root[components.sets.find(r)];
    g.ids.push_back(ids[r]);
    g.min_similarity = std::min(g.min_similarity, components.lowest[static_cast<size_t>(r)]);
  }
  std::vector<DuplicateGroup> groups;
  for (auto& [root, g] : by_root) {
    std::sort(g.ids.begin(), g.ids.end());
    groups.push_back(std::move(g));
  }
  std::sort(groups.begin(), groups.end(), [](const DuplicateGroup& a, const DuplicateGroup& b) {
    return a.ids.front() < b.ids.front();
  });
  return groups;
}

Result<std::vector<DuplicateImages>> duplicate_groups_indexed(Searcher& searcher, float threshold,
                                                              const ScanControl& control) {
  const Searcher::RowsLease lease = searcher.lease_rows();
  const VectorView& rows = lease.view;
  std::vector<DuplicateGroup> groups =
      duplicate_groups(rows.vectors, rows.ids, rows.count, rows.dim, threshold, control);
  if (control.cancelled && control.cancelled()) {
    return Status::unavailable("duplicates: cancelled");
  }
  std::vector<DuplicateImages> out;
  for (DuplicateGroup& g : groups) {
    CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<ImageRecord> images, searcher.images(g.ids));
    out.push_back({std::move(g), std::move(images)});
  }
  return out;
}

}  // namespace clipsearch::search
