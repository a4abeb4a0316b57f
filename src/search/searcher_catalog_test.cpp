// Searcher in process: keeping up with the catalog (refresh), reading indexed images, the model
// check, error codes, damaged or stale index files beside the catalog, and concurrent searches.
#include "search/searcher.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <limits>
#include <random>
#include <thread>

#include "search/searcher_test_library.h"

namespace clipsearch::search::searcher_testing {
namespace {

TEST_F(SearcherTest, RefreshPicksUpRowsAddedAfterOpen) {
  for (IndexChoice index : {IndexChoice::kExact, IndexChoice::kHnsw}) {
    SCOPED_TRACE(index == IndexChoice::kExact ? "exact" : "hnsw");
    auto searcher = open(index);
    ASSERT_TRUE(searcher);
    auto fresh = searcher->refresh();
    ASSERT_TRUE(fresh.ok()) << fresh.status().message();
    EXPECT_FALSE(*fresh);  // nothing changed yet
    const int64_t generation = searcher->generation();
    const Embedding q = queries(1, index == IndexChoice::kExact ? 13 : 14)[0];
    const int next = kRows + (index == IndexChoice::kExact ? 0 : 10);

    // A new row that is the query itself, and a row removed.
    ASSERT_TRUE(is_ok(writer_->begin_write()));
    ASSERT_NO_FATAL_FAILURE(put_row(next, &q));
    ASSERT_NO_FATAL_FAILURE(remove_row(index == IndexChoice::kExact ? 50 : 51));
    ASSERT_TRUE(is_ok(writer_->commit()));
    const int64_t added = rows_.back().record.id;

    SearchRequest request;
    request.k = 1000;
    const std::vector<SearchHit> stale = search_hits(*searcher, q, request);
    EXPECT_NE(stale.front().id, added);  // not seen before refresh()
    fresh = searcher->refresh();
    ASSERT_TRUE(fresh.ok()) << fresh.status().message();
    EXPECT_TRUE(*fresh);
    EXPECT_GT(searcher->generation(), generation);
    EXPECT_EQ(searcher->index_kind(),
              index == IndexChoice::kHnsw ? IndexKind::kHnsw : IndexKind::kExact);
    EXPECT_EQ(searcher->size(), count(any_row));
    const std::vector<SearchHit> got = search_hits(*searcher, q, request);
    EXPECT_EQ(got, expected(q));
    ASSERT_FALSE(got.empty());
    EXPECT_EQ(got.front().id, added);
    fresh = searcher->refresh();
    ASSERT_TRUE(fresh.ok());
    EXPECT_FALSE(*fresh);
  }
}

// Colour signatures are read once per generation: a changed one is seen after refresh().
TEST_F(SearcherTest, RefreshRereadsColourSignatures) {
  auto searcher = open();
  ASSERT_TRUE(searcher);
  const uint8_t green[3] = {20, 220, 30};
  const ColorQuery colour{color_signature_of(green), 1.0f};
  const Embedding q = queries(1, 15)[0];
  SearchRequest request;
  request.k = 1;
  request.color = colour;
  const std::vector<SearchHit> before = search_hits(*searcher, q, request);
  ASSERT_EQ(before.size(), 1u);
  // The last row gets exactly the colour asked for (similarity 1).
  Row& target = rows_.back();
  ASSERT_NE(target.record.id, before[0].id);
  const auto packed = color_signature_of(green).pack();
  target.color = std::vector<float>(packed.begin(), packed.end());
  ASSERT_TRUE(is_ok(writer_->begin_write()));
  ASSERT_TRUE(is_ok(writer_->set_color(target.record.id, *target.color)));
  ASSERT_TRUE(is_ok(writer_->commit()));
  EXPECT_EQ(search_hits(*searcher, q, request), before);
  auto fresh = searcher->refresh();
  ASSERT_TRUE(fresh.ok() && *fresh);
  const std::vector<SearchHit> after = search_hits(*searcher, q, request);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].id, target.record.id);
  EXPECT_EQ(after, slice(expected(q, any_row, colour), 0, 1));
}

