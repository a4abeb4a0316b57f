// The compact vector store through the Searcher: asked for by the catalog setting, built with
// its recall, searched with exact scores, rebuilt when damaged or stale, refused politely when it
// cannot be written.
#include <gtest/gtest.h>

#include <filesystem>

#include "search/searcher.h"
#include "search/searcher_test_library.h"

namespace clipsearch::search::searcher_testing {
namespace {

bool has_note(const Searcher& searcher, const std::string& words) {
  for (const std::string& note : searcher.notes()) {
    if (note.find(words) != std::string::npos) return true;
  }
  return false;
}

class CompactStoreTest : public SearcherTest {
 protected:
  void ask_for(const std::string& store) {
    ASSERT_TRUE(is_ok(writer_->set_setting(kVectorStoreKey, store)));
  }
};

TEST_F(CompactStoreTest, F16StoreIsBuiltAndAnswersWithExactScores) {
  ASSERT_NO_FATAL_FAILURE(ask_for("f16"));
  auto searcher = open();
  ASSERT_TRUE(searcher);
  ASSERT_TRUE(std::filesystem::exists(compact_file_path(db_)));
  const VectorStore store = searcher->vector_store();
  EXPECT_EQ(store.kind, "f16");
  ASSERT_TRUE(store.recall.has_value());
  EXPECT_EQ(store.recall->queries, 32u);
  EXPECT_GE(store.recall->recall_at_10, 0.95f);
  EXPECT_TRUE(searcher->notes().empty()) << searcher->notes()[0];  // a first build is no news
  for (const Embedding& q : queries(6, 30)) {
    SearchRequest request;
    request.k = 10;
    // Bit for bit the brute-force ranking: the F16 candidates held the true top 10.
    EXPECT_EQ(search_hits(*searcher, q, request), slice(expected(q), 0, 10));
  }
  // Reopened: the file is used as it is.
  auto again = open();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->vector_store().kind, "f16");
  EXPECT_TRUE(again->notes().empty());
}

TEST_F(CompactStoreTest, DamagedOrStaleFileIsRebuiltWithANote) {
  ASSERT_NO_FATAL_FAILURE(ask_for("f16"));
  ASSERT_TRUE(open());
  std::string bytes = testing::read_file(compact_file_path(db_));
  bytes[bytes.size() / 2] ^= 0x21;
  testing::write_file(compact_file_path(db_), bytes);
  auto repaired = open();
  ASSERT_TRUE(repaired);
  EXPECT_TRUE(has_note(*repaired, "compact vector file rebuilt"));
  EXPECT_TRUE(has_note(*repaired, "checksum mismatch"));
  EXPECT_EQ(repaired->vector_store().kind, "f16");
  repaired.reset();

  ASSERT_TRUE(is_ok(writer_->begin_write()));
  ASSERT_NO_FATAL_FAILURE(put_row(kRows + 20));
  ASSERT_TRUE(is_ok(writer_->commit()));
  auto fresh = open();
  ASSERT_TRUE(fresh);
  EXPECT_TRUE(has_note(*fresh, "built for catalog generation"));
  const Embedding q = queries(1, 31)[0];
  SearchRequest request;
  request.k = 10;
  EXPECT_EQ(search_hits(*fresh, q, request), slice(expected(q), 0, 10));
}

TEST_F(CompactStoreTest, WithoutIndexFilesAMissingStoreMeansF32) {
  ASSERT_NO_FATAL_FAILURE(ask_for("f16"));
  SearcherOptions options;
  options.write_index_files = false;
  auto searcher = Searcher::open(db_, options);
  ASSERT_TRUE(searcher.ok()) << searcher.status().message();
  EXPECT_EQ((*searcher)->vector_store().kind, "f32");
  EXPECT_TRUE(has_note(**searcher, "compact vector file unusable"));
  EXPECT_TRUE(has_note(**searcher, compact_file_path(db_)));
  EXPECT_FALSE(std::filesystem::exists(compact_file_path(db_)));
}

TEST_F(CompactStoreTest, UnknownOrF32SettingSearchesF32) {
  ASSERT_NO_FATAL_FAILURE(ask_for("int3"));
  auto searcher = open();
  ASSERT_TRUE(searcher);
  EXPECT_EQ(searcher->vector_store().kind, "f32");
  EXPECT_TRUE(has_note(*searcher, "vector store 'int3' unknown"));
  ASSERT_NO_FATAL_FAILURE(ask_for("f32"));
  searcher = open();
  ASSERT_TRUE(searcher);
  EXPECT_EQ(searcher->vector_store().kind, "f32");
  EXPECT_FALSE(std::filesystem::exists(compact_file_path(db_)));
}

}  // namespace
}  // namespace clipsearch::search::searcher_testing
