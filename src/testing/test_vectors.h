// Synthetic embeddings for the index tests and the benchmark, all L2-normalized and
// deterministic for a seed: pure random directions (the worst case for a graph index: every
// neighbour is about as far as any other), a mixture of gaussians around random centres, and
// "embedding-like" vectors: a mixture of gaussians in a 64-d latent space projected to `dim`
// plus a little isotropic noise, since real CLIP embeddings cluster by subject and vary along
// far fewer directions than their dimension.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <ostream>
#include <random>
#include <vector>

#include "index/vector_index.h"
#include "tensor/gemm.h"

namespace clipsearch {

// How gtest shows a hit: the id and the score with its bits, since tests demand equal floats.
inline void PrintTo(const SearchHit& hit, std::ostream* out) {
  uint32_t bits;
  std::memcpy(&bits, &hit.score, sizeof bits);
  *out << "{id " << hit.id << ", score " << hit.score << " (0x" << std::hex << bits << std::dec
       << ")}";
}

}  // namespace clipsearch

namespace clipsearch::testing {

// Rows a test owns, viewed as the index sees them.
struct VectorRows {
  std::vector<int64_t> ids;
  std::vector<float> vectors;  // [ids.size(), dim]
  int64_t dim = 0;
  VectorView view() const {
    return {ids.data(), vectors.data(), static_cast<int64_t>(ids.size()), dim};
  }
};

inline void normalize_rows(std::vector<float>& v, int64_t dim) {
  for (size_t r = 0; r < v.size() / static_cast<size_t>(dim); ++r) {
    float* row = v.data() + r * dim;
    double norm = 0;
    for (int64_t i = 0; i < dim; ++i) norm += double{row[i]} * row[i];
    const float inv = static_cast<float>(1.0 / std::sqrt(std::max(norm, 1e-30)));
    for (int64_t i = 0; i < dim; ++i) row[i] *= inv;
  }
}

// [n, dim] random unit vectors.
inline std::vector<float> random_unit_vectors(int64_t n, int64_t dim, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> v(static_cast<size_t>(n * dim));
  for (float& x : v) x = normal(rng);
  normalize_rows(v, dim);
  return v;
}

// [n, dim] unit vectors drawn around `clusters` random centres with per-coordinate spread
// `spread` (0.04 gives neighbour cosines around 0.5-0.7 in 512-d, as CLIP image embeddings of
// one subject have).
inline std::vector<float> clustered_unit_vectors(int64_t n, int64_t dim, int64_t clusters,
                                                 float spread, uint64_t seed) {
  const std::vector<float> centres = random_unit_vectors(clusters, dim, seed ^ 0x9e3779b97f4a7c15);
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
  std::uniform_int_distribution<int64_t> pick(0, clusters - 1);
  std::vector<float> v(static_cast<size_t>(n * dim));
  for (int64_t r = 0; r < n; ++r) {
    const float* c = centres.data() + pick(rng) * dim;
    for (int64_t i = 0; i < dim; ++i) v[r * dim + i] = c[i] + spread * normal(rng);
  }
  normalize_rows(v, dim);
  return v;
}

// [n, dim] embedding-like unit vectors (see the top of the file).
inline std::vector<float> embedding_like_vectors(int64_t n, int64_t dim, int64_t clusters,
                                                 uint64_t seed) {
  constexpr int64_t kLatent = 64;
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> centres(static_cast<size_t>(clusters * kLatent));
  for (float& x : centres) x = normal(rng);
  std::vector<float> latent(static_cast<size_t>(n * kLatent));  // [n, 64]
  std::uniform_int_distribution<int64_t> pick(0, clusters - 1);
  for (int64_t r = 0; r < n; ++r) {
    const float* c = centres.data() + pick(rng) * kLatent;
    for (int64_t i = 0; i < kLatent; ++i) latent[r * kLatent + i] = c[i] + 0.6f * normal(rng);
  }
  std::vector<float> projection(static_cast<size_t>(kLatent * dim));  // [64, dim]
  for (float& x : projection) x = normal(rng);
  std::vector<float> v(static_cast<size_t>(n * dim));  // [n, dim]
  for (float& x : v) x = 1.5f * normal(rng);           // isotropic noise, ~15% of the norm
  linear(n, dim, kLatent, latent.data(), kLatent, projection.data(), WeightLayout::kInOut, 1.0f,
         v.data(), dim);
  normalize_rows(v, dim);
  return v;
}

// Options of every kind, one per query, for tests that compare a batched search with the same
// queries alone: k 0, k 1, a filter, k = `many` (more than the rows, or enough to change the
// path), a cutoff, a filter and a cutoff together.
inline std::vector<SearchOptions> mixed_search_options(const IdFilter* filter, int64_t many) {
  std::vector<SearchOptions> options(6);
  options[0].k = 0;
  options[1].k = 1;
  options[2].k = 10;
  options[2].filter = filter;
  options[3].k = many;
  options[4].k = 50;
  options[4].min_score = 0.3f;
  options[5].k = 7;
  options[5].filter = filter;
  options[5].min_score = 0.1f;
  return options;
}

}  // namespace clipsearch::testing
