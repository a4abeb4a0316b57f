// The catalog the Searcher tests search (searcher_test.cpp, searcher_query_test.cpp,
// searcher_catalog_test.cpp): generated rows (random unit embeddings; folders, sizes, formats and
// dates; colour signatures; failed and removed rows) written through the index API, and the
// brute-force reference every answer is compared with: scores by embedding_dot, ties by smaller
// id, bit for bit. The fixture keeps a read-write connection open so that tests can change the
// catalog under an open Searcher.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "index/catalog.h"
#include "search/searcher.h"
#include "testing/test_util.h"
#include "testing/test_vectors.h"

namespace clipsearch::search::searcher_testing {

inline constexpr int64_t kDim = 64;
inline constexpr int kRows = 300;
inline constexpr int64_t kDay = 86400LL * 1000000000;
inline constexpr int64_t kEpoch = 1600000000LL * 1000000000;
// "/photos/ab" shares a prefix with "/photos/a" without lying under it.
inline constexpr const char* kFolders[] = {"/photos/a", "/photos/ab", "/photos/a/deep", "/photos/b",
                                           "/other"};
inline constexpr const char* kFormats[] = {"jpeg", "png", "webp"};

inline ModelIdentity test_model() {
  return {"test-model", "5eed00c0ffee1234abcd", kDim, "decode=exact"};
}

inline ::testing::AssertionResult is_ok(const Status& s) {
  if (s.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << status_code_name(s.code()) << ": " << s.message();
}

// A failed status with this code whose message contains `text`.
inline ::testing::AssertionResult fails_with(const Status& s, StatusCode code,
                                             const std::string& text) {
  if (s.ok()) return ::testing::AssertionFailure() << "succeeded";
  if (s.code() != code || s.message().find(text) == std::string::npos) {
    return ::testing::AssertionFailure()
           << status_code_name(s.code()) << ": " << s.message() << "\n  expected "
           << status_code_name(code) << " containing '" << text << "'";
  }
  return ::testing::AssertionSuccess();
}

// One catalog row as the test wrote it: what the searcher's answers are checked against.
struct Row {
  ImageRecord record;
  Embedding embedding;                      // empty for a failed row
  std::optional<std::vector<float>> color;  // packed; empty: no colour; nullopt: not computed
};

using RowFilter = std::function<bool(const Row&)>;

inline bool any_row(const Row&) { return true; }

// The colour similarity the searcher gives a row: 0 without colours.
inline float row_color_similarity(const ColorSignature& query, const Row& row) {
  if (!row.color || row.color->empty()) return 0;
  const ColorSignature sig = ColorSignature::unpack(row.color->data());
  return sig.colors.empty() ? 0 : color_similarity(query, sig);
}

inline std::vector<SearchHit> hits_of(const SearchPage& page) {
  std::vector<SearchHit> out;
  for (const SearchResult& r : page.results) out.push_back({r.image.id, r.score});
  return out;
}

inline std::vector<SearchHit> slice(const std::vector<SearchHit>& v, size_t first, size_t count) {
  first = std::min(first, v.size());
  return {v.begin() + static_cast<std::ptrdiff_t>(first),
          v.begin() + static_cast<std::ptrdiff_t>(std::min(v.size(), first + count))};
}

class SearcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto catalog = Catalog::open(db_, Catalog::Mode::kReadWrite);
    ASSERT_TRUE(catalog.ok()) << catalog.status().message();
    writer_ = std::move(catalog).value();
    ASSERT_TRUE(is_ok(writer_->bind_model(test_model())));
    ASSERT_TRUE(is_ok(writer_->begin_write()));
    for (const char* root : {"/photos", "/other"}) {
      ASSERT_TRUE(writer_->add_root(root, {}).ok());
    }
    for (int i = 0; i < kRows; ++i) ASSERT_NO_FATAL_FAILURE(put_row(i));
    for (int i : {10, 11, 200}) ASSERT_NO_FATAL_FAILURE(remove_row(i));
    ASSERT_TRUE(is_ok(writer_->commit()));
  }

  // Row i: a random unit embedding (every 50th a copy of the one before, for ties; `embedding`
  // when given), folder, format, size and date from i (dates repeat), a colour signature of one
  // or two colours (none for every 11th row, an empty one for the next); every 37th row failed
  // to decode.
  void put_row(int i, const Embedding* embedding = nullptr) {
    Row row;
    ImageRecord& r = row.record;
    const std::string format = kFormats[i % 3];
    r.path = std::string(kFolders[i % 5]) + "/img" + std::to_string(i) + "." + format;
    r.root_id = i % 5 == 4 ? 2 : 1;
    r.size = 1000 + (i * 7919) % 100000;
    r.mtime_ns = kEpoch + i;
    r.hash = std::string(24, 'h') + std::to_string(100000000 + i);
    r.width = 100 + i;
    r.height = 200;
    r.format = format;
    r.date_taken_ns = kEpoch + ((i * 37) % 61) * kDay;
    r.date_from_exif = i % 2 == 0;
    r.indexed_at_ns = kEpoch;
    if (embedding) {
      row.embedding = *embedding;
    } else if (i % 37 == 5) {
      r.status = ImageStatus::kError;
      r.error = "cannot decode";
    } else if (i % 50 == 7 && last_embedding_) {
      row.embedding = *last_embedding_;
    } else {
      const std::vector<float> v = testing::random_unit_vectors(1, kDim, 1000 + i);
      row.embedding.assign(v.begin(), v.end());
    }
    if (r.status == ImageStatus::kOk) {
      if (i % 11 == 1) {
        row.color = std::vector<float>();
      } else if (i % 11 != 0) {
        std::mt19937 rng(static_cast<uint32_t>(i));
        std::uniform_int_distribution<int> byte(0, 255);
        RgbImage image{8, 8, {}};
        const uint8_t colours[2][3] = {
            {static_cast<uint8_t>(byte(rng)), static_cast<uint8_t>(byte(rng)),
             static_cast<uint8_t>(byte(rng))},
            {static_cast<uint8_t>(byte(rng)), static_cast<uint8_t>(byte(rng)),
             static_cast<uint8_t>(byte(rng))}};
        const int first_pixels = i % 3 == 0 ? 64 : 40;  // one colour, or two (40/24 pixels)
        for (int p = 0; p < 64; ++p) {
          const uint8_t* c = colours[p < first_pixels ? 0 : 1];
          image.pixels.insert(image.pixels.end(), c, c + 3);
        }
        const auto packed = color_signature(image).pack();
        row.color = std::vector<float>(packed.begin(), packed.end());
      }
    }
    auto id = writer_->put_image(r, row.embedding.empty() ? nullptr : row.embedding.data(),
                                 row.color ? &*row.color : nullptr);
    ASSERT_TRUE(id.ok()) << id.status().message();
    r.id = *id;
    if (!row.embedding.empty()) last_embedding_ = row.embedding;
    rows_.push_back(std::move(row));
  }