TEST_F(SearcherTest, IndexedImageByPathAndId) {
  auto searcher = open();
  ASSERT_TRUE(searcher);
  const Row& row = *ok_rows()[77];
  auto by_path = searcher->indexed_image(row.record.path);
  ASSERT_TRUE(by_path.ok()) << by_path.status().message();
  EXPECT_EQ(by_path->first.id, row.record.id);
  EXPECT_EQ(by_path->second, row.embedding);
  auto by_id = searcher->indexed_image(row.record.id);
  ASSERT_TRUE(by_id.ok()) << by_id.status().message();
  EXPECT_EQ(by_id->first.path, row.record.path);
  EXPECT_EQ(by_id->second, row.embedding);

  EXPECT_TRUE(fails_with(searcher->indexed_image("/photos/a/missing.jpeg").status(),
                         StatusCode::kNotFound, "/photos/a/missing.jpeg: not in the index"));
  EXPECT_TRUE(fails_with(searcher->indexed_image(int64_t{987654}).status(), StatusCode::kNotFound,
                         "image 987654: not in the index"));
  const int64_t removed = removed_ids_[0];
  EXPECT_TRUE(fails_with(searcher->indexed_image(removed).status(), StatusCode::kNotFound,
                         "image " + std::to_string(removed) + ": not in the index"));
  const auto failed = std::find_if(rows_.begin(), rows_.end(), [](const Row& r) {
    return r.record.status == ImageStatus::kError;
  });
  ASSERT_NE(failed, rows_.end());
  EXPECT_TRUE(fails_with(searcher->indexed_image(failed->record.path).status(),
                         StatusCode::kNotFound,
                         failed->record.path + ": not indexed (cannot decode)"));
  EXPECT_TRUE(fails_with(searcher->indexed_image(failed->record.id).status(), StatusCode::kNotFound,
                         "not indexed (cannot decode)"));
}

TEST_F(SearcherTest, CatalogFacts) {
  auto searcher = open();
  ASSERT_TRUE(searcher);
  // images(): rows in the order asked, unknown ids left out.
  const auto ok = ok_rows();
  const std::vector<int64_t> ids = {ok[9]->record.id, 424242, ok[2]->record.id, removed_ids_[0]};
  auto images = searcher->images(ids);
  ASSERT_TRUE(images.ok()) << images.status().message();
  ASSERT_EQ(images->size(), 2u);
  EXPECT_EQ((*images)[0].path, ok[9]->record.path);
  EXPECT_EQ((*images)[1].path, ok[2]->record.path);
  auto scored = scored_images(*searcher, {{ok[5]->record.id, 0.25f}, {424242, 0.5f}});
  ASSERT_TRUE(scored.ok());
  ASSERT_EQ(scored->size(), 1u);
  EXPECT_EQ((*scored)[0].image.id, ok[5]->record.id);
  EXPECT_EQ((*scored)[0].score, 0.25f);

  // with_rows(): every ok row, ascending, with its embedding.
  ASSERT_TRUE(is_ok(searcher->with_rows([&](const VectorView& view) {
    EXPECT_EQ(view.count, static_cast<int64_t>(ok.size()));
    EXPECT_EQ(view.dim, kDim);
    for (int64_t r = 0; r < std::min<int64_t>(view.count, static_cast<int64_t>(ok.size())); ++r) {
      EXPECT_EQ(view.ids[r], ok[static_cast<size_t>(r)]->record.id);
      EXPECT_TRUE(std::equal(view.vectors + r * kDim, view.vectors + (r + 1) * kDim,
                             ok[static_cast<size_t>(r)]->embedding.begin()));
    }
    return Status();
  })));

  auto stats = searcher->stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->images, static_cast<int64_t>(ok.size()));
  EXPECT_EQ(stats->errors, static_cast<int64_t>(rows_.size() - ok.size()));
  EXPECT_EQ(stats->generation, searcher->generation());
  auto roots = searcher->roots();
  ASSERT_TRUE(roots.ok());
  ASSERT_EQ(roots->size(), 2u);
  EXPECT_EQ((*roots)[0].path, "/photos");
  auto model = searcher->model();
  ASSERT_TRUE(model.ok() && model->has_value());
  EXPECT_EQ((*model)->fingerprint, test_model().fingerprint);
  EXPECT_EQ((*model)->embed_dim, kDim);
  auto id = searcher->catalog_id();
  ASSERT_TRUE(id.ok() && id->has_value());
  EXPECT_EQ((*id)->size(), 32u);
}

