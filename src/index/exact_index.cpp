#include "index/exact_index.h"

#include <algorithm>

#include "core/thread_pool.h"
#include "index/dot.h"
#include "index/top_k.h"

namespace clipsearch {
namespace {

constexpr int64_t kScanBlock = 256;        // rows scored per kernel call (scores stay in L1)
constexpr int64_t kMinRowsPerTask = 4096;  // below this a task costs more than it saves

// Keeps the rows of scores[0, n) (rows first_row...) that pass the options.
inline void keep(const VectorView& rows, int64_t first_row, const float* scores, int64_t n,
                 const SearchOptions& options, TopK& top) {
  for (int64_t i = 0; i < n; ++i) {
    const float s = scores[i];
    // NaN fails both compares, so it never enters the heap (whose order it would break).
    if (!(s >= options.min_score) || !(s >= top.threshold())) continue;
    const int64_t id = rows.ids[first_row + i];
    if (options.filter != nullptr && !options.filter->allows(id)) continue;
    top.push(id, s);
  }
}

void scan(const VectorView& rows, const float* query, int64_t begin, int64_t end,
          const SearchOptions& options, TopK& top) {
  float scores[kScanBlock];
  for (int64_t b = begin; b < end; b += kScanBlock) {
    const int64_t n = std::min(kScanBlock, end - b);
    if (options.filter == nullptr) {
      dot_rows(query, rows.vectors + b * rows.dim, n, rows.dim, scores);
      keep(rows, b, scores, n, options, top);
      continue;
    }
    // Filtered: score only the allowed rows, so a selective filter reads little memory.
    for (int64_t i = b; i < b + n; ++i) {
      if (!options.filter->allows(rows.ids[i])) continue;
      const float s = dot(query, rows.vectors + i * rows.dim, rows.dim);
      if (s >= options.min_score && s >= top.threshold()) top.push(rows.ids[i], s);
    }
  }
}

}  // namespace

std::vector<SearchHit> exact_search(const VectorView& rows, const float* query,
                                    const SearchOptions& options) {
  if (options.k <= 0 || rows.count <= 0) return {};
  const int64_t k = std::min(options.k, rows.count);
  // A few tasks per thread, handed out dynamically, so a thread slowed by other work on the
  // machine does not hold up the query.
  const int64_t tasks = std::clamp<int64_t>(rows.count / kMinRowsPerTask, 1, 4 * num_threads());
  std::vector<TopK> tops(static_cast<size_t>(tasks), TopK(k));
  parallel_tasks(tasks, [&](int64_t t) {
    const int64_t begin = rows.count * t / tasks, end = rows.count * (t + 1) / tasks;
    scan(rows, query, begin, end, options, tops[static_cast<size_t>(t)]);
  });
  for (size_t t = 1; t < tops.size(); ++t) tops[0].merge(tops[t]);
  return tops[0].take_sorted();
}

std::vector<std::vector<SearchHit>> exact_search_batch(const VectorView& rows, const float* queries,
                                                       int64_t query_count,
                                                       const SearchOptions& options) {
  return exact_search_batch(
      rows, queries,
      std::vector<SearchOptions>(static_cast<size_t>(std::max<int64_t>(query_count, 0)), options));
}

std::vector<std::vector<SearchHit>> exact_search_batch(const VectorView& rows, const float* queries,
                                                       const std::vector<SearchOptions>& options) {
  const auto query_count = static_cast<int64_t>(options.size());
  std::vector<std::vector<SearchHit>> results(options.size());
  if (rows.count <= 0 || query_count == 0) return results;
  // A [queries, rows] block of scores: 256 x 4096 floats = 4 MiB, within L2+L3 of a core pair.
  constexpr int64_t kQueryBlock = 256, kRowBlock = 4096;
  std::vector<TopK> tops;
  for (const SearchOptions& o : options) tops.emplace_back(std::min(o.k, rows.count));
  std::vector<float> scores(static_cast<size_t>(kQueryBlock * kRowBlock));  // [qn, rn]
  for (int64_t q0 = 0; q0 < query_count; q0 += kQueryBlock) {
    const int64_t qn = std::min(kQueryBlock, query_count - q0);
    for (int64_t r0 = 0; r0 < rows.count; r0 += kRowBlock) {
      const int64_t rn = std::min(kRowBlock, rows.count - r0);
      // Row ranges across the pool; every score is the one exact_search would give the query.
      parallel_for(
          rn,
          [&](int64_t begin, int64_t end) {
            dot_matrix(queries + q0 * rows.dim, qn, rows.vectors + (r0 + begin) * rows.dim,
                       end - begin, rows.dim, scores.data() + begin, rn);
          },
          kScanBlock);
      parallel_for(qn, [&](int64_t begin, int64_t end) {
        for (int64_t q = begin; q < end; ++q) {
          const auto at = static_cast<size_t>(q0 + q);
          keep(rows, r0, scores.data() + q * rn, rn, options[at], tops[at]);
        }
      });
    }
  }
  for (size_t q = 0; q < tops.size(); ++q) results[q] = tops[q].take_sorted();
  return results;
}

}  // namespace clipsearch
