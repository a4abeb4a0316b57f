// Searcher in process, on the generated catalog of searcher_test_library.h: rankings equal the
// brute-force reference bit for bit on the exact scan and the HNSW graph, pages, filters, the
// score cutoff and sorting by date. The CLI and server suites (src/cli/cmd_*_test.cpp) stay as
// end-to-end checks.
#include "search/searcher.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <limits>

#include "index/hnsw_index.h"
#include "search/searcher_test_library.h"

namespace clipsearch::search::searcher_testing {
namespace {

TEST_F(SearcherTest, ExactRankingEqualsBruteForce) {
  auto searcher = open(IndexChoice::kExact);
  ASSERT_TRUE(searcher);
  const int64_t ok = count(any_row);
  EXPECT_EQ(searcher->size(), ok);
  std::vector<Embedding> qs = queries(8, 1);
  qs.push_back(ok_rows()[40]->embedding);  // an indexed image: itself first
  for (const Embedding& q : qs) {
    const std::vector<SearchHit> want = expected(q);
    ASSERT_EQ(static_cast<int64_t>(want.size()), ok);
    for (int64_t k : {int64_t{1}, int64_t{10}, ok, ok + 50}) {
      SCOPED_TRACE("k " + std::to_string(k));
      SearchRequest request;
      request.k = k;
      auto page = searcher->search(q, request);
      ASSERT_TRUE(page.ok()) << page.status().message();
      EXPECT_EQ(hits_of(*page), slice(want, 0, static_cast<size_t>(k)));
      EXPECT_EQ(page->candidates, ok);
      EXPECT_EQ(page->best_score, want.front().score);
    }
  }
  EXPECT_EQ(expected(qs.back()).front().id, ok_rows()[40]->record.id);
}

TEST_F(SearcherTest, ResultsCarryTheCatalogRows) {
  auto searcher = open();
  ASSERT_TRUE(searcher);
  SearchRequest request;
  request.k = 1000;
  auto page = searcher->search(queries(1, 2)[0], request);
  ASSERT_TRUE(page.ok()) << page.status().message();
  ASSERT_EQ(static_cast<int64_t>(page->results.size()), count(any_row));
  for (const SearchResult& result : page->results) {
    const ImageRecord& got = result.image;
    const ImageRecord& want = row_with_id(got.id).record;
    EXPECT_EQ(got.path, want.path);
    EXPECT_EQ(got.root_id, want.root_id);
    EXPECT_EQ(got.size, want.size);
    EXPECT_EQ(got.mtime_ns, want.mtime_ns);
    EXPECT_EQ(got.hash, want.hash);
    EXPECT_EQ(got.width, want.width);
    EXPECT_EQ(got.format, want.format);
    EXPECT_EQ(got.date_taken_ns, want.date_taken_ns);
    EXPECT_EQ(got.date_from_exif, want.date_from_exif);
    EXPECT_EQ(got.status, ImageStatus::kOk);
  }
}

// Rows with equal embeddings score equally and come out by id, on both indexes.
TEST_F(SearcherTest, TiesAreBrokenBySmallerId) {
  const Row* copy = nullptr;
  const Row* original = nullptr;
  const auto ok = ok_rows();
  for (size_t i = 1; i < ok.size() && !copy; ++i) {
    if (ok[i]->embedding == ok[i - 1]->embedding) {
      original = ok[i - 1];
      copy = ok[i];
    }
  }
  ASSERT_NE(copy, nullptr);
  ASSERT_LT(original->record.id, copy->record.id);
  for (IndexChoice index : {IndexChoice::kExact, IndexChoice::kHnsw}) {
    auto searcher = open(index);
    ASSERT_TRUE(searcher);
    SearchRequest request;
    request.k = 2;
    const std::vector<SearchHit> got = search_hits(*searcher, copy->embedding, request);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].id, original->record.id);
    EXPECT_EQ(got[1].id, copy->record.id);
    EXPECT_EQ(got[0].score, got[1].score);
    EXPECT_EQ(got, slice(expected(copy->embedding), 0, 2));
  }
}

