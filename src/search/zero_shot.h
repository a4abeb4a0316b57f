// Zero-shot uses of CLIP embeddings: image/text similarity, classification against labels with
// prompt ensembling, and theme albums. Pure functions over L2-normalized embeddings; the caller
// embeds the texts and images (QueryEmbedder) and stores the results (the catalog).
//
// ref: CLIPModel.forward: logits_per_image = exp(logit_scale) * cosine; probabilities are the
// softmax of those logits over the texts. ref: SiglipModel.forward: logits = exp(logit_scale) *
// cosine + logit_bias, and each text's probability is the sigmoid of its own logit (SigLIP is
// trained so: "is this text about this image?", independent of the other texts). ref: the CLIP
// paper's prompt ensembling (section 3.1.4): a label's vector is the normalized mean of the
// normalized embeddings of its prompts.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "clipsearch/model.h"
#include "clipsearch/status.h"
#include "search/query_vector.h"

namespace clipsearch::search {

// The templates of zero_shot_prompts when the user gives none: CLIP's, or for a model that reads
// Chinese only, Chinese-CLIP's own first template (ref: Chinese-CLIP's zero-shot
// _templates, "{}的照片。", "a photo of {}.").
inline const std::vector<std::string> kDefaultTemplates = {"a photo of a {}."};
inline const std::vector<std::string> kChineseTemplates = {"{}的照片。"};
const std::vector<std::string>& default_templates(const ModelInfo& info);

// How a model turns cosines into probabilities (ModelInfo's score_kind, logit_scale, logit_bias).
struct ScoreScale {
  ModelInfo::ScoreKind kind = ModelInfo::ScoreKind::kSoftmax;
  float logit_scale = 0;  // log temperature, as stored
  float logit_bias = 0;
};
ScoreScale score_scale_of(const ModelInfo& info);

// kSigmoid models: sigmoid(exp(logit_scale) * cosine + logit_bias), the model's probability that
// a text describes a picture; and its inverse, the cosine at which that probability is reached
// (-inf for p <= 0, +inf for p >= 1). Both are increasing, so a probability cutoff is a cosine
// cutoff.
float sigmoid_probability(float cosine, const ScoreScale& scale);
float cosine_at_probability(float probability, const ScoreScale& scale);

struct Similarity {
  std::vector<float> cosine;  // one per text
  // kSoftmax: softmax(exp(logit_scale) * cosine) over the texts; kSigmoid: each text's own
  // sigmoid_probability.
  std::vector<float> probability;
};

// `image` and every text embedding have the same length and are normalized.
Similarity zero_shot_similarity(const Embedding& image, const std::vector<Embedding>& texts,
                                const ScoreScale& scale);

// Every template with "{}" replaced by every label, label-major: prompts[l * templates + t].
// A template without "{}" (or with two) is an error naming it.
Result<std::vector<std::string>> zero_shot_prompts(const std::vector<std::string>& labels,
                                                   const std::vector<std::string>& templates);

// The label vectors from the prompts' embeddings (in zero_shot_prompts' order).
Result<std::vector<Embedding>> zero_shot_label_vectors(
    const std::vector<Embedding>& prompt_embeddings, size_t labels, size_t templates);

struct LabelScore {
  size_t label = 0;
  float cosine = 0;
  float probability = 0;
};

// Every label's cosine and probability for one image, best first (ties: lower label index).
std::vector<LabelScore> zero_shot_classify(const Embedding& image,
                                           const std::vector<Embedding>& label_vectors,
                                           const ScoreScale& scale);

// Parses "cat,dog, sports car" into trimmed, non-empty labels; an empty list is an error.
Result<std::vector<std::string>> zero_shot_parse_labels(const std::string& text);

}  // namespace clipsearch::search
