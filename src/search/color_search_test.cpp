// Colour-aware ranking: the candidate-list search equals a brute-force mix of every row, for
// every weight, k, filter and a CLIP side that is exact or HNSW; and the query's checks.
#include "search/color_search.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "index/dot.h"
#include "index/exact_index.h"
#include "index/hnsw_index.h"
#include "testing/test_vectors.h"

namespace clipsearch::search {
namespace {

const ColorOptionNames kNames{"--color", "--color-weight", "--image or --like"};

struct Library {
  std::vector<int64_t> ids;
  std::vector<float> vectors;
  std::vector<float> colors;  // packed, zeros for every 7th row (no signature)
  VectorView view;
};

Library make_library(int64_t n, int64_t dim) {
  Library lib;
  for (int64_t i = 0; i < n; ++i) lib.ids.push_back(3 * i + 1);
  lib.vectors = testing::embedding_like_vectors(n, dim, 8, 42);
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> byte(0, 255);
  lib.colors.assign(static_cast<size_t>(n * kColorSignatureFloats), 0.0f);
  for (int64_t r = 0; r < n; ++r) {
    if (r % 7 == 3) continue;
    RgbImage im{8, 8, {}};
    for (int p = 0; p < 64; ++p) {
      const int c = p < 40 ? 0 : 1;  // two colours, 40/24 pixels
      const uint8_t v[2][3] = {{static_cast<uint8_t>(byte(rng) * c), 10, 200},
                               {static_cast<uint8_t>(byte(rng)), static_cast<uint8_t>(byte(rng)),
                                static_cast<uint8_t>(byte(rng))}};
      im.pixels.insert(im.pixels.end(), v[c], v[c] + 3);
    }
    const auto packed = color_signature(im).pack();
    std::copy(packed.begin(), packed.end(), lib.colors.begin() + r * kColorSignatureFloats);
  }
  lib.view = {lib.ids.data(), lib.vectors.data(), n, dim};
  return lib;
}

// Every allowed row scored, sorted: the definition color_mixed_search must reproduce.
std::vector<SearchHit> brute_force(const Library& lib, const float* query, const ColorQuery& color,
                                   const SearchOptions& options) {
  std::vector<SearchHit> all;
  for (int64_t r = 0; r < lib.view.count; ++r) {
    if (options.filter && !options.filter->allows(lib.ids[r])) continue;
    const auto sig = ColorSignature::unpack(lib.colors.data() + r * kColorSignatureFloats);
    const float colour = sig.colors.empty() ? 0 : color_similarity(color.signature, sig);
    const float clip = dot(query, lib.vectors.data() + r * lib.view.dim, lib.view.dim);
    const float w = color.weight;
    all.push_back({lib.ids[r], w >= 1 ? colour : (1 - w) * clip + w * colour});
  }
  std::sort(all.begin(), all.end(), ranks_before);
  if (static_cast<int64_t>(all.size()) > options.k) all.resize(static_cast<size_t>(options.k));
  return all;
}

TEST(ColorSearch, EqualsBruteForceForEveryWeightKAndFilter) {
  const Library lib = make_library(2000, 32);
  const std::vector<float> query = testing::random_unit_vectors(1, 32, 9);
  const uint8_t red[3] = {192, 57, 43};
  std::vector<int64_t> some;
  for (int64_t i = 0; i < 2000; i += 3) some.push_back(lib.ids[static_cast<size_t>(i)]);
  const IdFilter filter = IdFilter::allow(some);
  const ClipSearch exact = [&](const SearchOptions& o) {
    return exact_search(lib.view, query.data(), o);
  };
  for (float w : {0.0f, 0.05f, 0.3f, 0.7f, 1.0f}) {
    for (int64_t k : {1, 10, 300, 5000}) {
      for (const IdFilter* f : {static_cast<const IdFilter*>(nullptr), &filter}) {
        SCOPED_TRACE("w " + std::to_string(w) + " k " + std::to_string(k) + (f ? " filtered" : ""));
        const ColorQuery color{color_signature_of(red), w};
        SearchOptions options;
        options.k = k;
        options.filter = f;
        const auto want = brute_force(lib, query.data(), color, options);
        // Candidate lists from an exact CLIP side, and one pass over every row.
        EXPECT_EQ(
            color_mixed_search(lib.view, lib.colors.data(), query.data(), color, options, exact),
            want);
        EXPECT_EQ(color_mixed_search(lib.view, lib.colors.data(), query.data(), color, options,
                                     ClipSearch()),
                  want);
      }
    }
  }
}

TEST(ColorSearch, HnswCandidatesGiveTheExactRankingOnASmallGraph) {
  const Library lib = make_library(1500, 32);
  const std::vector<float> query = testing::random_unit_vectors(1, 32, 10);
  Result<HnswIndex> hnsw = HnswIndex::build(lib.view);
  ASSERT_TRUE(hnsw.ok()) << hnsw.status().message();
  const ClipSearch approximate = [&](const SearchOptions& o) {
    return hnsw->search(query.data(), o);
  };
  const uint8_t navy[3] = {0, 0, 128};
  const ColorQuery color{color_signature_of(navy), 0.3f};
  SearchOptions options;
  options.k = 20;
  EXPECT_EQ(
      color_mixed_search(lib.view, lib.colors.data(), query.data(), color, options, approximate),
      brute_force(lib, query.data(), color, options));
}

TEST(ColorSearch, QueryFromANamedColourOrFromThePictures) {
  auto plain = color_query_make({}, {}, kNames);
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->has_value());

