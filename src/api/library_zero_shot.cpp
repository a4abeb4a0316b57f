// Library's zero-shot features: texts scored against a picture, labels for an indexed image,
// near-duplicate groups. The same functions of src/search serve the CLI and the server.
#include <utility>

#include "api/library_impl.h"
#include "search/classifier.h"
#include "search/duplicates.h"
#include "search/query_plan.h"
#include "search/zero_shot.h"

namespace clipsearch {
namespace {

Result<std::vector<TextScore>> score_texts(search::QueryEmbedder& embedder,
                                           const search::Embedding& picture,
                                           const std::vector<std::string>& texts) {
  if (texts.empty()) return Status::invalid_argument("similarity: give at least one text");
  CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<search::Embedding> embedded, embedder.embed_texts(texts));
  const search::Similarity sim =
      search::zero_shot_similarity(picture, embedded, embedder.model().info().logit_scale);
  std::vector<TextScore> scores;
  for (size_t t = 0; t < texts.size(); ++t) {
    scores.push_back({texts[t], sim.cosine[t], sim.probability[t]});
  }
  return scores;
}

}  // namespace

Result<std::vector<TextScore>> Library::similarity(const QueryPicture& picture,
                                                   const std::vector<std::string>& texts) {
  if (texts.empty()) return Status::invalid_argument("similarity: give at least one text");
  CLIPSEARCH_ASSIGN_OR_RETURN(search::QueryEmbedder * embedder, impl_->query_embedder());
  search::EmbedderQueryEncoder encoder(*embedder);
  CLIPSEARCH_ASSIGN_OR_RETURN(search::Embedding e, encoder.picture(picture, nullptr));
  return score_texts(*embedder, e, texts);
}

Result<std::vector<TextScore>> Library::similarity(int64_t image_id,
                                                   const std::vector<std::string>& texts) {
  if (texts.empty()) return Status::invalid_argument("similarity: give at least one text");
  CLIPSEARCH_ASSIGN_OR_RETURN(search::QueryEmbedder * embedder, impl_->query_embedder());
  CLIPSEARCH_ASSIGN_OR_RETURN(search::Searcher * searcher, impl_->current_searcher());
  CLIPSEARCH_ASSIGN_OR_RETURN(auto found, searcher->indexed_image(image_id));
  return score_texts(*embedder, found.second, texts);
}

Result<std::vector<TextScore>> Library::classify(int64_t image_id,
                                                 const std::vector<std::string>& labels,
                                                 const std::vector<std::string>& templates) {
  CLIPSEARCH_ASSIGN_OR_RETURN(search::QueryEmbedder * embedder, impl_->query_embedder());
  CLIPSEARCH_ASSIGN_OR_RETURN(search::Classifier classifier,
                              search::classifier_make(labels, templates, *embedder));
  CLIPSEARCH_ASSIGN_OR_RETURN(search::Searcher * searcher, impl_->current_searcher());
  CLIPSEARCH_ASSIGN_OR_RETURN(auto found, searcher->indexed_image(image_id));
  std::vector<TextScore> scores;
  for (const search::LabelScore& s : classifier.classify(found.second)) {
    scores.push_back({classifier.labels[s.label], s.cosine, s.probability});
  }
  return scores;
}

Result<std::vector<DuplicateGroup>> Library::duplicates(float min_similarity) {
  if (!(min_similarity >= -1 && min_similarity <= 1)) {
    return Status::invalid_argument("duplicates: the similarity threshold must be in [-1, 1]");
  }
  CLIPSEARCH_ASSIGN_OR_RETURN(search::Searcher * searcher, impl_->current_searcher());
  CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<search::DuplicateImages> found,
                              search::duplicate_groups_indexed(*searcher, min_similarity));
  std::vector<DuplicateGroup> groups;
  for (const search::DuplicateImages& g : found) {
    DuplicateGroup group;
    group.min_similarity = g.group.min_similarity;
    for (const ImageRecord& r : g.images) group.images.push_back(image_info(r));
    groups.push_back(std::move(group));
  }
  return groups;
}

}  // namespace clipsearch
