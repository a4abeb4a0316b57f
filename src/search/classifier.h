// Classifier: zero-shot labels with one model — each label's vector is the prompt ensemble of
// its templates (zero_shot.h), embedded through a QueryEmbedder (texts cached). What
// `clipsearch classify` and POST /api/classify share, so both give the same numbers.
//
// A Classifier is an immutable value once made: classify() is thread-safe.
#pragma once

#include <string>
#include <vector>

#include "clipsearch/status.h"
#include "search/query_embedder.h"
#include "search/query_vector.h"
#include "search/zero_shot.h"

namespace clipsearch::search {

struct Classifier {
  std::vector<std::string> labels;
  std::vector<Embedding> label_vectors;  // one per label, normalized
  ScoreScale scale;                      // the model's

  // Every label's cosine and probability for one image, best first.
  std::vector<LabelScore> classify(const Embedding& image) const {
    return zero_shot_classify(image, label_vectors, scale);
  }
};

// `templates` empty: default_templates (CLIP's English one; Chinese-CLIP's Chinese one). No labels,
// an empty label or a template without "{}" is an error naming it.
Result<Classifier> classifier_make(const std::vector<std::string>& labels,
                                   const std::vector<std::string>& templates,
                                   QueryEmbedder& embedder);

}  // namespace clipsearch::search
