// Colour-aware search: ranks by a mix of CLIP similarity and colour similarity.
//
//   score = (1 - W) * clip + W * colour
//
// `clip` is the query vector's cosine with the image embedding (what plain search ranks by),
// `colour` is color_similarity(query colours, image signature) = exp(-d / 25) in (0, 1], with d
// the signatures' CIELAB distance (image/color_signature.h, docs/COLOR_SEARCH.md); an image
// without a signature has colour similarity 0. W = 0 is plain CLIP search, W = 1 ranks by colour
// distance alone (ties by smaller id).
//
// The query's colours come from a named colour (`--color "#c0392b"`, `--color navy`) or, when
// none is named, from the query pictures' own signatures (an uploaded picture, or an indexed one
// for "more like this").
//
// color_mixed_search scores every allowed row when the CLIP side is a scan anyway (one pass over
// the embeddings). Over an HNSW graph it avoids scoring every embedding (a threshold algorithm
// over two ranked lists): it takes the c best rows by CLIP score (from the
// exact scan or the HNSW graph) and the c best by colour similarity (a cheap scan of the 16-float
// signatures), scores their union exactly, and stops when the n-th mixed score beats the best
// score any unseen row could reach, (1 - W) * clip_c + W * colour_c; otherwise c grows fourfold.
// With an exact CLIP side the result is exact; with HNSW it is exact up to the graph's recall of
// the CLIP candidates. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "clipsearch/status.h"
#include "image/color_signature.h"
#include "index/vector_index.h"

namespace clipsearch::search {

// W when a colour is named without a weight. CLIP text-image cosines of one query spread over
// about 0.1 while colour similarity spans (0, 1], so 0.3 lets colour reorder strongly without
// letting an off-topic image of the right colour beat an on-topic one of a close colour.
inline constexpr float kDefaultColorWeight = 0.3f;
// The first candidate count of color_mixed_search (grown when it does not suffice).
inline constexpr int64_t kColorCandidates = 256;

struct ColorQuery {
  ColorSignature signature;  // the colours asked for
  float weight = kDefaultColorWeight;
};

// What the user asked for, before it is checked.
struct ColorRequest {
  std::optional<std::string> color;  // "#c0392b", "#f00", "navy"
  std::optional<float> weight;       // W
};

// How the front end names its options, for error messages ("--color" or "'color'").
struct ColorOptionNames {
  std::string color;
  std::string weight;
  std::string pictures;  // the options that give a query picture
};

// Whether the query pictures' signatures are needed: a weight above 0 and no named colour.
bool color_request_needs_pictures(const ColorRequest& request);

// The colour part of a query; nullopt when colour plays no part (nothing asked, or W = 0).
// Errors: a text that is not a colour, W outside [0, 1], W > 0 with no colour named and no
// picture to take colours from.
Result<std::optional<ColorQuery>> color_query_make(const ColorRequest& request,
                                                   const std::vector<ColorSignature>& pictures,
                                                   const ColorOptionNames& names);

// Several pictures' signatures as one: every colour kept, each picture weighing the same.
ColorSignature color_signature_merge(const std::vector<ColorSignature>& parts);

// The CLIP side of the search: the top options.k rows by cosine among those options.filter
// allows (exact scan or HNSW).
using ClipSearch = std::function<std::vector<SearchHit>(const SearchOptions& options)>;

// The top options.k rows by mixed score (options.min_score is not applied). `view.ids` must be
// ascending; `colors` holds one packed signature per row of `view` ([count,
// kColorSignatureFloats], all zeros for a row without one). `clip` null: every allowed row is
// scored in one pass; else the candidate lists above.
std::vector<SearchHit> color_mixed_search(const VectorView& view, const float* colors,
                                          const float* query, const ColorQuery& color,
                                          const SearchOptions& options, const ClipSearch& clip);

}  // namespace clipsearch::search
