#include "search/zero_shot.h"

#include <algorithm>
#include <cmath>

#include "search/query_vector.h"

namespace clipsearch::search {
namespace {

// ref: torch softmax over exp(logit_scale) * cosine, computed in double here.
std::vector<float> softmax_of_logits(const std::vector<float>& cosine, float logit_scale) {
  const double scale = std::exp(static_cast<double>(logit_scale));
  double max_logit = -INFINITY;
  for (float c : cosine) max_logit = std::max(max_logit, scale * c);
  std::vector<double> e(cosine.size());
  double sum = 0;
  for (size_t i = 0; i < cosine.size(); ++i) sum += e[i] = std::exp(scale * cosine[i] - max_logit);
  std::vector<float> p(cosine.size());
  for (size_t i = 0; i < cosine.size(); ++i) p[i] = static_cast<float>(e[i] / sum);
  return p;
}

// ref: torch.sigmoid(logits_per_text), in double.
double sigmoid_of_logit(double cosine, const ScoreScale& scale) {
  const double logit = std::exp(static_cast<double>(scale.logit_scale)) * cosine + scale.logit_bias;
  return 1.0 / (1.0 + std::exp(-logit));
}

std::string trim(const std::string& s) {
  const size_t first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

}  // namespace

const std::vector<std::string>& default_templates(const ModelInfo& info) {
  // A BERT text tower in the Hugging Face layout is Chinese-CLIP's (ChineseCLIPModel); open_clip's
  // BERT-family towers are the multilingual XLM-R ones, which read CLIP's English template.
  const bool chinese_clip = info.text_tower == "bert" && info.layout == "huggingface";
  return chinese_clip ? kChineseTemplates : kDefaultTemplates;
}

ScoreScale score_scale_of(const ModelInfo& info) {
  return {info.score_kind, info.logit_scale, info.logit_bias};
}

float sigmoid_probability(float cosine, const ScoreScale& scale) {
  return static_cast<float>(sigmoid_of_logit(cosine, scale));
}

float cosine_at_probability(float probability, const ScoreScale& scale) {
  if (!(probability > 0)) return -INFINITY;
  if (!(probability < 1)) return INFINITY;
  const double p = probability;
  const double logit = std::log(p / (1 - p));
  return static_cast<float>((logit - scale.logit_bias) /
                            std::exp(static_cast<double>(scale.logit_scale)));
}

Similarity zero_shot_similarity(const Embedding& image, const std::vector<Embedding>& texts,
                                const ScoreScale& scale) {
  Similarity out;
  for (const Embedding& t : texts) out.cosine.push_back(embedding_dot(image, t));
  if (scale.kind == ModelInfo::ScoreKind::kSigmoid) {
    for (float c : out.cosine) out.probability.push_back(sigmoid_probability(c, scale));
  } else {
    out.probability = softmax_of_logits(out.cosine, scale.logit_scale);
  }
  return out;
}

Result<std::vector<std::string>> zero_shot_prompts(const std::vector<std::string>& labels,
                                                   const std::vector<std::string>& templates) {
  for (const std::string& t : templates) {
    const size_t at = t.find("{}");
    if (at == std::string::npos || t.find("{}", at + 2) != std::string::npos) {
      return Status::invalid_argument("template '" + t + "' must contain \"{}\" exactly once");
    }
  }
  if (templates.empty()) return Status::invalid_argument("no prompt templates");
  std::vector<std::string> prompts;
  for (const std::string& label : labels) {
    for (const std::string& t : templates) {
      const size_t at = t.find("{}");
      prompts.push_back(t.substr(0, at) + label + t.substr(at + 2));
    }
  }
  return prompts;
}

Result<std::vector<Embedding>> zero_shot_label_vectors(
    const std::vector<Embedding>& prompt_embeddings, size_t labels, size_t templates) {
  if (prompt_embeddings.size() != labels * templates) {
    return Status::invalid_argument("zero-shot: " + std::to_string(prompt_embeddings.size()) +
                                    " prompt embeddings for " + std::to_string(labels) +
                                    " labels x " + std::to_string(templates) + " templates");
  }
  std::vector<Embedding> out;
  for (size_t l = 0; l < labels; ++l) {
    const auto first = prompt_embeddings.begin() + static_cast<std::ptrdiff_t>(l * templates);
    CLIPSEARCH_ASSIGN_OR_RETURN(
        Embedding v,
        query_vector_combine(
            std::vector<Embedding>(first, first + static_cast<std::ptrdiff_t>(templates)), {}, {}));
    out.push_back(std::move(v));
  }
  return out;
}

std::vector<LabelScore> zero_shot_classify(const Embedding& image,
                                           const std::vector<Embedding>& label_vectors,
                                           const ScoreScale& scale) {
  const Similarity sim = zero_shot_similarity(image, label_vectors, scale);
  std::vector<LabelScore> out;
  for (size_t l = 0; l < label_vectors.size(); ++l) {
    out.push_back({l, sim.cosine[l], sim.probability[l]});
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const LabelScore& a, const LabelScore& b) { return a.cosine > b.cosine; });
  return out;
}

Result<std::vector<std::string>> zero_shot_parse_labels(const std::string& text) {
  std::vector<std::string> labels;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    std::string label = trim(text.substr(start, comma - start));
    if (!label.empty()) labels.push_back(std::move(label));
    start = comma + 1;
  }
  if (labels.empty()) return Status::invalid_argument("--labels: no labels in '" + text + "'");
  return labels;
}

}  // namespace clipsearch::search
