// Recommendations from a user's clicks: a taste vector, searched like any query.
//
// The taste vector is the normalized mean of the embeddings of the user's last N clicked images
// (default 10, newest last), or their recency-weighted mean: the click of age a (0 = newest)
// weighs 0.5^(a / half_life). The caller searches with it and leaves out what the user has
// already clicked; users with no clicks get the most clicked images instead (the catalog).
#pragma once

#include <cstddef>
#include <vector>

#include "clipsearch/status.h"
#include "search/query_vector.h"

namespace clipsearch::search {

struct RecommendOptions {
  size_t last_n = 10;
  bool recency_weighted = false;
  double half_life = 3.0;  // in clicks, for recency weighting
};

// `clicked`: embeddings of the user's clicks, oldest first (repeats allowed: a click counts each
// time). An empty list is an error (the caller falls back to popular images).
Result<Embedding> recommend_taste_vector(const std::vector<Embedding>& clicked,
                                         const RecommendOptions& options = {});

}  // namespace clipsearch::search