// HNSW hits are rows of the exact ranking with the exact scores, in ranking order; on a few
// hundred rows the graph finds every one, so the answers are the exact ones.
// HNSW hits are rows of the exact ranking with their exact scores, best first. The graph is
// approximate: on a few hundred rows it finds every one of the first 20 (far fewer than the
// kDefaultEfSearch candidates it walks), so those answers are the exact ones; a longer list may
// miss a row.
TEST_F(SearcherTest, HnswAgreesWithExactSearch) {
  auto exact = open(IndexChoice::kExact);
  auto hnsw = open(IndexChoice::kHnsw);
  ASSERT_TRUE(exact && hnsw);
  EXPECT_TRUE(std::filesystem::exists(db_ + ".hnsw"));
  for (const Embedding& q : queries(20, 3)) {
    const std::vector<SearchHit> want = expected(q);
    for (int64_t k : {1, 10, 20, 50, 100}) {
      SCOPED_TRACE("k " + std::to_string(k));
      SearchRequest request;
      request.k = k;
      const std::vector<SearchHit> got = search_hits(*hnsw, q, request);
      EXPECT_EQ(static_cast<int64_t>(got.size()), k);
      for (const SearchHit& h : got) {
        auto it = std::find_if(want.begin(), want.end(),
                               [&](const SearchHit& w) { return w.id == h.id; });
        ASSERT_NE(it, want.end()) << h.id;
        EXPECT_EQ(h.score, it->score) << h.id;
      }
      EXPECT_TRUE(std::is_sorted(got.begin(), got.end(), ranks_before));
      if (k <= 20) {
        EXPECT_EQ(got, slice(want, 0, static_cast<size_t>(k)));
      }
      EXPECT_EQ(search_hits(*exact, q, request), slice(want, 0, static_cast<size_t>(k)));
    }
  }
  // A second searcher loads the saved graph (no rebuild note) and answers the same.
  auto reopened = open(IndexChoice::kHnsw);
  ASSERT_TRUE(reopened);
  EXPECT_TRUE(reopened->notes().empty()) << reopened->notes().front();
  const Embedding q = queries(1, 4)[0];
  SearchRequest request;
  request.k = 20;
  EXPECT_EQ(search_hits(*reopened, q, request), slice(expected(q), 0, 20));
}

// Pages of an exact search concatenate to the full ranking. Over the graph, pages within the
// first kDefaultEfSearch results come from one candidate list, so they concatenate to the
// graph's own answer for that many.
TEST_F(SearcherTest, PagesConcatenateToTheFullRanking) {
  const Embedding q = queries(1, 5)[0];
  const std::vector<SearchHit> want = expected(q);
  // Pages of k from offset 0 while offset + k <= limit, concatenated; best_score checked.
  const auto pages = [&](Searcher& searcher, int64_t k, int64_t limit) {
    std::vector<SearchHit> all;
    for (int64_t offset = 0; offset + k <= limit; offset += k) {
      SearchRequest request;
      request.k = k;
      request.offset = offset;
      auto page = searcher.search(q, request);
      EXPECT_TRUE(page.ok()) << page.status().message();
      if (!page.ok()) break;
      EXPECT_EQ(page->best_score, want.front().score);  // also past the last page
      if (page->results.empty()) break;
      EXPECT_LE(static_cast<int64_t>(page->results.size()), k);
      for (const SearchHit& h : hits_of(*page)) all.push_back(h);
    }
    return all;
  };
  auto exact = open(IndexChoice::kExact);
  auto hnsw = open(IndexChoice::kHnsw);
  ASSERT_TRUE(exact && hnsw);
  for (int64_t k : {1, 7, 50}) {
    SCOPED_TRACE("k " + std::to_string(k));
    EXPECT_EQ(pages(*exact, k, std::numeric_limits<int64_t>::max() / 2), want);
  }
  for (int64_t k : {1, 7, 16}) {
    SCOPED_TRACE("hnsw, k " + std::to_string(k));
    const std::vector<SearchHit> got = pages(*hnsw, k, kDefaultEfSearch);
    SearchRequest request;
    request.k = static_cast<int64_t>(got.size());
    EXPECT_EQ(got, search_hits(*hnsw, q, request));
    EXPECT_GE(got.size(), static_cast<size_t>(kDefaultEfSearch - k + 1));
  }
}