TEST_F(SearcherTest, CheckModel) {
  auto searcher = open();
  ASSERT_TRUE(searcher);
  EXPECT_TRUE(is_ok(searcher->check_model(test_model())));
  ModelIdentity other = test_model();
  other.name = "other-model";
  other.fingerprint = "0123456789abcdef0000";
  const Status mismatch = searcher->check_model(other);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.code(), StatusCode::kInvalidArgument);
  // The code belongs to index/catalog.cpp; the message names both models.
  EXPECT_NE(mismatch.message().find("'test-model'"), std::string::npos) << mismatch.message();
  EXPECT_NE(mismatch.message().find("'other-model'"), std::string::npos) << mismatch.message();
}

TEST_F(SearcherTest, BadRequestsAreInvalidArguments) {
  auto searcher = open();
  ASSERT_TRUE(searcher);
  const Embedding q = queries(1, 16)[0];
  SearchRequest negative_k;
  negative_k.k = -1;
  EXPECT_TRUE(fails_with(searcher->search(q, negative_k).status(), StatusCode::kInvalidArgument,
                         "k and offset must not be negative"));
  SearchRequest negative_offset;
  negative_offset.offset = -3;
  EXPECT_TRUE(fails_with(searcher->search(q, negative_offset).status(),
                         StatusCode::kInvalidArgument, "k and offset must not be negative"));
  EXPECT_TRUE(fails_with(searcher->search(Embedding(kDim + 1, 0.1f), SearchRequest()).status(),
                         StatusCode::kInvalidArgument,
                         "the query has 65 values, the index holds 64-value embeddings"));
  SearchRequest none;
  none.k = 0;
  auto page = searcher->search(q, none);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->results.empty());
}

// Opening fails with a message naming the file; the codes come from index/catalog.cpp.
TEST_F(SearcherTest, MissingOrCorruptCatalogIsAClearError) {
  const std::string missing = dir_.file("missing.db");
  auto none = Searcher::open(missing);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
  EXPECT_NE(none.status().message().find(missing + ": no catalog here"), std::string::npos)
      << none.status().message();
  EXPECT_FALSE(std::filesystem::exists(missing));  // opening to search creates nothing

  const std::string corrupt = dir_.file("corrupt.db");
  std::string garbage(8192, '\0');
  std::mt19937 rng(17);
  for (char& c : garbage) c = static_cast<char>(rng());
  testing::write_file(corrupt, garbage);
  auto bad = Searcher::open(corrupt);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kCorruption);
  EXPECT_NE(bad.status().message().find(corrupt + ": not a clipsearch catalog"), std::string::npos)
      << bad.status().message();
}

