// Batched scans: the batch kernel with each query's own options answers what each query alone
// gets, and concurrent searches through a ScanBatcher share passes over the rows.
#include "index/scan_batcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <numeric>
#include <thread>

#include "core/half.h"
#include "index/compact_search.h"
#include "index/exact_index.h"
#include "testing/test_vectors.h"

namespace clipsearch {
namespace {

using Rows = testing::VectorRows;

// n rows with ids from 5; rows 1..4 copy row 0 (tied scores, ordered by id).
Rows make_rows(int64_t n, int64_t dim, uint64_t seed) {
  Rows rows{std::vector<int64_t>(static_cast<size_t>(n)),
            testing::random_unit_vectors(n, dim, seed), dim};
  std::iota(rows.ids.begin(), rows.ids.end(), 5);
  for (int r = 1; r < 5; ++r)
    std::copy_n(rows.vectors.begin(), dim, rows.vectors.begin() + r * dim);
  return rows;
}

TEST(ExactSearchBatch, EachQueryKeepsItsOwnOptions) {
  const Rows rows = make_rows(3001, 40, 1);
  const std::vector<float> q = testing::random_unit_vectors(6, 40, 2);
  std::vector<int64_t> even;
  for (int64_t id = 6; id < 3006; id += 2) even.push_back(id);
  const IdFilter filter = IdFilter::allow(even);
  const std::vector<SearchOptions> options = testing::mixed_search_options(&filter, 5000);
  const auto batch = exact_search_batch(rows.view(), q.data(), options);
  ASSERT_EQ(batch.size(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(batch[i], exact_search(rows.view(), q.data() + i * 40, options[i])) << "query " << i;
  }
  EXPECT_EQ(batch[3].size(), 3001u);
  EXPECT_TRUE(exact_search_batch(rows.view(), q.data(), std::vector<SearchOptions>{}).empty());
}

// Runs searches[0] alone and holds the batcher busy with it until every other search queues
// behind it, so the test decides, without timing, which searches share a pass. The answers, in
// the order of `searches`.
std::vector<std::vector<SearchHit>> search_behind_a_scan(
    ScanBatcher& batcher, const std::vector<std::pair<ScanRows, const float*>>& searches,
    const SearchOptions& options) {
  std::vector<std::vector<SearchHit>> got(searches.size());
  std::atomic<bool> inside{false};
  const ScanBatcher::Single held = [&](const float* query, const SearchOptions& o) {
    inside = true;
    while (batcher.waiting() < searches.size() - 1) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return exact_search(searches[0].first.rows, query, o);
  };
  std::thread first(
      [&] { got[0] = batcher.search(searches[0].first, searches[0].second, options, held); });
  while (!inside) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::vector<std::thread> others;
  for (size_t i = 1; i < searches.size(); ++i) {
    others.emplace_back(
        [&, i] { got[i] = batcher.search(searches[i].first, searches[i].second, options); });
  }
  first.join();
  for (std::thread& t : others) t.join();
  return got;
}

TEST(ScanBatcher, SearchesQueuedBehindAScanShareOnePass) {
  const Rows a = make_rows(2000, 64, 3), b = make_rows(1500, 64, 4);
  const std::vector<float> q = testing::random_unit_vectors(8, 64, 5);
  ScanBatcher batcher;
  SearchOptions options;
  options.k = 12;
  // Four searches on rows a and three on rows b queue; one pass answers each group.
  std::vector<std::pair<ScanRows, const float*>> searches;
  for (int i = 0; i < 8; ++i) {
    searches.push_back({ScanRows{i == 0 || i % 2 ? a.view() : b.view()}, q.data() + i * 64});
  }
  const auto got = search_behind_a_scan(batcher, searches, options);
  EXPECT_EQ(batcher.queries(), 8);
  EXPECT_EQ(batcher.passes(), 3);
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(got[i], exact_search(searches[i].first.rows, q.data() + i * 64, options))
        << "query " << i;
  }
}

TEST(ScanBatcher, ALoneSearchIsTheExactSearch) {
  const Rows rows = make_rows(500, 33, 6);
  const std::vector<float> q = testing::random_unit_vectors(1, 33, 7);
  ScanBatcher batcher;
  SearchOptions options;
  options.k = 20;
  EXPECT_EQ(batcher.search({rows.view()}, q.data(), options),
            exact_search(rows.view(), q.data(), options));
  EXPECT_EQ(batcher.passes(), 1);
}

// With a compact store, the searches queued behind a scan share one pass over the halves, and
// each gets compact_search's answer. The halves are another set's, so an F32 pass would give
// other answers.
TEST(ScanBatcher, CompactSearchesShareOnePassOverTheHalves) {
  const Rows rows = make_rows(4000, 48, 8);
  const std::vector<float> other = testing::random_unit_vectors(4000, 48, 9);
  std::vector<uint16_t> halves;
  for (float v : other) halves.push_back(f32_to_f16(v));
  const ScanRows source{rows.view(), halves.data()};
  const std::vector<float> q = testing::random_unit_vectors(5, 48, 10);
  ScanBatcher batcher;
  SearchOptions options;
  options.k = 10;
  std::vector<std::pair<ScanRows, const float*>> searches;
  for (int i = 0; i < 5; ++i) searches.push_back({source, q.data() + i * 48});
  const auto got = search_behind_a_scan(batcher, searches, options);
  EXPECT_EQ(batcher.passes(), 2);
  EXPECT_EQ(batcher.queries(), 5);
  for (int i = 1; i < 5; ++i) {
    const float* query = q.data() + i * 48;
    EXPECT_EQ(got[i], compact_search(rows.view(), halves.data(), query, options)) << i;
    EXPECT_NE(got[i], exact_search(rows.view(), query, options)) << i;
  }
  // Alone, too, a search goes through the halves.
  EXPECT_EQ(batcher.search(source, q.data(), options),
            compact_search(rows.view(), halves.data(), q.data(), options));
}

}  // namespace
}  // namespace clipsearch
