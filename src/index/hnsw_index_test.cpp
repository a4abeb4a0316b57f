#include "index/hnsw_index.h"

#include <gtest/gtest.h>

#include <cstring>
#include <numeric>
#include <random>
#include <thread>

#include "core/atomic_file.h"
#include "core/crc32c.h"
#include "index/exact_index.h"
#include "index/file_checksum.h"
#include "testing/test_util.h"
#include "testing/test_vectors.h"

namespace clipsearch {
namespace {

using testing::TempDir;

struct Rows {
  std::vector<int64_t> ids;
  std::vector<float> vectors;
  int64_t dim;
  VectorView view() const {
    return {ids.data(), vectors.data(), static_cast<int64_t>(ids.size()), dim};
  }
};

// Embedding-like rows, then a share of random directions (the hard case for a graph, every
// neighbour about as far as any other); ids 5, 8, 11, ...
Rows make_rows(int64_t n, int64_t dim, uint64_t seed, double random_share = 0) {
  const int64_t like = n - static_cast<int64_t>(n * random_share);
  Rows rows{std::vector<int64_t>(static_cast<size_t>(n)),
            testing::embedding_like_vectors(like, dim, std::max<int64_t>(like / 500, 1), seed),
            dim};
  const std::vector<float> random = testing::random_unit_vectors(n - like, dim, seed + 1);
  rows.vectors.insert(rows.vectors.end(), random.begin(), random.end());
  for (int64_t r = 0; r < n; ++r) rows.ids[static_cast<size_t>(r)] = 5 + 3 * r;
  return rows;
}

// Queries near stored rows of [first, last) (a perturbed copy), the way a text query lands
// near its images.
std::vector<float> make_queries(const Rows& rows, int64_t count, uint64_t seed, int64_t first = 0,
                                int64_t last = -1) {
  std::mt19937_64 rng(seed);
  if (last < 0) last = static_cast<int64_t>(rows.ids.size());
  std::uniform_int_distribution<int64_t> pick(first, last - 1);
  std::vector<float> q = testing::random_unit_vectors(count, rows.dim, seed + 1);
  for (int64_t i = 0; i < count; ++i) {
    const float* row = rows.vectors.data() + pick(rng) * rows.dim;
    for (int64_t j = 0; j < rows.dim; ++j)
      q[i * rows.dim + j] = row[j] + 0.5f * q[i * rows.dim + j];
  }
  testing::normalize_rows(q, rows.dim);
  return q;
}

double recall_at_10(const HnswIndex& index, const Rows& rows, const std::vector<float>& queries,
                    int ef) {
  const int64_t nq = static_cast<int64_t>(queries.size()) / rows.dim;
  int64_t found = 0, total = 0;
  for (int64_t q = 0; q < nq; ++q) {
    const float* query = queries.data() + q * rows.dim;
    const auto truth = exact_search(rows.view(), query, SearchOptions{});
    const auto got = index.search(query, SearchOptions{}, ef);
    for (const SearchHit& t : truth) {
      found += std::find(got.begin(), got.end(), t) != got.end();  // same id and same score
    }
    total += static_cast<int64_t>(truth.size());
  }
  return static_cast<double>(found) / static_cast<double>(total);
}

class HnswTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rows_ = new Rows(make_rows(20000, 128, 17));
    auto index = HnswIndex::build(rows_->view());
    ASSERT_TRUE(index.ok()) << index.status().message();
    index_ = new HnswIndex(std::move(index).value());
  }
  static void TearDownTestSuite() {
    delete index_;
    delete rows_;
  }
  static Rows* rows_;
  static HnswIndex* index_;
};
Rows* HnswTest::rows_ = nullptr;
HnswIndex* HnswTest::index_ = nullptr;

TEST_F(HnswTest, RecallAt10AgainstExact) {
  ASSERT_EQ(index_->size(), 20000);
  const std::vector<float> queries = make_queries(*rows_, 200, 5);
  EXPECT_GE(recall_at_10(*index_, *rows_, queries, kDefaultEfSearch), 0.95);
  // Pure random directions (nine of the ten neighbours barely closer than any other row) need
  // a wider candidate list: measured 0.97 at ef 400.
  const Rows random = make_rows(10000, 128, 31, 1.0);
  auto hard_index = HnswIndex::build(random.view());
  ASSERT_TRUE(hard_index.ok());
  EXPECT_GE(recall_at_10(*hard_index, random, make_queries(random, 100, 6), 400), 0.95);
}