// A page size past any count ("-k 9223372036854775807 --offset 5": offset + k does not fit in
// int64) is everything after the offset, on both indexes, plain, by date or mixed with colour.
TEST_F(SearcherTest, AHugePageSizeIsEverythingAfterTheOffset) {
  const Embedding q = queries(1, 21)[0];
  const std::vector<SearchHit> want = expected(q);
  const uint8_t red[3] = {200, 30, 40};
  const ColorQuery colour{color_signature_of(red), 0.3f};
  for (IndexChoice index : {IndexChoice::kExact, IndexChoice::kHnsw}) {
    auto searcher = open(index);
    ASSERT_TRUE(searcher);
    SearchRequest request;
    request.k = std::numeric_limits<int64_t>::max();
    request.offset = 5;
    EXPECT_EQ(search_hits(*searcher, q, request), slice(want, 5, want.size()));
    request.sort = SortOrder::kDateOldest;
    EXPECT_EQ(search_hits(*searcher, q, request), by_date(slice(want, 5, want.size()), false));
    request.sort = SortOrder::kScore;
    request.color = colour;
    const std::vector<SearchHit> mixed = expected(q, any_row, colour);
    EXPECT_EQ(search_hits(*searcher, q, request), slice(mixed, 5, mixed.size()));
    request.color.reset();
    request.offset = std::numeric_limits<int64_t>::max();
    auto page = searcher->search(q, request);
    ASSERT_TRUE(page.ok()) << page.status().message();
    EXPECT_TRUE(page->results.empty());
    EXPECT_EQ(page->best_score, want.front().score);
  }
}

TEST_F(SearcherTest, FiltersKeepExactlyTheMatchingRows) {
  auto exact = open(IndexChoice::kExact);
  auto hnsw = open(IndexChoice::kHnsw);
  ASSERT_TRUE(exact && hnsw);
  const Embedding q = queries(1, 6)[0];
  const auto under = [](const Row& row, const std::string& folder) {
    return row.record.path.rfind(folder + "/", 0) == 0;
  };
  // Bounds equal to some row's value, so that both ends are seen to be inclusive.
  const int64_t date_min = kEpoch + 10 * kDay, date_max = kEpoch + 20 * kDay;
  const int64_t size_min = rows_[17].record.size, size_max = rows_[23].record.size;
  ASSERT_LT(size_min, size_max);
  std::vector<int64_t> excluded = {ok_rows()[3]->record.id, ok_rows()[0]->record.id, 999999};
  // Unknown, failed and removed ids in only_ids change nothing.
  std::vector<int64_t> only;
  for (size_t i = 0; i < rows_.size(); i += 4) only.push_back(rows_[i].record.id);
  only.push_back(removed_ids_[0]);
  only.push_back(5000);
  std::sort(only.begin(), only.end());  // as only_ids must be

  // Each filter on both indexes: the whole filtered ranking, the candidates and the best score.
  const auto check = [&](const std::string& name, SearchRequest request, const RowFilter& allowed,
                         bool leaves_something = true) {
    SCOPED_TRACE(name);
    request.k = 1000;
    const std::vector<SearchHit> want = expected(q, allowed);
    EXPECT_LT(static_cast<int64_t>(want.size()), count(any_row));  // the filter does filter
    EXPECT_EQ(!want.empty(), leaves_something);
    for (Searcher* searcher : {exact.get(), hnsw.get()}) {
      auto page = searcher->search(q, request);
      ASSERT_TRUE(page.ok()) << page.status().message();
      EXPECT_EQ(hits_of(*page), want);
      EXPECT_EQ(page->candidates, static_cast<int64_t>(want.size()));
      EXPECT_EQ(page->best_score,
                want.empty() ? -std::numeric_limits<float>::infinity() : want.front().score);
    }
  };
  const auto in_only = [&](const Row& row) {
    return std::binary_search(only.begin(), only.end(), row.record.id);
  };
  const auto not_excluded = [&](const Row& row) {
    return std::find(excluded.begin(), excluded.end(), row.record.id) == excluded.end();
  };

  SearchRequest r;
  r.filter.folders = {"/photos/a"};
  check("folder", r, [&](const Row& row) { return under(row, "/photos/a"); });
  r.filter.folders = {"/photos/ab/"};
  check("folder with a slash", r, [&](const Row& row) { return under(row, "/photos/ab"); });
  r.filter.folders = {"/photos/a/deep", "/other"};
  check("two folders", r,
        [&](const Row& row) { return under(row, "/photos/a/deep") || under(row, "/other"); });
  r.filter.folders = {"/photos"};
  check("a parent folder", r, [&](const Row& row) { return under(row, "/photos"); });
  r.filter.folders = {"/nowhere"};
  check(
      "no such folder", r, [](const Row&) { return false; }, false);

  r = SearchRequest();
  r.filter.date_min_ns = date_min;
  r.filter.date_max_ns = date_max;
  check("dates", r, [&](const Row& row) {
    return row.record.date_taken_ns >= date_min && row.record.date_taken_ns <= date_max;
  });
  r.filter.date_max_ns.reset();
  check("since", r, [&](const Row& row) { return row.record.date_taken_ns >= date_min; });

  r = SearchRequest();
  r.filter.size_min = size_min;
  r.filter.size_max = size_max;
  check("sizes", r,
        [&](const Row& row) { return row.record.size >= size_min && row.record.size <= size_max; });

  r = SearchRequest();
  r.filter.formats = {"png", "webp"};
  check("formats", r, [](const Row& row) { return row.record.format != "jpeg"; });

  r = SearchRequest();
  r.exclude_ids = excluded;
  check("exclude", r, not_excluded);
  r = SearchRequest();
  r.only_ids = only;
  check("only", r, in_only);
  r.only_ids = std::vector<int64_t>();
  check(
      "only nothing", r, [](const Row&) { return false; }, false);

  r = SearchRequest();
  r.filter.folders = {"/photos"};
  r.filter.formats = {"jpeg", "png"};
  r.filter.size_min = 20000;
  r.only_ids = only;
  r.exclude_ids = excluded;
  check("everything at once", r, [&](const Row& row) {
    return under(row, "/photos") && row.record.format != "webp" && row.record.size >= 20000 &&
           in_only(row) && not_excluded(row);
  });
}

