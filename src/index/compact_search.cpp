#include "index/compact_search.h"

#include <algorithm>
#include <cmath>

#include "core/thread_pool.h"
#include "index/dot.h"
#include "index/exact_index.h"
#include "index/top_k.h"

namespace clipsearch {
namespace {

constexpr int64_t kScanBlock = 256;        // rows scored per kernel call (scores stay in L1)
constexpr int64_t kMinRowsPerTask = 8192;  // below this a task costs more than it saves
// Rows of a batched pass read from memory at once: 4096 rows of 512 halves are 4 MiB, which
// stay in the shared L3 while every query of the batch scans them.
constexpr int64_t kBatchRowBlock = 4096;

// Best compact scores of rows [begin, end) into `top`, keyed by row number (not id), so the
// rescoring finds the F32 row. The filter applies here; min_score only to exact scores.
void scan_compact(const VectorView& rows, const uint16_t* compact, const float* query,
                  int64_t begin, int64_t end, const IdFilter* filter, TopK& top) {
  float scores[kScanBlock];
  for (int64_t b = begin; b < end; b += kScanBlock) {
    const int64_t n = std::min(kScanBlock, end - b);
    if (filter == nullptr) {
      dot_rows_f16(query, compact + b * rows.dim, n, rows.dim, scores);
    } else {
      // Score only the allowed rows, so a selective filter reads little memory.
      for (int64_t i = 0; i < n; ++i) {
        scores[i] = -INFINITY;
        if (filter->allows(rows.ids[b + i])) {
          dot_rows_f16(query, compact + (b + i) * rows.dim, 1, rows.dim, scores + i);
        }
      }
    }
    for (int64_t i = 0; i < n; ++i) {
      // NaN fails the compare, so it never enters the heap; -inf (filtered out) never passes
      // a full heap and is dropped below.
      if (scores[i] >= top.threshold() && scores[i] > -INFINITY) top.push(b + i, scores[i]);
    }
  }
}

// The candidates' F32 scores through dot.h's kernel: the exact scan's scores, bit for bit.
std::vector<SearchHit> rescore(const VectorView& rows, const float* query,
                               const std::vector<SearchHit>& candidates,
                               const SearchOptions& options) {
  TopK top(options.k);
  for (const SearchHit& c : candidates) {
    const float s = dot(query, rows.vectors + c.id * rows.dim, rows.dim);
    if (s >= options.min_score) top.push(rows.ids[c.id], s);
  }
  return top.take_sorted();
}

}  // namespace

int64_t compact_candidates(int64_t k) { return std::max<int64_t>(4 * k, 64); }

std::vector<SearchHit> compact_search(const VectorView& rows, const uint16_t* compact,
                                      const float* query, const SearchOptions& options) {
  if (options.k <= 0 || rows.count <= 0) return {};
  const int64_t candidates = compact_candidates(options.k);
  if (2 * candidates >= rows.count) return exact_search(rows, query, options);
  const int64_t tasks = std::clamp<int64_t>(rows.count / kMinRowsPerTask, 1, 4 * num_threads());
  std::vector<TopK> tops(static_cast<size_t>(tasks), TopK(candidates));
  parallel_tasks(tasks, [&](int64_t t) {
    const int64_t begin = rows.count * t / tasks, end = rows.count * (t + 1) / tasks;
    scan_compact(rows, compact, query, begin, end, options.filter, tops[static_cast<size_t>(t)]);
  });
  for (size_t t = 1; t < tops.size(); ++t) tops[0].merge(tops[t]);
  return rescore(rows, query, tops[0].take_sorted(), options);
}

std::vector<std::vector<SearchHit>> compact_search_batch(
    const VectorView& rows, const uint16_t* compact, const float* queries,
    const std::vector<SearchOptions>& options) {
  std::vector<std::vector<SearchHit>> results(options.size());
  std::vector<size_t> scanned;  // the queries that read the F16 rows; the others go alone
  for (size_t q = 0; q < options.size(); ++q) {
    const int64_t k = options[q].k;
    if (k > 0 && rows.count > 0 && 2 * compact_candidates(k) < rows.count) {
      scanned.push_back(q);
    } else {
      results[q] = compact_search(rows, compact, queries + q * rows.dim, options[q]);
    }
  }
  std::vector<TopK> tops;
  for (size_t q : scanned) tops.emplace_back(compact_candidates(options[q].k));
  for (int64_t r0 = 0; r0 < rows.count && !scanned.empty(); r0 += kBatchRowBlock) {
    const int64_t r1 = std::min(rows.count, r0 + kBatchRowBlock);
    parallel_for(static_cast<int64_t>(scanned.size()), [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const size_t q = scanned[static_cast<size_t>(i)];
        scan_compact(rows, compact, queries + q * rows.dim, r0, r1, options[q].filter,
                     tops[static_cast<size_t>(i)]);
      }
    });
  }
  for (size_t i = 0; i < scanned.size(); ++i) {
    const size_t q = scanned[i];
    results[q] = rescore(rows, queries + q * rows.dim, tops[i].take_sorted(), options[q]);
  }
  return results;
}

CompactRecall measure_compact_recall(const VectorView& rows, const uint16_t* compact, int queries) {
  CompactRecall recall;
  if (rows.count == 0 || queries <= 0) return recall;
  std::vector<float> sample(static_cast<size_t>(queries * rows.dim));  // [queries, dim]
  for (int s = 0; s < queries; ++s) {
    const int64_t a = rows.count * s / queries, b = (a + rows.count / 2 + 1) % rows.count;
    float* q = sample.data() + s * rows.dim;
    double norm = 0;
    for (int64_t i = 0; i < rows.dim; ++i) {
      q[i] = rows.vectors[a * rows.dim + i] + 0.5f * rows.vectors[b * rows.dim + i];
      norm += static_cast<double>(q[i]) * q[i];
    }
    const float scale = norm > 0 ? static_cast<float>(1 / std::sqrt(norm)) : 1.0f;
    for (int64_t i = 0; i < rows.dim; ++i) q[i] *= scale;
  }
  SearchOptions top10;
  top10.k = 10;
  const auto truth = exact_search_batch(rows, sample.data(), queries, top10);
  int64_t found = 0, total = 0;
  for (int s = 0; s < queries; ++s) {
    const auto got = compact_search(rows, compact, sample.data() + s * rows.dim, top10);
    for (const SearchHit& hit : truth[static_cast<size_t>(s)]) {
      found += std::find(got.begin(), got.end(), hit) != got.end();
    }
    total += static_cast<int64_t>(truth[static_cast<size_t>(s)].size());
  }
  recall.recall_at_10 = total > 0 ? static_cast<float>(found) / static_cast<float>(total) : 1.0f;
  recall.queries = static_cast<uint32_t>(queries);
  return recall;
}

}  // namespace clipsearch