// A damaged or stale vector/HNSW file beside the catalog is rebuilt, never trusted.
TEST_F(SearcherTest, DamagedOrStaleIndexFilesAreRebuilt) {
  ASSERT_TRUE(open(IndexChoice::kHnsw));  // writes library.db.vectors and library.db.hnsw
  ASSERT_TRUE(std::filesystem::exists(db_ + ".vectors"));
  const Embedding q = queries(1, 18)[0];
  SearchRequest request;
  request.k = 40;

  std::string vectors = testing::read_file(db_ + ".vectors");
  vectors[vectors.size() / 2] ^= 0x5a;
  testing::write_file(db_ + ".vectors", vectors);
  std::string graph = testing::read_file(db_ + ".hnsw");
  graph[graph.size() / 2] ^= 0x5a;
  testing::write_file(db_ + ".hnsw", graph);
  auto repaired = open(IndexChoice::kHnsw);
  ASSERT_TRUE(repaired);
  const std::vector<std::string> notes = repaired->notes();
  ASSERT_FALSE(notes.empty());
  EXPECT_NE(notes[0].find("vector file rebuilt from the catalog"), std::string::npos) << notes[0];
  EXPECT_EQ(search_hits(*repaired, q, request), slice(expected(q), 0, 40));
  repaired.reset();

  // Rows added while no searcher ran: both files are for an older generation.
  ASSERT_TRUE(is_ok(writer_->begin_write()));
  ASSERT_NO_FATAL_FAILURE(put_row(kRows + 20));
  ASSERT_TRUE(is_ok(writer_->commit()));
  for (IndexChoice index : {IndexChoice::kHnsw, IndexChoice::kExact}) {
    auto searcher = open(index);
    ASSERT_TRUE(searcher);
    EXPECT_EQ(searcher->size(), count(any_row));
    request.k = 1000;
    EXPECT_EQ(search_hits(*searcher, q, request), expected(q));
  }
}

TEST_F(SearcherTest, WithoutIndexFilesNothingIsWritten) {
  SearcherOptions options;
  options.index = IndexChoice::kHnsw;
  options.write_index_files = false;
  auto searcher = Searcher::open(db_, options);
  ASSERT_TRUE(searcher.ok()) << searcher.status().message();
  EXPECT_EQ((*searcher)->index_kind(), IndexKind::kHnsw);
  EXPECT_FALSE(std::filesystem::exists(db_ + ".vectors"));
  EXPECT_FALSE(std::filesystem::exists(db_ + ".hnsw"));
  const Embedding q = queries(1, 19)[0];
  SearchRequest request;
  request.k = 10;
  EXPECT_EQ(search_hits(**searcher, q, request), slice(expected(q), 0, 10));
}

TEST(Searcher, EmptyCatalogAnswersNothing) {
  testing::TempDir dir;
  const std::string db = dir.file("empty.db");
  ASSERT_TRUE(Catalog::open(db, Catalog::Mode::kReadWrite).ok());
  auto searcher = Searcher::open(db);
  ASSERT_TRUE(searcher.ok()) << searcher.status().message();
  EXPECT_EQ((*searcher)->size(), 0);
  auto page = (*searcher)->search(Embedding(kDim, 0.125f), SearchRequest());
  ASSERT_TRUE(page.ok()) << page.status().message();
  EXPECT_TRUE(page->results.empty());
  EXPECT_EQ(page->candidates, 0);
  EXPECT_EQ(page->best_score, -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(is_ok((*searcher)->check_model(test_model())));  // no model to disagree with
  auto model = (*searcher)->model();
  ASSERT_TRUE(model.ok());
  EXPECT_FALSE(model->has_value());
}

// Searches from several threads at once see the same answers as one at a time.
TEST_F(SearcherTest, ConcurrentSearchesAgree) {
  auto searcher = open();
  ASSERT_TRUE(searcher);
  const std::vector<Embedding> qs = queries(4, 20);
  std::vector<std::vector<SearchHit>> want;
  for (const Embedding& q : qs) want.push_back(slice(expected(q), 0, 10));
  std::vector<int> wrong(qs.size(), 0);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < qs.size(); ++t) {
    threads.emplace_back([&, t] {
      SearchRequest request;
      request.k = 10;
      for (int i = 0; i < 25; ++i) {
        auto page = searcher->search(qs[t], request);
        if (!page.ok() || hits_of(*page) != want[t]) ++wrong[t];
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(wrong, std::vector<int>(qs.size(), 0));
}

}  // namespace
}  // namespace clipsearch::search::searcher_testing
