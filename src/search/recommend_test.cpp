#include "search/recommend.h"

#include <gtest/gtest.h>

#include <cmath>

#include "search/duplicates.h"

namespace clipsearch::search {
namespace {

TEST(Recommend, MeanOfTheLastClicks) {
  // last 2 of three clicks: (0,1) and (0,1)... the first (1,0) is too old
  auto t = recommend_taste_vector({{1, 0}, {0, 1}, {0, 1}}, RecommendOptions{2, false, 3});
  ASSERT_TRUE(t.ok());
  EXPECT_NEAR((*t)[0], 0, 1e-6);
  EXPECT_NEAR((*t)[1], 1, 1e-6);
  auto all = recommend_taste_vector({{1, 0}, {0, 1}}, RecommendOptions{});
  ASSERT_TRUE(all.ok());
  EXPECT_NEAR((*all)[0], std::sqrt(0.5), 1e-6);
}

TEST(Recommend, RecencyWeighting) {
  // newest weighs 1, the one before 0.5^(1/1) = 0.5
  auto t = recommend_taste_vector({{1, 0}, {0, 1}}, RecommendOptions{10, true, 1.0});
  ASSERT_TRUE(t.ok());
  const double n = std::sqrt(0.25 + 1);
  EXPECT_NEAR((*t)[0], 0.5 / n, 1e-6);
  EXPECT_NEAR((*t)[1], 1 / n, 1e-6);
}

TEST(Recommend, Errors) {
  EXPECT_EQ(recommend_taste_vector({}, {}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(recommend_taste_vector({{1, 0}}, RecommendOptions{0, false, 3}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(recommend_taste_vector({{1, 0}}, RecommendOptions{1, true, 0}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(recommend_taste_vector({{1, 0}, {1, 0, 0}}, {}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(Duplicates, GroupsConnectedNearPairs) {
  // rows 0,1,2 form a chain (0~1, 1~2, not 0~2); 3 alone; 4~5
  const float c = std::cos(0.25f), s = std::sin(0.25f);
  const float c2 = std::cos(0.5f), s2 = std::sin(0.5f);
  std::vector<float> v = {1, 0, 0, c, s, 0, c2, s2, 0, 0, 0, 1, -1, 0, 0, -1, 0.001f, 0};
  for (int r = 0; r < 6; ++r) {  // normalize
    float n = 0;
    for (int i = 0; i < 3; ++i) n += v[r * 3 + i] * v[r * 3 + i];
    for (int i = 0; i < 3; ++i) v[r * 3 + i] /= std::sqrt(n);
  }
  const std::vector<int64_t> ids = {10, 11, 12, 13, 14, 15};
  const auto groups = duplicate_groups(v.data(), ids.data(), 6, 3, 0.95f);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].ids, (std::vector<int64_t>{10, 11, 12}));
  EXPECT_NEAR(groups[0].min_similarity, c, 1e-5);
  EXPECT_EQ(groups[1].ids, (std::vector<int64_t>{14, 15}));
}

TEST(Duplicates, MatchesBruteForceAcrossBlocks) {
  // more rows than one block; pairs planted far apart in index order
  const int64_t n = 2500, dim = 8;
  std::vector<float> v(static_cast<size_t>(n * dim));
  uint64_t state = 1;
  for (float& x : v) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    x = static_cast<float>(static_cast<int64_t>(state >> 33) % 2001 - 1000) / 1000.0f;
  }
  for (int64_t d = 0; d < dim; ++d)
    v[static_cast<size_t>(2400 * dim + d)] = v[static_cast<size_t>(7 * dim + d)];
  for (int64_t r = 0; r < n; ++r) {
    float nn = 0;
    for (int64_t i = 0; i < dim; ++i)
      nn += v[static_cast<size_t>(r * dim + i)] * v[static_cast<size_t>(r * dim + i)];
    for (int64_t i = 0; i < dim; ++i) v[static_cast<size_t>(r * dim + i)] /= std::sqrt(nn);
  }
  std::vector<int64_t> ids(static_cast<size_t>(n));
  for (int64_t r = 0; r < n; ++r) ids[static_cast<size_t>(r)] = r;
  const float threshold = 0.99f;
  const auto groups = duplicate_groups(v.data(), ids.data(), n, dim, threshold);
  // brute force: every pair above the threshold lies inside one group
  size_t pairs = 0;
  for (int64_t a = 0; a < n; ++a) {
    for (int64_t b = a + 1; b < n; ++b) {
      double s = 0;
      for (int64_t i = 0; i < dim; ++i)
        s += v[static_cast<size_t>(a * dim + i)] * v[static_cast<size_t>(b * dim + i)];
      if (s < threshold + 1e-4) continue;
      ++pairs;
      bool together = false;
      for (const auto& g : groups) {
        together |=
            std::count(g.ids.begin(), g.ids.end(), a) && std::count(g.ids.begin(), g.ids.end(), b);
      }
      EXPECT_TRUE(together) << a << " " << b;
    }
  }
  EXPECT_GE(pairs, 1u);  // the planted copy
}

TEST(Duplicates, LowestThresholdLinksEveryPairInLinearMemory) {
  // Threshold -1 links all n(n-1)/2 pairs (12.5 million here): one group of everything, whose
  // lowest similarity is the lowest of any pair. Kept as links, that would be 150 MB.
  const int64_t n = 5000, dim = 4;
  std::vector<float> v(static_cast<size_t>(n * dim));
  for (int64_t r = 0; r < n; ++r) {
    const double angle = 2.0 * 3.14159265358979 * static_cast<double>(r) / n;
    v[static_cast<size_t>(r * dim)] = static_cast<float>(std::cos(angle));
    v[static_cast<size_t>(r * dim + 1)] = static_cast<float>(std::sin(angle));
  }
  std::vector<int64_t> ids(static_cast<size_t>(n));
  for (int64_t r = 0; r < n; ++r) ids[static_cast<size_t>(r)] = 100 + r;
  const auto groups = duplicate_groups(v.data(), ids.data(), n, dim, -1.0f);
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].ids, ids);
  EXPECT_NEAR(groups[0].min_similarity, -1.0f, 1e-5);  // opposite points on the circle
}

}  // namespace
}  // namespace clipsearch::search