  auto named = color_query_make({"#c0392b", std::nullopt}, {}, kNames);
  ASSERT_TRUE(named.ok()) << named.status().message();
  ASSERT_TRUE(named->has_value());
  EXPECT_FLOAT_EQ((*named)->weight, kDefaultColorWeight);
  const uint8_t rgb[3] = {0xc0, 0x39, 0x2b};
  EXPECT_FLOAT_EQ(color_distance((*named)->signature, color_signature_of(rgb)), 0);

  auto zero = color_query_make({"red", 0.0f}, {}, kNames);
  ASSERT_TRUE(zero.ok());
  EXPECT_FALSE(zero->has_value());  // W = 0 is plain CLIP search

  const uint8_t a[3] = {255, 0, 0}, b[3] = {0, 0, 255};
  auto from_pictures = color_query_make({std::nullopt, 0.5f},
                                        {color_signature_of(a), color_signature_of(b)}, kNames);
  ASSERT_TRUE(from_pictures.ok());
  ASSERT_TRUE(from_pictures->has_value());
  ASSERT_EQ((*from_pictures)->signature.colors.size(), 2u);
  EXPECT_FLOAT_EQ((*from_pictures)->signature.colors[0].weight, 0.5f);
}

TEST(ColorSearch, BadColourAndWeightAreClearErrors) {
  auto blurple = color_query_make({"blurple", std::nullopt}, {}, kNames);
  ASSERT_FALSE(blurple.ok());
  EXPECT_EQ(blurple.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(blurple.status().message(),
            "--color: 'blurple' is not a colour: use #rrggbb or a CSS colour name");
  auto heavy = color_query_make({"red", 1.5f}, {}, kNames);
  ASSERT_FALSE(heavy.ok());
  EXPECT_EQ(heavy.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(heavy.status().message(), "--color-weight: must be between 0 and 1, got 1.5");
  auto nothing = color_query_make({std::nullopt, 0.4f}, {}, kNames);
  ASSERT_FALSE(nothing.ok());
  EXPECT_EQ(nothing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(nothing.status().message().find("--color-weight needs a colour"), std::string::npos)
      << nothing.status().message();
}

}  // namespace
}  // namespace clipsearch::search
