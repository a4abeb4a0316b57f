#include "search/classifier.h"

namespace clipsearch::search {

Result<Classifier> classifier_make(const std::vector<std::string>& labels,
                                   const std::vector<std::string>& templates,
                                   QueryEmbedder& embedder) {
  if (labels.empty()) return Status::invalid_argument("no labels to classify with");
  for (const std::string& label : labels) {
    if (label.find_first_not_of(" \t\r\n") == std::string::npos) {
      return Status::invalid_argument("a label is empty");
    }
  }
  Classifier c;
  c.labels = labels;
  const auto& used = templates.empty() ? default_templates(embedder.model().info()) : templates;
  CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<std::string> prompts, zero_shot_prompts(labels, used));
  CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<Embedding> prompt_vectors, embedder.embed_texts(prompts));
  CLIPSEARCH_ASSIGN_OR_RETURN(c.label_vectors,
                              zero_shot_label_vectors(prompt_vectors, labels.size(), used.size()));
  c.scale = score_scale_of(embedder.model().info());
  return c;
}

}  // namespace clipsearch::search
