// Exact search against a brute-force numpy ranking (tests/reference/exact_search_reference.py):
// float64 scores, score descending then id ascending, on random and clustered vectors with
// duplicate rows, with k, a filter and a min_score cutoff, one query at a time and batched.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "core/npy.h"
#include "index/exact_index.h"
#include "testing/test_util.h"

namespace clipsearch {
namespace {

NpyArray load(const std::string& path) {
  auto a = npy_read(path);
  EXPECT_TRUE(a.ok()) << a.status().message() << " (reference fixture did not run?)";
  return a.ok() ? std::move(a).value() : NpyArray{};
}

struct Search {
  const char* name;
  int64_t k;
  float min_score;
  int64_t divisor;  // 0: no filter
};

void expect_matches(const std::vector<SearchHit>& got, const float* want_ids,
                    const float* want_scores, int64_t k, const std::string& where) {
  int64_t want_count = 0;
  while (want_count < k && want_ids[want_count] >= 0) ++want_count;
  // min_score: a row within float rounding of the cutoff may fall on either side.
  ASSERT_LE(std::abs(static_cast<int64_t>(got.size()) - want_count), 1) << where;
  const size_t n = std::min<size_t>(got.size(), static_cast<size_t>(want_count));
  for (size_t i = 0; i < n; ++i) {
    EXPECT_NEAR(got[i].score, want_scores[i], 2e-6) << where << " rank " << i;
    if (got[i].id != static_cast<int64_t>(want_ids[i])) {
      // Only rows whose float64 scores are within float32 rounding may swap places.
      EXPECT_NEAR(want_scores[i], got[i].score, 2e-6)
          << where << " rank " << i << ": id " << got[i].id << " vs " << want_ids[i];
    }
  }
}

TEST(ExactSearchReference, MatchesNumpyRanking) {
  const std::string root = testing::reference_dir() + "/exact_search/";
  const Search searches[] = {{"top10", 10, -INFINITY, 0},
                             {"top100", 100, -INFINITY, 0},
                             {"filter3", 25, -INFINITY, 3},
                             {"min_score", 400, 0.1f, 0}};
  int64_t ties_seen = 0, compared = 0, ranks = 0;
  for (const char* name : {"d512", "d768", "d77"}) {
    const std::string dir = root + name + "/";
    const NpyArray vectors = load(dir + "vectors.npy");
    const NpyArray ids_f = load(dir + "ids.npy");
    const NpyArray queries = load(dir + "queries.npy");
    ASSERT_EQ(vectors.shape.size(), 2u);
    const int64_t n = vectors.shape[0], dim = vectors.shape[1], nq = queries.shape[0];
    std::vector<int64_t> ids(ids_f.data.begin(), ids_f.data.end());
    const VectorView view{ids.data(), vectors.data.data(), n, dim};
    for (const Search& s : searches) {
      const NpyArray want_ids = load(dir + s.name + "_ids.npy");
      const NpyArray want_scores = load(dir + s.name + "_scores.npy");
      const IdFilter filter =
          IdFilter::predicate([d = s.divisor](int64_t id) { return id % d == 0; });
      SearchOptions options;
      options.k = s.k;
      options.min_score = s.min_score;
      options.filter = s.divisor ? &filter : nullptr;
      const auto batch = exact_search_batch(view, queries.data.data(), nq, options);
      for (int64_t q = 0; q < nq; ++q) {
        const std::string where = std::string(name) + "/" + s.name + " query " + std::to_string(q);
        const float* wi = want_ids.data.data() + q * s.k;
        const float* ws = want_scores.data.data() + q * s.k;
        const auto single = exact_search(view, queries.data.data() + q * dim, options);
        expect_matches(single, wi, ws, s.k, where + " (single)");
        EXPECT_EQ(batch[static_cast<size_t>(q)], single) << where << ": batch and single differ";
        for (size_t i = 1; i < single.size(); ++i) {
          // An exact tie (duplicated rows) in both rankings: both ordered by id, so the ids
          // must be numpy's.
          if (single[i].score == single[i - 1].score && ws[i] == ws[i - 1]) {
            ++ties_seen;
            EXPECT_EQ(single[i - 1].id, static_cast<int64_t>(wi[i - 1])) << where;
            EXPECT_EQ(single[i].id, static_cast<int64_t>(wi[i])) << where;
          }
          compared += single[i].id == static_cast<int64_t>(wi[i]);
          ++ranks;
        }
      }
    }
  }
  EXPECT_GT(ties_seen, 10) << "the reference data should contain exact ties";
  EXPECT_GT(compared, 0);
  std::printf("%lld of %lld ranks identical to numpy's, %lld exact ties\n",
              static_cast<long long>(compared), static_cast<long long>(ranks),
              static_cast<long long>(ties_seen));
}

}  // namespace
}  // namespace clipsearch
