// Synthetic embeddings for the index tests and the benchmark: pure random directions, and a
// mixture of gaussians around random centres (closer to real CLIP embeddings, which cluster by
// subject), all L2-normalized. Deterministic for a seed.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace clipsearch::testing {

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

}  // namespace clipsearch::testing