TEST_F(HnswTest, ResultsAreSortedRescoredAndRespectMinScore) {
  const std::vector<float> q = make_queries(*rows_, 1, 8);
  SearchOptions options;
  options.k = 50;
  const auto hits = index_->search(q.data(), options);
  ASSERT_EQ(hits.size(), 50u);
  for (size_t i = 1; i < hits.size(); ++i) EXPECT_TRUE(ranks_before(hits[i - 1], hits[i]));
  // Scores are the exact kernel's: the best hit equals exact search's best hit.
  EXPECT_EQ(hits[0], exact_search(rows_->view(), q.data(), SearchOptions{})[0]);
  options.min_score = hits[9].score;
  const auto above = index_->search(q.data(), options);
  ASSERT_GE(above.size(), 10u);
  for (const SearchHit& h : above) EXPECT_GE(h.score, options.min_score);
}

TEST_F(HnswTest, SelectiveFiltersFallBackToExactAndBroadOnesStayApproximate) {
  const std::vector<float> q = make_queries(*rows_, 1, 9);
  std::vector<int64_t> few, most;
  for (size_t r = 0; r < rows_->ids.size(); ++r) {
    (r % 50 == 0 ? few : most).push_back(rows_->ids[r]);
  }
  const IdFilter selective = IdFilter::allow(few);  // 2%: exact
  EXPECT_TRUE(index_->filter_uses_exact(selective));
  SearchOptions options;
  options.filter = &selective;
  EXPECT_EQ(index_->search(q.data(), options), exact_search(rows_->view(), q.data(), options));

  // Half the ids, a predicate: at 20,000 rows that is 10,000 allowed, still exact by the rule;
  // on a larger index it would take the graph. Check the answer either way.
  const IdFilter half = IdFilter::predicate([](int64_t id) { return id % 2 == 0; });
  options.filter = &half;
  const auto hits = index_->search(q.data(), options);
  ASSERT_EQ(hits.size(), 10u);
  for (const SearchHit& h : hits) EXPECT_EQ(h.id % 2, 0);

  // 98% allowed: the graph with a post-filter.
  const IdFilter broad = IdFilter::allow(most);
  EXPECT_FALSE(index_->filter_uses_exact(broad));
  options.filter = &broad;
  const auto approx = index_->search(q.data(), options);
  const auto exact = exact_search(rows_->view(), q.data(), options);
  ASSERT_EQ(approx.size(), 10u);
  int64_t common = 0;
  for (const SearchHit& h : approx) {
    common += std::find(exact.begin(), exact.end(), h) != exact.end();
  }
  EXPECT_GE(common, 8);
}

TEST_F(HnswTest, ConcurrentSearchesAgree) {
  const std::vector<float> queries = make_queries(*rows_, 40, 11);
  std::vector<std::vector<SearchHit>> want(40), got(40);
  for (int q = 0; q < 40; ++q) want[q] = index_->search(queries.data() + q * 128, SearchOptions{});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int q = t; q < 40; q += 4)
        got[q] = index_->search(queries.data() + q * 128, SearchOptions{});
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(got, want);
}

const VectorFileInfo kInfo{"openai/clip-vit-base-patch32", 7};

TEST_F(HnswTest, SaveOpenRoundTrip) {
  TempDir dir;
  const std::string path = dir.file("index.hnsw");
  ASSERT_TRUE(index_->save(path, kInfo).ok());
  auto loaded = HnswIndex::open(path, kInfo, 128);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->size(), 20000);
  EXPECT_EQ(loaded->memory_bytes(), index_->memory_bytes());
  const std::vector<float> queries = make_queries(*rows_, 20, 10);
  for (int q = 0; q < 20; ++q) {
    SearchOptions options;
    options.k = 20;
    EXPECT_EQ(loaded->search(queries.data() + q * 128, options),
              index_->search(queries.data() + q * 128, options));
  }
  auto wrong_generation = HnswIndex::open(path, {kInfo.model_id, 8});
  ASSERT_FALSE(wrong_generation.ok());
  EXPECT_NE(wrong_generation.status().message().find("generation 7, expected 8"),
            std::string::npos);
  EXPECT_FALSE(HnswIndex::open(path, {"other", 7}).ok());
  EXPECT_FALSE(HnswIndex::open(path, kInfo, 512).ok());
}

