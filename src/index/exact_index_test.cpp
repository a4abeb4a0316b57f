#include "index/exact_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <numeric>

#include "clipsearch/threads.h"
#include "testing/test_vectors.h"

namespace clipsearch {
namespace {

struct Rows {
  std::vector<int64_t> ids;
  std::vector<float> vectors;
  int64_t dim;
  VectorView view() const {
    return {ids.data(), vectors.data(), static_cast<int64_t>(ids.size()), dim};
  }
};

// n rows with shuffled, non-contiguous ids; every 10th row is a copy of the one before it, so
// scores tie exactly and the order must fall back to ids.
Rows make_rows(int64_t n, int64_t dim, uint64_t seed) {
  Rows rows{{}, testing::random_unit_vectors(n, dim, seed), dim};
  for (int64_t r = 10; r < n; r += 10) {
    std::copy_n(rows.vectors.begin() + (r - 1) * dim, dim, rows.vectors.begin() + r * dim);
  }
  rows.ids.resize(static_cast<size_t>(n));
  std::iota(rows.ids.begin(), rows.ids.end(), 0);
  std::mt19937_64 rng(seed + 1);
  std::shuffle(rows.ids.begin(), rows.ids.end(), rng);
  for (int64_t& id : rows.ids) id = id * 7 + 3;
  return rows;
}

// The same ranking by brute force: double-precision dots of the float32 kernel's inputs.
std::vector<SearchHit> naive(const Rows& rows, const float* q, const SearchOptions& options) {
  struct Scored {
    double score;
    int64_t id;
  };
  std::vector<Scored> all;
  for (size_t r = 0; r < rows.ids.size(); ++r) {
    if (options.filter != nullptr && !options.filter->allows(rows.ids[r])) continue;
    double s = 0;
    for (int64_t i = 0; i < rows.dim; ++i) s += double{q[i]} * rows.vectors[r * rows.dim + i];
    if (s < options.min_score) continue;
    all.push_back({s, rows.ids[r]});
  }
  std::sort(all.begin(), all.end(), [](const Scored& a, const Scored& b) {
    return a.score > b.score || (a.score == b.score && a.id < b.id);
  });
  all.resize(std::min<size_t>(all.size(), static_cast<size_t>(options.k)));
  std::vector<SearchHit> out;
  for (const Scored& s : all) out.push_back({s.id, static_cast<float>(s.score)});
  return out;
}

// Equal rankings up to float rounding: same length, the score at every rank within 1e-5 of
// the reference's, and each returned score the true score of its id (so ids can differ from
// the reference only between rows whose scores tie within 1e-5).
void expect_same_ranking(const std::vector<SearchHit>& got, const std::vector<SearchHit>& want,
                         const Rows& rows, const float* q) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i].score, want[i].score, 1e-5) << "rank " << i;
    const size_t r = static_cast<size_t>(std::find(rows.ids.begin(), rows.ids.end(), got[i].id) -
                                         rows.ids.begin());
    ASSERT_LT(r, rows.ids.size()) << "unknown id " << got[i].id;
    double s = 0;
    for (int64_t j = 0; j < rows.dim; ++j) s += double{q[j]} * rows.vectors[r * rows.dim + j];
    EXPECT_NEAR(got[i].score, s, 1e-5) << "rank " << i;
  }
  for (size_t i = 1; i < got.size(); ++i) {
    EXPECT_TRUE(ranks_before(got[i - 1], got[i])) << "rank " << i << " out of order";
  }
}

class ExactSearch : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override { set_num_threads(GetParam()); }
  void TearDown() override { set_num_threads(0); }
};

TEST_P(ExactSearch, MatchesBruteForceForManyShapes) {
  for (int64_t dim : {512, 77, 5}) {
    const Rows rows = make_rows(6000, dim, 11 + dim);
    const std::vector<float> queries = testing::random_unit_vectors(6, dim, 99 + dim);
    for (int64_t k : {1, 10, 100}) {
      SearchOptions options;
      options.k = k;
      for (int q = 0; q < 6; ++q) {
        SCOPED_TRACE("dim " + std::to_string(dim) + " k " + std::to_string(k));
        const float* query = queries.data() + q * dim;
        expect_same_ranking(exact_search(rows.view(), query, options), naive(rows, query, options),
                            rows, query);
      }
    }
  }
}

TEST_P(ExactSearch, ExactTiesAreOrderedById) {
  Rows rows = make_rows(5000, 64, 5);
  // Query with a duplicated row itself: both copies score the same, the maximum.
  const float* q = rows.vectors.data() + 19 * 64;  // row 20 is a copy of row 19
  SearchOptions options;
  options.k = 2;
  const auto hits = exact_search(rows.view(), q, options);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].score, hits[1].score);
  EXPECT_EQ(hits[0].id, std::min(rows.ids[19], rows.ids[20]));
  EXPECT_EQ(hits[1].id, std::max(rows.ids[19], rows.ids[20]));
  // A whole collection of equal rows: the k smallest ids, in order.
  for (int64_t r = 1; r < 5000; ++r)
    std::copy_n(rows.vectors.begin(), 64, rows.vectors.begin() + r * 64);
  options.k = 50;
  const auto equal = exact_search(rows.view(), rows.vectors.data(), options);
  std::vector<int64_t> sorted = rows.ids;
  std::sort(sorted.begin(), sorted.end());
  ASSERT_EQ(equal.size(), 50u);
  for (size_t i = 0; i < 50; ++i) EXPECT_EQ(equal[i].id, sorted[i]);
}

