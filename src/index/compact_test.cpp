// The compact store: the F16 file (written, verified, refused when damaged or stale) and the
// search through it (every score the F32 exact score; recall against exact_search on generated
// embedding-like rows).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <numeric>

#include "core/half.h"
#include "index/compact_file.h"
#include "index/compact_search.h"
#include "index/exact_index.h"
#include "testing/test_util.h"
#include "testing/test_vectors.h"

namespace clipsearch {
namespace {

using testing::TempDir;

// Rows with ids from 100, and their F16 copy.
struct Rows : testing::VectorRows {
  std::vector<uint16_t> halves;
};

Rows make_rows(std::vector<float> vectors, int64_t dim) {
  Rows rows;
  rows.vectors = std::move(vectors);
  rows.dim = dim;
  rows.ids.resize(rows.vectors.size() / static_cast<size_t>(dim));
  std::iota(rows.ids.begin(), rows.ids.end(), 100);
  for (float v : rows.vectors) rows.halves.push_back(f32_to_f16(v));
  return rows;
}

const VectorFileInfo kInfo{"openai/clip-vit-base-patch32", 42};

uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

TEST(CompactFile, RoundTripKeepsTheHalvesAndTheRecall) {
  TempDir dir;
  const std::string path = dir.file("db.f16");
  for (int64_t n : {0, 1, 5000}) {
    const Rows rows = make_rows(testing::random_unit_vectors(n, 77, 3), 77);
    ASSERT_TRUE(write_compact_file(path, kInfo, rows.view(), {0.97f, 16}).ok());
    auto file = CompactVectorFile::open(path, kInfo, n, 77);
    ASSERT_TRUE(file.ok()) << file.status().message();
    EXPECT_TRUE(std::equal(rows.halves.begin(), rows.halves.end(), file->rows()));
    EXPECT_EQ(file->recall().recall_at_10, 0.97f);
    EXPECT_EQ(file->recall().queries, 16u);
    auto recall = CompactVectorFile::read_recall(path);
    ASSERT_TRUE(recall.ok());
    EXPECT_EQ(recall->recall_at_10, 0.97f);
  }
}

void expect_refused(const std::string& path, const std::string& words, int64_t count,
                    const VectorFileInfo& expected = kInfo,
                    StatusCode code = StatusCode::kCorruption) {
  auto file = CompactVectorFile::open(path, expected, count, 64);
  ASSERT_FALSE(file.ok()) << "opened a bad file; wanted: " << words;
  EXPECT_EQ(file.status().code(), code) << file.status().message();
  EXPECT_NE(file.status().message().find(words), std::string::npos) << file.status().message();
  EXPECT_NE(file.status().message().find(path), std::string::npos) << file.status().message();
}

TEST(CompactFile, DamagedStaleOrMissingFilesAreRefusedWithTheReason) {
  TempDir dir;
  const std::string good = dir.file("good.f16"), bad = dir.file("bad.f16");
  const Rows rows = make_rows(testing::random_unit_vectors(300, 64, 4), 64);
  ASSERT_TRUE(write_compact_file(good, kInfo, rows.view(), {1, 8}).ok());
  const std::string bytes = testing::read_file(good);
  expect_refused(dir.file("missing.f16"), "cannot open", 300, kInfo, StatusCode::kNotFound);
  EXPECT_EQ(CompactVectorFile::read_recall(dir.file("missing.f16")).status().code(),
            StatusCode::kNotFound);
  expect_refused(good, "generation 42, expected 43", 300, {kInfo.model_id, 43});
  expect_refused(good, "expected 'other'", 300, {"other", 42});
  expect_refused(good, "300 rows, the vector file has 301", 301);
  for (size_t size : {size_t{0}, size_t{100}, size_t{256}, bytes.size() - 1}) {
    testing::write_file(bad, bytes.substr(0, size));
    expect_refused(bad, "truncated", 300);
  }
  for (size_t at : {size_t{57}, size_t{200}, size_t{300}, bytes.size() - 1}) {
    std::string flipped = bytes;
    flipped[at] ^= 0x04;
    testing::write_file(bad, flipped);
    expect_refused(bad, "checksum mismatch", 300);
  }
  std::string b = bytes;
  b[3] = 'X';
  testing::write_file(bad, b);
  expect_refused(bad, "bad magic", 300);
}

TEST(CompactFile, WriterRefusesBadInput) {
  TempDir dir;
  const Rows rows = make_rows(testing::random_unit_vectors(3, 8, 5), 8);
  VectorView zero_dim = rows.view();
  zero_dim.dim = 0;
  EXPECT_EQ(write_compact_file(dir.file("a"), kInfo, zero_dim, {}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(write_compact_file(dir.file("a"), {std::string(200, 'm'), 1}, rows.view(), {}).code(),
            StatusCode::kInvalidArgument);
}

// Every hit's score is the F32 exact score of its row, bit for bit.
void expect_exact_scores(const Rows& rows, const float* q, const std::vector<SearchHit>& hits) {
  for (const SearchHit& hit : hits) {
    const size_t r = static_cast<size_t>(hit.id - 100);
    SearchOptions one;
    one.k = 1;
    const VectorView row{rows.ids.data() + r, rows.vectors.data() + r * rows.dim, 1, rows.dim};
    ASSERT_EQ(bits(hit.score), bits(exact_search(row, q, one).at(0).score)) << "id " << hit.id;
  }
}

TEST(CompactSearch, ScoresAreExactAndRecallIsHighOnEmbeddingLikeRows) {
  const int64_t dim = 512;
  const Rows rows = make_rows(testing::embedding_like_vectors(12000, dim, 40, 6), dim);
  const std::vector<float> queries = testing::random_unit_vectors(12, dim, 7);
  int64_t found = 0, total = 0;
  for (int64_t k : {1, 10, 100}) {
    for (int s = 0; s < 12; ++s) {
      // Each query near a stored row, as a real query near the photos it finds.
      std::vector<float> q(rows.vectors.begin() + s * 997 * dim,
                           rows.vectors.begin() + (s * 997 + 1) * dim);
      for (int64_t i = 0; i < dim; ++i) q[i] += 0.3f * queries[s * dim + i];
      SearchOptions options;
      options.k = k;
      const auto want = exact_search(rows.view(), q.data(), options);
      const auto got = compact_search(rows.view(), rows.halves.data(), q.data(), options);
      ASSERT_EQ(got.size(), want.size());
      expect_exact_scores(rows, q.data(), got);
      for (size_t i = 1; i < got.size(); ++i) ASSERT_TRUE(ranks_before(got[i - 1], got[i]));
      for (const SearchHit& hit : want) {
        found += std::find(got.begin(), got.end(), hit) != got.end();
      }
      total += static_cast<int64_t>(want.size());
    }
  }
  EXPECT_GE(static_cast<double>(found) / static_cast<double>(total), 0.99);
  const CompactRecall recall = measure_compact_recall(rows.view(), rows.halves.data(), 16);
  EXPECT_EQ(recall.queries, 16u);
  EXPECT_GE(recall.recall_at_10, 0.99f);
  EXPECT_LE(recall.recall_at_10, 1.0f);
}

TEST(CompactSearch, FiltersMinScoreTiesAndSmallCollections) {
  const int64_t dim = 40;
  std::vector<float> vectors = testing::random_unit_vectors(3000, dim, 8);
  // Rows 1..9 copy row 0: ten tied scores, ordered by id.
  for (int r = 1; r < 10; ++r) std::copy_n(vectors.begin(), dim, vectors.begin() + r * dim);
  const Rows rows = make_rows(std::move(vectors), dim);
  const float* q = rows.vectors.data();
  std::vector<int64_t> allowed;
  for (int64_t id = 100; id < 3100; id += 3) allowed.push_back(id);
  const IdFilter filter = IdFilter::allow(allowed);
  for (const IdFilter* f : {static_cast<const IdFilter*>(nullptr), &filter}) {
    for (float min_score : {-INFINITY, 0.2f}) {
      for (int64_t k : {0, 5, 12, 2000, 5000}) {  // 2000 and 5000: the F32 scan answers
        SearchOptions options;
        options.k = k;
        options.min_score = min_score;
        options.filter = f;
        const auto want = exact_search(rows.view(), q, options);
        EXPECT_EQ(compact_search(rows.view(), rows.halves.data(), q, options), want)
            << "k " << k << " min_score " << min_score << " filter " << (f != nullptr);
      }
    }
  }
  EXPECT_TRUE(compact_search(VectorView{}, nullptr, q, SearchOptions{}).empty());
}

// A batch through one pass over the halves answers each query as compact_search does alone:
// options of every kind, and halves that are not the rows' own (so that the F16 scan, not the
// F32 one, visibly decides which rows come back).
TEST(CompactSearch, ABatchAnswersEachQueryAsAlone) {
  const int64_t dim = 40;
  Rows rows = make_rows(testing::random_unit_vectors(9000, dim, 11), dim);
  const std::vector<float> other = testing::random_unit_vectors(9000, dim, 12);
  for (size_t i = 0; i < other.size(); ++i) rows.halves[i] = f32_to_f16(other[i]);
  const std::vector<float> queries = testing::random_unit_vectors(7, dim, 13);
  std::vector<int64_t> allowed;
  for (int64_t id = 100; id < 9100; id += 3) allowed.push_back(id);
  const IdFilter filter = IdFilter::allow(allowed);
  // k 6000: the candidates would be half the rows or more, so the F32 scan answers.
  std::vector<SearchOptions> options = testing::mixed_search_options(&filter, 6000);
  options.push_back(SearchOptions{});
  const auto batch = compact_search_batch(rows.view(), rows.halves.data(), queries.data(), options);
  ASSERT_EQ(batch.size(), 7u);
  int differs_from_f32 = 0;
  for (size_t q = 0; q < 7; ++q) {
    const float* query = queries.data() + q * dim;
    EXPECT_EQ(batch[q], compact_search(rows.view(), rows.halves.data(), query, options[q]))
        << "query " << q;
    differs_from_f32 += batch[q] != exact_search(rows.view(), query, options[q]);
  }
  EXPECT_GE(differs_from_f32, 3);
  EXPECT_EQ(batch[3], exact_search(rows.view(), queries.data() + 3 * dim, options[3]));
  EXPECT_TRUE(compact_search_batch(rows.view(), rows.halves.data(), queries.data(), {}).empty());
}

}  // namespace
}  // namespace clipsearch