  void remove_row(int i) {
    auto it = std::find_if(rows_.begin(), rows_.end(), [&](const Row& row) {
      return row.record.path.find("/img" + std::to_string(i) + ".") != std::string::npos;
    });
    ASSERT_NE(it, rows_.end());
    ASSERT_TRUE(is_ok(writer_->remove_image(it->record.id)));
    removed_ids_.push_back(it->record.id);
    rows_.erase(it);
  }

  // The row written with this id; an empty row (and a failure) for an id never written.
  const Row& row_with_id(int64_t id) const {
    static const Row kNone;
    auto it = std::find_if(rows_.begin(), rows_.end(),
                           [&](const Row& row) { return row.record.id == id; });
    if (it == rows_.end()) ADD_FAILURE() << "no row has id " << id;
    return it == rows_.end() ? kNone : *it;
  }

  std::vector<const Row*> ok_rows() const {
    std::vector<const Row*> out;
    for (const Row& row : rows_) {
      if (row.record.status == ImageStatus::kOk) out.push_back(&row);
    }
    return out;
  }

  int64_t count(const RowFilter& allowed) const {
    int64_t n = 0;
    for (const Row* row : ok_rows()) n += allowed(*row) ? 1 : 0;
    return n;
  }

  // Every allowed ok row, best first: the definition search() must reproduce. With a colour
  // query the score is (1 - W) * cosine + W * colour similarity (one term alone at W = 0, 1).
  std::vector<SearchHit> expected(const Embedding& query, const RowFilter& allowed = any_row,
                                  const std::optional<ColorQuery>& color = std::nullopt) const {
    std::vector<SearchHit> hits;
    for (const Row* row : ok_rows()) {
      if (!allowed(*row)) continue;
      float score = embedding_dot(query, row->embedding);
      if (color) {
        const float w = color->weight;
        const float colour = row_color_similarity(color->signature, *row);
        score = w <= 0 ? score : w >= 1 ? colour : (1 - w) * score + w * colour;
      }
      hits.push_back({row->record.id, score});
    }
    std::sort(hits.begin(), hits.end(), ranks_before);
    return hits;
  }

  // The hits reordered by date (newest or oldest first), equal dates keeping their order.
  std::vector<SearchHit> by_date(std::vector<SearchHit> hits, bool newest) const {
    std::stable_sort(hits.begin(), hits.end(), [&](const SearchHit& a, const SearchHit& b) {
      const int64_t da = row_with_id(a.id).record.date_taken_ns;
      const int64_t db = row_with_id(b.id).record.date_taken_ns;
      return newest ? da > db : da < db;
    });
    return hits;
  }

  std::unique_ptr<Searcher> open(IndexChoice index = IndexChoice::kExact) {
    SearcherOptions options;
    options.index = index;
    auto searcher = Searcher::open(db_, options);
    EXPECT_TRUE(searcher.ok()) << searcher.status().message();
    if (!searcher.ok()) return nullptr;
    EXPECT_EQ(searcher->get()->index_kind(),
              index == IndexChoice::kHnsw ? IndexKind::kHnsw : IndexKind::kExact);
    return std::move(searcher).value();
  }

  std::vector<SearchHit> search_hits(Searcher& searcher, const Embedding& query,
                                     const SearchRequest& request) {
    auto page = searcher.search(query, request);
    EXPECT_TRUE(page.ok()) << page.status().message();
    return page.ok() ? hits_of(*page) : std::vector<SearchHit>();
  }

  static std::vector<Embedding> queries(int n, uint64_t seed) {
    const std::vector<float> v = testing::random_unit_vectors(n, kDim, seed);
    std::vector<Embedding> out;
    for (int i = 0; i < n; ++i) out.emplace_back(v.begin() + i * kDim, v.begin() + (i + 1) * kDim);
    return out;
  }

  testing::TempDir dir_;
  std::string db_ = dir_.file("library.db");
  std::unique_ptr<Catalog> writer_;  // stays open: tests add rows while a searcher is open
  std::vector<Row> rows_;            // as written, failed rows included, removed rows not
  std::optional<Embedding> last_embedding_;
  std::vector<int64_t> removed_ids_;
};

}  // namespace clipsearch::search::searcher_testing
