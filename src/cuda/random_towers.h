// Random-weight CLIP towers of real shapes, built in memory (no checkpoint, no reference), for
// the CUDA engine's tower tests and its benchmark (bench/cuda_tower_bench.cpp): a ViT of B/32,
// B/16 or L/14's shape and a CLIP text tower. The weights stay where they are for the tower's
// life (backends key them by host address). q and k are drawn larger than the rest so that
// attention is peaked, as in a trained model, rather than uniform.
#pragma once

#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include "model/clip_config.h"
#include "model/clip_weights.h"

namespace clipsearch::cuda::testing {

class RandomWeights {
 public:
  explicit RandomWeights(uint32_t seed) : rng_(seed) {}
  const float* tensor(int64_t n, float mean, float stddev) {
    std::normal_distribution<float> normal(mean, stddev);
    storage_.emplace_back(static_cast<size_t>(n));
    for (float& x : storage_.back()) x = normal(rng_);
    return storage_.back().data();
  }
  WeightMatrix matrix(int64_t out, int64_t in, float stddev) {
    return WeightMatrix::f32(tensor(out * in, 0.0f, stddev), out, in, WeightLayout::kOutIn);
  }
  LayerNormWeights layer_norm(int64_t width) {
    return {tensor(width, 1.0f, 0.1f), tensor(width, 0.0f, 0.1f)};
  }
  EncoderLayerWeights layer(const TransformerConfig& c) {
    EncoderLayerWeights l;
    l.ln1 = layer_norm(c.width);
    l.ln2 = layer_norm(c.width);
    l.q_weight = matrix(c.width, c.width, 0.05f);
    l.k_weight = matrix(c.width, c.width, 0.05f);
    l.v_weight = matrix(c.width, c.width, 0.02f);
    l.q_bias = tensor(c.width, 0.0f, 0.02f);
    l.k_bias = tensor(c.width, 0.0f, 0.02f);
    l.v_bias = tensor(c.width, 0.0f, 0.02f);
    l.out = {matrix(c.width, c.width, 0.02f), tensor(c.width, 0.0f, 0.02f)};
    l.fc1 = {matrix(c.mlp_width, c.width, 0.02f), tensor(c.mlp_width, 0.0f, 0.02f)};
    l.fc2 = {matrix(c.width, c.mlp_width, 0.02f), tensor(c.width, 0.0f, 0.02f)};
    return l;
  }

 private:
  std::mt19937 rng_;
  std::deque<std::vector<float>> storage_;
};

// CLIP's transformer proportions: the MLP four times the width.
inline void set_transformer(TransformerConfig& c, int64_t width, int64_t heads, int64_t layers) {
  c.width = width;
  c.heads = heads;
  c.layers = layers;
  c.mlp_width = 4 * width;
}

struct VitShape {
  std::string name;
  int64_t width, heads, layers, patch, proj_dim;
};
// OpenAI CLIP's image towers at 224 pixels.
inline const VitShape kB32{"B/32", 768, 12, 12, 32, 512};
inline const VitShape kB16{"B/16", 768, 12, 12, 16, 512};
inline const VitShape kL14{"L/14", 1024, 16, 24, 14, 768};

// A tower's configuration and weights, which point into `random`.
template <class Config, class Weights>
struct RandomTower {
  Config config;
  int64_t proj_dim = 0;
  RandomWeights random{40};
  Weights weights;
};
using RandomVit = RandomTower<VisionConfig, VisionWeights>;
using RandomText = RandomTower<TextConfig, TextWeights>;

inline void make_random_vit(const VitShape& s, RandomVit& vit) {
  VisionConfig& c = vit.config;
  set_transformer(c, s.width, s.heads, s.layers);
  c.image_size = 224;
  c.patch_size = s.patch;
  vit.proj_dim = s.proj_dim;
  RandomWeights& r = vit.random;
  VisionWeights& w = vit.weights;
  w.patch_weight = r.matrix(c.width, c.channels * s.patch * s.patch, 0.02f);
  w.class_embedding = r.tensor(c.width, 0.0f, 0.5f);
  w.position_embedding = r.tensor(c.tokens() * c.width, 0.0f, 0.5f);
  w.pre_ln = r.layer_norm(c.width);
  for (int64_t i = 0; i < c.layers; ++i) w.layers.push_back(r.layer(c));
  w.post_ln = r.layer_norm(c.width);
  w.projection.weight = r.matrix(s.proj_dim, c.width, 0.05f);
}

struct TextShape {
  std::string name;
  int64_t width, heads, proj_dim;
};
inline const TextShape kB32Text{"B/32 text", 512, 8, 512};
inline const TextShape kL14Text{"L/14 text", 768, 12, 768};

// CLIP's text tower (12 layers, 77 positions) with a vocabulary of 1000 tokens.
inline void make_random_text(const TextShape& s, RandomText& text) {
  TextConfig& c = text.config;
  set_transformer(c, s.width, s.heads, 12);
  c.vocab_size = 1000;
  c.context_length = 77;
  text.proj_dim = s.proj_dim;
  RandomWeights& r = text.random;
  TextWeights& w = text.weights;
  w.token_embedding = r.matrix(c.vocab_size, c.width, 0.5f);
  w.position_embedding = r.tensor(c.context_length * c.width, 0.0f, 0.1f);
  for (int64_t i = 0; i < c.layers; ++i) w.layers.push_back(r.layer(c));
  w.final_ln = r.layer_norm(c.width);
  w.projection.weight = r.matrix(s.proj_dim, c.width, 0.05f);
}

}  // namespace clipsearch::cuda::testing
