// Library's zero-shot features: texts scored against a picture, labels for an indexed image,
// near-duplicate groups. The same functions of src/search serve the CLI and the server.
#include <algorithm>
#include <memory>
#include <unordered_map>
#include <utility>

#include "api/library_impl.h"
#include "index/annotations.h"
#include "search/classifier.h"
#include "search/duplicates.h"
#include "search/query_plan.h"
#include "search/zero_shot.h"

namespace clipsearch {
namespace {

Result<std::vector<TextScore>> score_texts(Library::Impl& impl, const search::Embedding& picture,
                                           const std::vector<std::string>& texts) {
  CLIPSEARCH_ASSIGN_OR_RETURN(search::QueryEncoder * encoder, impl.query_encoder());
  CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<search::Embedding> embedded, encoder->texts(texts));
  const search::Similarity sim = search::zero_shot_similarity(
      picture, embedded, search::score_scale_of(impl.embedder->model().info()));
  std::vector<TextScore> scores;
  for (size_t t = 0; t < texts.size(); ++t) {
    scores.push_back({texts[t], sim.cosine[t], sim.probability[t]});
  }
  return scores;
}

std::vector<TextScore> label_scores(const search::Classifier& classifier,
                                    const search::Embedding& picture) {
  std::vector<TextScore> scores;
  for (const search::LabelScore& s : classifier.classify(picture)) {
    scores.push_back({classifier.labels[s.label], s.cosine, s.probability});
  }
  return scores;
}

}  // namespace

Result<std::vector<TextScore>> Library::similarity(const QueryPicture& picture,
                                                   const std::vector<std::string>& texts) {
  if (texts.empty()) return Status::invalid_argument("similarity: give at least one text");
  CLIPSEARCH_ASSIGN_OR_RETURN(search::QueryEncoder * encoder, impl_->query_encoder());
  CLIPSEARCH_ASSIGN_OR_RETURN(search::Embedding e, encoder->picture(picture, nullptr));
  return score_texts(*impl_, e, texts);
}

Result<std::vector<TextScore>> Library::similarity(int64_t image_id,
                                                   const std::vector<std::string>& texts) {
  if (texts.empty()) return Status::invalid_argument("similarity: give at least one text");
  CLIPSEARCH_RETURN_IF_ERROR(impl_->query_encoder().status());
  CLIPSEARCH_ASSIGN_OR_RETURN(search::Searcher * searcher, impl_->current_searcher());
  CLIPSEARCH_ASSIGN_OR_RETURN(auto found, searcher->indexed_image(image_id));
  return score_texts(*impl_, found.second, texts);
}

Result<std::vector<TextScore>> Library::classify(int64_t image_id,
                                                 const std::vector<std::string>& labels,
                                                 const std::vector<std::string>& templates) {
  CLIPSEARCH_ASSIGN_OR_RETURN(search::QueryEmbedder * embedder, impl_->query_embedder());
  CLIPSEARCH_ASSIGN_OR_RETURN(search::Classifier classifier,
                              search::classifier_make(labels, templates, *embedder));
  CLIPSEARCH_ASSIGN_OR_RETURN(search::Searcher * searcher, impl_->current_searcher());
  CLIPSEARCH_ASSIGN_OR_RETURN(auto found, searcher->indexed_image(image_id));
  return label_scores(classifier, found.second);
}

Result<std::vector<TextScore>> Library::classify(const QueryPicture& picture,
                                                 const std::vector<std::string>& labels,
                                                 const std::vector<std::string>& templates) {
  CLIPSEARCH_ASSIGN_OR_RETURN(search::QueryEmbedder * embedder, impl_->query_embedder());
  CLIPSEARCH_ASSIGN_OR_RETURN(search::Classifier classifier,
                              search::classifier_make(labels, templates, *embedder));
  CLIPSEARCH_ASSIGN_OR_RETURN(search::QueryEncoder * encoder, impl_->query_encoder());
  CLIPSEARCH_ASSIGN_OR_RETURN(search::Embedding e, encoder->picture(picture, nullptr));
  return label_scores(classifier, e);
}

Result<std::vector<ImageLabels>> Library::classify_all(const std::vector<std::string>& labels,
                                                       const std::vector<std::string>& templates,
                                                       size_t top, bool store) {
  if (top == 0) return Status::invalid_argument("classify: top must be 1 or more");
  CLIPSEARCH_ASSIGN_OR_RETURN(search::QueryEmbedder * embedder, impl_->query_embedder());
  CLIPSEARCH_ASSIGN_OR_RETURN(search::Classifier classifier,
                              search::classifier_make(labels, templates, *embedder));
  CLIPSEARCH_ASSIGN_OR_RETURN(search::Searcher * searcher, impl_->current_searcher());
  std::vector<std::pair<int64_t, std::vector<search::LabelScore>>> scored;
  CLIPSEARCH_RETURN_IF_ERROR(searcher->with_rows([&](const VectorView& rows) {
    for (int64_t r = 0; r < rows.count; ++r) {
      const float* v = rows.vectors + r * rows.dim;
      scored.emplace_back(rows.ids[r], classifier.classify(search::Embedding(v, v + rows.dim)));
    }
    return Status();
  }));
  std::vector<int64_t> ids;
  for (const auto& s : scored) ids.push_back(s.first);
  CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<ImageRecord> records, searcher->images(ids));
  std::unordered_map<int64_t, const ImageRecord*> record_of;
  for (const ImageRecord& r : records) record_of[r.id] = &r;
  std::vector<ImageLabels> out;
  std::vector<ImageLabel> stored;
  for (const auto& [id, scores] : scored) {
    const auto record = record_of.find(id);
    if (record == record_of.end()) continue;  // removed since the rows were read
    ImageLabels row{image_info(*record->second), {}};
    for (size_t i = 0; i < std::min(top, scores.size()); ++i) {
      const std::string& label = classifier.labels[scores[i].label];
      row.labels.push_back({label, scores[i].cosine, scores[i].probability});
      stored.push_back({id, label, scores[i].probability});
    }
    out.push_back(std::move(row));
  }
  if (store) {
    CLIPSEARCH_RETURN_IF_ERROR(
        impl_->with_annotations([&](Annotations& a) { return a.put_labels(stored); }));
  }
  return out;
}

Result<std::vector<DuplicateGroup>> Library::duplicates(float min_similarity) {
  DuplicatesOptions options;
  options.min_similarity = min_similarity;
  return duplicates(options);
}

Result<std::vector<DuplicateGroup>> Library::duplicates(const DuplicatesOptions& options) {
  const float min_similarity = options.min_similarity;
  if (!(min_similarity >= -1 && min_similarity <= 1)) {
    return Status::invalid_argument("duplicates: the similarity threshold must be in [-1, 1]");
  }
  CLIPSEARCH_ASSIGN_OR_RETURN(search::Searcher * searcher, impl_->current_searcher());
  const search::ScanControl control{options.on_progress, options.cancelled};
  CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<search::DuplicateImages> found,
                              search::duplicate_groups_indexed(*searcher, min_similarity, control));
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
