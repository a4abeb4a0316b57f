// Searcher in process: colour-mixed scores (search/color_search.h) and queries with negatives and
// weights (search/query_vector.h), against the brute-force reference of searcher_test_library.h.
#include "search/searcher.h"

#include <gtest/gtest.h>

#include <set>

#include "search/searcher_test_library.h"

namespace clipsearch::search::searcher_testing {
namespace {

TEST_F(SearcherTest, ColourWeightZeroIsPlainSearch) {
  const uint8_t red[3] = {200, 30, 40};
  for (IndexChoice index : {IndexChoice::kExact, IndexChoice::kHnsw}) {
    auto searcher = open(index);
    ASSERT_TRUE(searcher);
    for (const Embedding& q : queries(3, 9)) {
      SearchRequest plain;
      plain.k = 30;
      plain.offset = 3;
      plain.filter.formats = {"png", "jpeg"};
      SearchRequest colour = plain;
      colour.color = ColorQuery{color_signature_of(red), 0.0f};
      const std::vector<SearchHit> got = search_hits(*searcher, q, colour);
      EXPECT_EQ(got.size(), 30u);
      EXPECT_EQ(got, search_hits(*searcher, q, plain));
    }
  }
}

TEST_F(SearcherTest, ColourWeightOneRanksByColourSimilarity) {
  const uint8_t navy[3] = {0, 0, 128};
  const ColorQuery colour{color_signature_of(navy), 1.0f};
  const Embedding q = queries(1, 10)[0];
  const std::vector<SearchHit> want = expected(q, any_row, colour);
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(want[i].score, row_color_similarity(colour.signature, row_with_id(want[i].id)));
  }
  EXPECT_GT(want.front().score, want.back().score);
  EXPECT_EQ(want.back().score, 0.0f);  // rows without colours
  for (IndexChoice index : {IndexChoice::kExact, IndexChoice::kHnsw}) {
    auto searcher = open(index);
    ASSERT_TRUE(searcher);
    SearchRequest request;
    request.k = 1000;
    request.color = colour;
    EXPECT_EQ(search_hits(*searcher, q, request), want);
    // The CLIP query plays no part.
    EXPECT_EQ(search_hits(*searcher, queries(1, 11)[0], request), want);
  }
}

TEST_F(SearcherTest, ColourMixesWithFiltersPagingAndCutoff) {
  const uint8_t teal[3] = {0, 128, 128};
  const Embedding q = queries(1, 12)[0];
  const RowFilter not_webp = [](const Row& row) { return row.record.format != "webp"; };
  for (float w : {0.05f, 0.3f, 0.8f}) {
    SCOPED_TRACE("w " + std::to_string(w));
    const ColorQuery colour{color_signature_of(teal), w};
    const std::vector<SearchHit> want = expected(q, not_webp, colour);
    EXPECT_NE(want, expected(q, not_webp));  // colour changes the order
    for (IndexChoice index : {IndexChoice::kExact, IndexChoice::kHnsw}) {
      auto searcher = open(index);
      ASSERT_TRUE(searcher);
      std::vector<SearchHit> all;
      for (int64_t offset = 0; offset < 60; offset += 15) {
        SearchRequest request;
        request.k = 15;
        request.offset = offset;
        request.filter.formats = {"jpeg", "png"};
        request.color = colour;
        for (const SearchHit& h : search_hits(*searcher, q, request)) all.push_back(h);
      }
      EXPECT_EQ(all, slice(want, 0, 60));

      SearchRequest cut;
      cut.k = 1000;
      cut.filter.formats = {"jpeg", "png"};
      cut.color = colour;
      cut.min_score = want[9].score;  // mixed scores are cut
      auto page = searcher->search(q, cut);
      ASSERT_TRUE(page.ok()) << page.status().message();
      EXPECT_EQ(hits_of(*page), slice(want, 0, 10));
      EXPECT_EQ(page->best_score, want.front().score);
      EXPECT_EQ(page->candidates, count(not_webp));
    }
  }
}

TEST_F(SearcherTest, IndexedColourIsTheStoredSignature) {
  auto searcher = open();
  ASSERT_TRUE(searcher);
  int with = 0, without = 0;
  for (const Row* row : ok_rows()) {
    auto sig = searcher->indexed_color(row->record.id);
    ASSERT_TRUE(sig.ok()) << sig.status().message();
    if (row->color && !row->color->empty()) {
      ++with;
      const auto packed = sig->pack();
      EXPECT_EQ(std::vector<float>(packed.begin(), packed.end()), *row->color);
    } else {
      ++without;
      EXPECT_TRUE(sig->colors.empty());
    }
  }
  EXPECT_GT(with, 0);
  EXPECT_GT(without, 0);
}

// Query arithmetic through to the ranking: negatives push their direction down, the image
// weight moves between the text and the picture, and the bad cases are invalid arguments.
TEST_F(SearcherTest, NegativesAndWeightsMoveTheRanking) {
  auto searcher = open();
  ASSERT_TRUE(searcher);
  const auto ok = ok_rows();
  const Row& a = *ok[20];
  const Row& b = *ok[60];
  for (const Row* r : {&a, &b}) {  // no twin shares their embeddings
    const std::vector<SearchHit> own = expected(r->embedding);
    ASSERT_EQ(own[0].id, r->record.id);
    ASSERT_LT(own[1].score, own[0].score);
  }
  Embedding both(kDim);
  for (int64_t i = 0; i < kDim; ++i) both[i] = a.embedding[i] + b.embedding[i];
  SearchRequest request;
  request.k = 5;

  // "a and b" finds both first; "a and b, not b" finds a and leaves b behind.
  auto plain = query_vector_combine({both}, {}, {});
  ASSERT_TRUE(plain.ok()) << plain.status().message();
  std::vector<SearchHit> got = search_hits(*searcher, *plain, request);
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ((std::set<int64_t>{got[0].id, got[1].id}),
            (std::set<int64_t>{a.record.id, b.record.id}));
  EXPECT_EQ(got, slice(expected(*plain), 0, 5));
  auto without_b = query_vector_combine({both}, {}, {b.embedding}, QueryWeights{0.5f, 1.0f});
  ASSERT_TRUE(without_b.ok()) << without_b.status().message();
  got = search_hits(*searcher, *without_b, request);
  EXPECT_EQ(got, slice(expected(*without_b), 0, 5));
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got[0].id, a.record.id);
  const std::vector<SearchHit> all = expected(*without_b);
  const auto b_rank = std::find_if(all.begin(), all.end(),
                                   [&](const SearchHit& h) { return h.id == b.record.id; }) -
                      all.begin();
  EXPECT_GT(b_rank, static_cast<std::ptrdiff_t>(all.size() / 2));
  EXPECT_LT(embedding_dot(*without_b, b.embedding), embedding_dot(*plain, b.embedding));
  // Negative weight 0 is no negative at all.
  auto zero_weight = query_vector_combine({both}, {}, {b.embedding}, QueryWeights{0.5f, 0.0f});
  ASSERT_TRUE(zero_weight.ok());
  EXPECT_EQ(search_hits(*searcher, *zero_weight, request), search_hits(*searcher, *plain, request));

