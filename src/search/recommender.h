// Recommendations for a user of an index: the taste vector of the user's recent clicks
// (recommend.h) searched like any query, leaving out what the user has already clicked; a user
// with no clicks gets the most clicked images instead (score = click count). What
// `clipsearch recommend` and GET /api/recommend share.
//
// The Searcher is thread-safe; an Annotations object is used from one thread at a time (the
// caller's to guarantee).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "clipsearch/status.h"
#include "index/annotations.h"
#include "search/recommend.h"
#include "search/searcher.h"

namespace clipsearch::search {

struct Recommendations {
  // Scored by the cosine with the taste vector, or by the click count when popular.
  std::vector<SearchResult> results;
  bool popular = false;  // the user has no clicks: the most clicked images
};

// Records that `user` clicked the indexed image `image_id`, now.
Status record_click(Annotations& annotations, const std::string& user, int64_t image_id);

Result<Recommendations> recommend_for_user(Searcher& searcher, Annotations& annotations,
                                           const std::string& user, int64_t k,
                                           const RecommendOptions& options);

}  // namespace clipsearch::search
