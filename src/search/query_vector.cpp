#include "search/query_vector.h"

#include <cassert>
#include <cmath>
#include <string>

#include "index/dot.h"

namespace clipsearch::search {
namespace {

Status check_dims(const std::vector<Embedding>& parts, size_t dim, const char* what) {
  for (const Embedding& e : parts) {
    if (e.size() != dim) {
      return Status::invalid_argument(std::string("query: a ") + what + " embedding has " +
                                      std::to_string(e.size()) + " values, expected " +
                                      std::to_string(dim));
    }
  }
  return Status();
}

// Whether x is a unit vector to within float rounding (an embedding as the model gives it).
bool is_unit(const Embedding& x) {
  double sum = 0;
  for (float v : x) sum += static_cast<double>(v) * v;
  return std::abs(sum - 1) <= 1e-6;
}

// Normalized mean of `parts` (all of length dim); empty parts give an empty vector. One part that
// is a unit vector already is returned as it is: normalizing it again would move its last bits,
// and a search by one text would score an image a hair off the cosine `similarity` gives.
Result<Embedding> normalized_mean(const std::vector<Embedding>& parts, size_t dim) {
  if (parts.empty()) return Embedding();
  if (parts.size() == 1 && is_unit(parts[0])) return parts[0];
  Embedding mean(dim, 0.0f);
  for (const Embedding& e : parts) {
    for (size_t i = 0; i < dim; ++i) mean[i] += e[i];
  }
  CLIPSEARCH_RETURN_IF_ERROR(query_vector_normalize(&mean));
  return mean;
}

}  // namespace

Status query_vector_normalize(Embedding* x) {
  double sum = 0;
  for (float v : *x) sum += static_cast<double>(v) * v;
  if (!(sum > 0) || !std::isfinite(sum)) {
    return Status::invalid_argument(
        "query: the combined query vector is zero (its parts cancel out)");
  }
  const float inv = static_cast<float>(1.0 / std::sqrt(sum));
  for (float& v : *x) v *= inv;
  return Status();
}

Result<Embedding> query_vector_combine(const std::vector<Embedding>& texts,
                                       const std::vector<Embedding>& images,
                                       const std::vector<Embedding>& negatives,
                                       const QueryWeights& weights) {
  if (texts.empty() && images.empty()) {
    return Status::invalid_argument(
        "query: nothing to search for (give a text, an image or an image to "
        "find more like)");
  }
  const size_t dim = texts.empty() ? images[0].size() : texts[0].size();
  CLIPSEARCH_RETURN_IF_ERROR(check_dims(texts, dim, "text"));
  CLIPSEARCH_RETURN_IF_ERROR(check_dims(images, dim, "image"));
  CLIPSEARCH_RETURN_IF_ERROR(check_dims(negatives, dim, "negative"));
  if (!(weights.image_weight >= 0 && weights.image_weight <= 1)) {
    return Status::invalid_argument("query: the image weight must be between 0 and 1, got " +
                                    std::to_string(weights.image_weight));
  }
  if (!(weights.negative_weight >= 0 && std::isfinite(weights.negative_weight))) {
    return Status::invalid_argument("query: the negative weight must be >= 0, got " +
                                    std::to_string(weights.negative_weight));
  }
  CLIPSEARCH_ASSIGN_OR_RETURN(Embedding t, normalized_mean(texts, dim));
  CLIPSEARCH_ASSIGN_OR_RETURN(Embedding im, normalized_mean(images, dim));
  Embedding q;
  if (t.empty()) {
    q = std::move(im);
  } else if (im.empty()) {
    q = std::move(t);
  } else {
    q.resize(dim);
    const float w = weights.image_weight;
    for (size_t i = 0; i < dim; ++i) q[i] = (1 - w) * t[i] + w * im[i];
    CLIPSEARCH_RETURN_IF_ERROR(query_vector_normalize(&q));
  }
  if (!negatives.empty()) {
    CLIPSEARCH_ASSIGN_OR_RETURN(Embedding n, normalized_mean(negatives, dim));
    if (weights.negative_weight > 0) {  // weight 0: the query is exactly the one without them
      for (size_t i = 0; i < dim; ++i) q[i] -= weights.negative_weight * n[i];
      CLIPSEARCH_RETURN_IF_ERROR(query_vector_normalize(&q));
    }
  }
  return q;
}

float embedding_dot(const Embedding& a, const Embedding& b) {
  assert(a.size() == b.size());
  return dot(a.data(), b.data(), static_cast<int64_t>(a.size()));
}

}  // namespace clipsearch::search
