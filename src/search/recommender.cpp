#include "search/recommender.h"

#include <chrono>
#include <utility>

namespace clipsearch::search {
namespace {

Result<Recommendations> most_clicked(Searcher& searcher, Annotations& annotations, int64_t k) {
  CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<ClickCount> popular, annotations.most_clicked(k));
  std::vector<std::pair<int64_t, float>> scored;
  for (const ClickCount& c : popular) scored.emplace_back(c.image_id, static_cast<float>(c.clicks));
  Recommendations out;
  out.popular = true;
  CLIPSEARCH_ASSIGN_OR_RETURN(out.results, scored_images(searcher, scored));
  return out;
}

}  // namespace

Status record_click(Annotations& annotations, const std::string& user, int64_t image_id) {
  const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  return annotations.add_click(user, image_id, now_ns);
}

Result<Recommendations> recommend_for_user(Searcher& searcher, Annotations& annotations,
                                           const std::string& user, int64_t k,
                                           const RecommendOptions& options) {
  CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<int64_t> clicked, annotations.clicks_of(user, 0));
  if (clicked.empty()) return most_clicked(searcher, annotations, k);
  std::vector<Embedding> embeddings;
  for (int64_t id : clicked) {
    auto found = searcher.indexed_image(id);
    if (found.ok()) embeddings.push_back(std::move(found->second));
  }
  CLIPSEARCH_ASSIGN_OR_RETURN(Embedding taste, recommend_taste_vector(embeddings, options));
  SearchRequest request;
  request.k = k;
  request.exclude_ids = std::move(clicked);  // never recommend what the user has already seen
  CLIPSEARCH_ASSIGN_OR_RETURN(SearchPage page, searcher.search(taste, request));
  Recommendations out;
  out.results = std::move(page.results);
  return out;
}

}  // namespace clipsearch::search
