// How a search query becomes one vector: texts, pictures and negative prompts combined.
//
// Every part is an L2-normalized embedding. Positive texts are averaged into T and positive
// pictures (uploaded images, or indexed images for "more like this") into I, each renormalized (a
// single part is used as it is). With both, q = (1 - image_weight) * T + image_weight * I; with
// one, q is that one. Negative prompts are averaged into N and subtracted: q = normalize(q) -
// negative_weight * N. The result is normalized, so its inner product with an image embedding is a
// cosine similarity.
//
// Pure functions, thread-safe.
#pragma once

#include <vector>

#include "clipsearch/query.h"
#include "clipsearch/status.h"

namespace clipsearch::search {

struct QueryWeights {
  float image_weight =
      kDefaultImageWeight;  // share of the pictures when texts and pictures are combined
  float negative_weight =
      kDefaultNegativeWeight;  // how much of the negative prompts' direction is removed
};

using Embedding = std::vector<float>;

// a . b (one length) with index/dot.h's kernel: the score a search gives the same pair.
float embedding_dot(const Embedding& a, const Embedding& b);

Result<Embedding> query_vector_combine(const std::vector<Embedding>& texts,
                                       const std::vector<Embedding>& images,
                                       const std::vector<Embedding>& negatives,
                                       const QueryWeights& weights = {});

// x / |x|; an error when x is all zeros (nothing left to search for).
Status query_vector_normalize(Embedding* x);

}  // namespace clipsearch::search