TEST_P(ExactSearch, FiltersAndMinScore) {
  const Rows rows = make_rows(20000, 128, 3);
  const std::vector<float> q = testing::random_unit_vectors(1, 128, 4);
  std::vector<int64_t> allowed;
  for (int64_t id : rows.ids) {
    if (id % 5 == 0) allowed.push_back(id);
  }
  const IdFilter bitset = IdFilter::allow(allowed);
  const IdFilter predicate = IdFilter::predicate([](int64_t id) { return id % 5 == 0; });
  EXPECT_EQ(bitset.allowed_count(), static_cast<int64_t>(allowed.size()));
  EXPECT_EQ(predicate.allowed_count(), -1);
  for (const IdFilter* filter : {&bitset, &predicate}) {
    SearchOptions options;
    options.k = 30;
    options.filter = filter;
    const auto hits = exact_search(rows.view(), q.data(), options);
    for (const SearchHit& h : hits) EXPECT_EQ(h.id % 5, 0);
    expect_same_ranking(hits, naive(rows, q.data(), options), rows, q.data());
  }
  SearchOptions options;
  options.k = 1000;
  options.min_score = 0.2f;
  const auto hits = exact_search(rows.view(), q.data(), options);
  ASSERT_FALSE(hits.empty());
  EXPECT_LT(hits.size(), 1000u);
  for (const SearchHit& h : hits) EXPECT_GE(h.score, 0.2f);
  expect_same_ranking(hits, naive(rows, q.data(), options), rows, q.data());
  // A filter allowing nothing, k larger than the collection, k = 0, no rows.
  const IdFilter none = IdFilter::allow({});
  options = SearchOptions{};
  options.filter = &none;
  EXPECT_TRUE(exact_search(rows.view(), q.data(), options).empty());
  options = SearchOptions{};
  options.k = 30000;
  EXPECT_EQ(exact_search(rows.view(), q.data(), options).size(), 20000u);
  options.k = 0;
  EXPECT_TRUE(exact_search(rows.view(), q.data(), options).empty());
  EXPECT_TRUE(
      exact_search(VectorView{nullptr, nullptr, 0, 128}, q.data(), SearchOptions{}).empty());
}

TEST_P(ExactSearch, PagingIsAPrefix) {
  const Rows rows = make_rows(8000, 96, 8);
  const std::vector<float> q = testing::random_unit_vectors(1, 96, 9);
  SearchOptions page;
  page.k = 40;
  SearchOptions more = page;
  more.k = 60;
  const auto a = exact_search(rows.view(), q.data(), page);
  const auto b = exact_search(rows.view(), q.data(), more);
  ASSERT_EQ(b.size(), 60u);
  EXPECT_EQ(a, std::vector<SearchHit>(b.begin(), b.begin() + 40));
}

TEST_P(ExactSearch, BatchMatchesSingleQueries) {
  const Rows rows = make_rows(10000, 512, 21);
  const std::vector<float> queries = testing::random_unit_vectors(300, 512, 22);
  std::vector<int64_t> allowed(rows.ids.begin(), rows.ids.begin() + 6000);
  const IdFilter filter = IdFilter::allow(allowed);
  for (const IdFilter* f : {static_cast<const IdFilter*>(nullptr), &filter}) {
    SearchOptions options;
    options.k = 20;
    options.filter = f;
    const auto batch = exact_search_batch(rows.view(), queries.data(), 300, options);
    ASSERT_EQ(batch.size(), 300u);
    for (int q = 0; q < 300; q += 7) {
      const float* query = queries.data() + q * 512;
      // The same kernel and summation order: equal floats, so equal answers.
      EXPECT_EQ(batch[q], exact_search(rows.view(), query, options)) << "query " << q;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Threads, ExactSearch, ::testing::Values(1, 3));

// FNV-1a over every hit's id and score bits.
uint64_t fingerprint(const std::vector<std::vector<SearchHit>>& results) {
  uint64_t h = 1469598103934665603u;
  auto mix = [&](const void* p, size_t n) {
    for (size_t i = 0; i < n; ++i) h = (h ^ static_cast<const uint8_t*>(p)[i]) * 1099511628211u;
  };
  for (const auto& hits : results) {
    for (const SearchHit& hit : hits) {
      mix(&hit.id, sizeof hit.id);
      mix(&hit.score, sizeof hit.score);
    }
  }
  return h;
}

// The scan of issue 19 (one row at a time instead of blocks of four) answers exactly what the
// scan before it did: the fingerprint below was computed with the earlier kernels (commit
// 9907ddd) at every ISA level, which agree bit for bit.
TEST(ExactScan, AnswersAreThoseOfTheEarlierScanBitForBit) {
  const int64_t dim = 512, n = 3001, queries = 6;
  const Rows rows = make_rows(n, dim, 19);
  const std::vector<float> q = testing::random_unit_vectors(queries, dim, 20);
  SearchOptions options;
  options.k = 50;
  std::vector<std::vector<SearchHit>> single;
  for (int64_t i = 0; i < queries; ++i) {
    single.push_back(exact_search(rows.view(), q.data() + i * dim, options));
  }
  EXPECT_EQ(fingerprint(single), 17519257384205307237u);
  EXPECT_EQ(fingerprint(exact_search_batch(rows.view(), q.data(), queries, options)),
            17519257384205307237u);
}

}  // namespace
}  // namespace clipsearch