TEST(Hnsw, EmptyAndTinyIndexes) {
  TempDir dir;
  for (int64_t n : {0, 1, 5}) {
    const Rows rows = make_rows(n, 16, 3);
    auto index = HnswIndex::build(rows.view());
    ASSERT_TRUE(index.ok());
    const std::vector<float> q = testing::random_unit_vectors(1, 16, 4);
    EXPECT_EQ(index->search(q.data(), SearchOptions{}).size(), static_cast<size_t>(n));
    ASSERT_TRUE(index->save(dir.file("i"), kInfo).ok());
    auto loaded = HnswIndex::open(dir.file("i"), kInfo);
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    EXPECT_EQ(loaded->search(q.data(), SearchOptions{}), index->search(q.data(), SearchOptions{}));
  }
}

// Rewrites the checksum of an HNSW file after a test changed its bytes, so the structural
// checks behind the checksum get exercised (a file from a buggy writer, or a crafted one).
void fix_checksum(std::string& b) {
  uint64_t graph_offset, graph_size, ids_offset, count;
  std::memcpy(&count, b.data() + 16, 8);
  std::memcpy(&graph_offset, b.data() + 48, 8);
  std::memcpy(&graph_size, b.data() + 56, 8);
  std::memcpy(&ids_offset, b.data() + 64, 8);
  std::string header = b.substr(0, 320);
  std::memset(header.data() + 32, 0, 4);
  const uint32_t sum = checksum_sections({{header.data(), 320},
                                          {b.data() + graph_offset, graph_size},
                                          {b.data() + ids_offset, count * 8}});
  std::memcpy(b.data() + 32, &sum, 4);
}

TEST(Hnsw, DamagedFilesAreRefusedNeverCrash) {
  TempDir dir;
  const Rows rows = make_rows(600, 16, 12);
  auto index = HnswIndex::build(rows.view(), HnswParams{8, 40, 1});
  ASSERT_TRUE(index.ok());
  const std::string good = dir.file("good"), bad = dir.file("bad");
  ASSERT_TRUE(index->save(good, kInfo).ok());
  const std::string bytes = testing::read_file(good);
  const std::vector<float> q = testing::random_unit_vectors(1, 16, 13);

  for (size_t size : {size_t{0}, size_t{100}, size_t{320}, size_t{1000}, bytes.size() - 1}) {
    testing::write_file(bad, bytes.substr(0, size));
    EXPECT_EQ(HnswIndex::open(bad, kInfo).status().code(), StatusCode::kCorruption) << size;
  }
  std::string flipped = bytes;
  flipped[bytes.size() / 2] ^= 1;
  testing::write_file(bad, flipped);
  auto st = HnswIndex::open(bad, kInfo);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.status().message().find("checksum mismatch"), std::string::npos);
  EXPECT_EQ(st.status().code(), StatusCode::kCorruption);

  // Random damage behind a valid checksum: refused, or (damage in vector data) searchable.
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<size_t> at(320, bytes.size() - 1);
  int refused = 0;
  for (int trial = 0; trial < 400; ++trial) {
    std::string b = bytes;
    for (int i = 0; i < 3; ++i) b[at(rng)] ^= static_cast<char>(1 + rng() % 255);
    fix_checksum(b);
    testing::write_file(bad, b);
    auto opened = HnswIndex::open(bad, kInfo);
    if (!opened.ok()) {
      ++refused;
      EXPECT_NE(opened.status().message().find("corrupt HNSW index"), std::string::npos)
          << opened.status().message();
      EXPECT_EQ(opened.status().code(), StatusCode::kCorruption);
      continue;
    }
    SearchOptions options;
    options.k = 20;
    EXPECT_LE(opened->search(q.data(), options, 50).size(), 20u);
  }
  EXPECT_GT(refused, 0);
  // An untouched file with its checksum recomputed still opens.
  std::string same = bytes;
  fix_checksum(same);
  EXPECT_EQ(same, bytes);
}

TEST(Hnsw, FailedSaveKeepsTheOldFile) {
  TempDir dir;
  const Rows rows = make_rows(300, 16, 2);
  auto index = HnswIndex::build(rows.view());
  ASSERT_TRUE(index.ok());
  const std::string path = dir.file("index.hnsw");
  ASSERT_TRUE(index->save(path, kInfo).ok());
  const std::string before = testing::read_file(path);
  for (const char* step : {"write", "pwrite", "fsync", "rename"}) {
    set_atomic_file_fault_hook([&](const std::string& s, const std::string&) {
      return s == step ? Status::io_error("No space left on device") : Status();
    });
    Status st = index->save(path, {kInfo.model_id, 8});
    set_atomic_file_fault_hook(nullptr);
    EXPECT_FALSE(st.ok()) << step;
    EXPECT_EQ(st.code(), StatusCode::kIoError) << step;
    EXPECT_EQ(testing::read_file(path), before) << step;
  }
}

}  // namespace
}  // namespace clipsearch