TEST_F(SearcherTest, MinScoreCutsTheRankingAndKeepsTheBestScore) {
  auto searcher = open();
  ASSERT_TRUE(searcher);
  const Embedding q = queries(1, 7)[0];
  const std::vector<SearchHit> want = expected(q);
  const float cutoff = want[12].score;
  SearchRequest request;
  request.k = 1000;
  request.min_score = cutoff;
  auto page = searcher->search(q, request);
  ASSERT_TRUE(page.ok()) << page.status().message();
  std::vector<SearchHit> above;
  for (const SearchHit& h : want) {
    if (h.score >= cutoff) above.push_back(h);
  }
  EXPECT_EQ(above.size(), 13u);
  EXPECT_EQ(hits_of(*page), above);
  EXPECT_EQ(page->best_score, want.front().score);

  // Nothing above the cutoff: no results, but the best score says how far off it was.
  request.min_score = std::nextafter(want.front().score, 2.0f);
  page = searcher->search(q, request);
  ASSERT_TRUE(page.ok()) << page.status().message();
  EXPECT_TRUE(page->results.empty());
  EXPECT_EQ(page->best_score, want.front().score);
  EXPECT_EQ(page->candidates, count(any_row));
}

// With a cutoff every result above it is ordered by date, and pages continue each other; without
// one, each page holds the ranks it would hold by score, ordered by date.
TEST_F(SearcherTest, SortsByDate) {
  auto searcher = open();
  ASSERT_TRUE(searcher);
  const Embedding q = queries(1, 8)[0];
  const std::vector<SearchHit> want = expected(q);
  const float cutoff = want[99].score;
  std::vector<SearchHit> above;
  for (const SearchHit& h : want) {
    if (h.score >= cutoff) above.push_back(h);
  }
  for (SortOrder sort : {SortOrder::kDateNewest, SortOrder::kDateOldest}) {
    const bool newest = sort == SortOrder::kDateNewest;
    SCOPED_TRACE(newest ? "newest" : "oldest");
    const std::vector<SearchHit> dated = by_date(above, newest);
    ASSERT_NE(dated, above);
    std::vector<SearchHit> all;
    for (int64_t offset = 0; offset < 120; offset += 30) {
      SearchRequest request;
      request.k = 30;
      request.offset = offset;
      request.sort = sort;
      request.min_score = cutoff;
      for (const SearchHit& h : search_hits(*searcher, q, request)) all.push_back(h);
    }
    EXPECT_EQ(all, dated);

    for (int64_t offset : {0, 10, 20}) {
      SCOPED_TRACE("offset " + std::to_string(offset));
      SearchRequest request;
      request.k = 10;
      request.offset = offset;
      request.sort = sort;
      EXPECT_EQ(search_hits(*searcher, q, request),
                by_date(slice(want, static_cast<size_t>(offset), 10), newest));
    }
  }
}

}  // namespace
}  // namespace clipsearch::search::searcher_testing