  // The text "a" with the picture "b": image weight 0 finds a, 1 finds b, 0.5 both.
  for (float w : {0.0f, 0.5f, 1.0f}) {
    auto q = query_vector_combine({a.embedding}, {b.embedding}, {}, QueryWeights{w, 0.5f});
    ASSERT_TRUE(q.ok()) << q.status().message();
    got = search_hits(*searcher, *q, request);
    EXPECT_EQ(got, slice(expected(*q), 0, 5));
    ASSERT_GE(got.size(), 2u);
    if (w == 0) {
      EXPECT_EQ(got[0].id, a.record.id);
    }
    if (w == 1) {
      EXPECT_EQ(got[0].id, b.record.id);
    }
    if (w == 0.5f) {
      EXPECT_EQ((std::set<int64_t>{got[0].id, got[1].id}),
                (std::set<int64_t>{a.record.id, b.record.id}));
    }
  }

  // A query that is its own negative at weight 1 leaves nothing to search for.
  EXPECT_TRUE(fails_with(
      query_vector_combine({a.embedding}, {}, {a.embedding}, QueryWeights{0.5f, 1.0f}).status(),
      StatusCode::kInvalidArgument, "the combined query vector is zero"));
  EXPECT_TRUE(fails_with(query_vector_combine({}, {}, {a.embedding}).status(),
                         StatusCode::kInvalidArgument, "nothing to search for"));
  EXPECT_TRUE(fails_with(
      query_vector_combine({a.embedding}, {b.embedding}, {}, QueryWeights{1.5f, 0.5f}).status(),
      StatusCode::kInvalidArgument, "the image weight must be between 0 and 1"));
  EXPECT_TRUE(fails_with(
      query_vector_combine({a.embedding}, {}, {b.embedding}, QueryWeights{0.5f, -1.0f}).status(),
      StatusCode::kInvalidArgument, "the negative weight must be >= 0"));
  EXPECT_TRUE(
      fails_with(query_vector_combine({a.embedding}, {Embedding(kDim - 1, 0.1f)}, {}).status(),
                 StatusCode::kInvalidArgument, "expected 64"));
  EXPECT_TRUE(fails_with(query_vector_combine({Embedding(kDim, 0.0f)}, {}, {}).status(),
                         StatusCode::kInvalidArgument, "zero"));
}

}  // namespace
}  // namespace clipsearch::search::searcher_testing
