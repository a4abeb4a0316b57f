#include "search/recommend.h"

#include <cmath>

namespace clipsearch::search {

Result<Embedding> recommend_taste_vector(const std::vector<Embedding>& clicked,
                                         const RecommendOptions& options) {
  if (clicked.empty()) return Status::not_found("recommend: the user has no clicks");
  if (options.last_n == 0) return Status::invalid_argument("recommend: --last must be at least 1");
  if (options.recency_weighted && !(options.half_life > 0)) {
    return Status::invalid_argument("recommend: the half-life must be positive");
  }
  const size_t first = clicked.size() > options.last_n ? clicked.size() - options.last_n : 0;
  const size_t dim = clicked.back().size();
  Embedding taste(dim, 0.0f);
  for (size_t c = first; c < clicked.size(); ++c) {
    if (clicked[c].size() != dim) {
      return Status::invalid_argument("recommend: embeddings differ in length");
    }
    const double age = static_cast<double>(clicked.size() - 1 - c);
    const float w = options.recency_weighted
                        ? static_cast<float>(std::pow(0.5, age / options.half_life))
                        : 1.0f;
    for (size_t i = 0; i < dim; ++i) taste[i] += w * clicked[c][i];
  }
  CLIPSEARCH_RETURN_IF_ERROR(query_vector_normalize(&taste));
  return taste;
}

}  // namespace clipsearch::search
