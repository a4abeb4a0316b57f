// The weights of a CLIP model as float32 pointers, bound by name from a WeightStore for one of
// the two published layouts, with every shape checked against the config.
//
// Pointers point into the store (the mapped files, or its converted copies); the store is owned
// by ClipWeights so they live as long as it does. The weights of the linear layers are
// WeightMatrix values: float32 views into the store as bound, converted in place to a reduced
// precision by convert_clip_weights (their own storage then; the store's tensors are no longer
// read by them).
#pragma once

#include <memory>
#include <vector>

#include "clipsearch/status.h"
#include "model/clip_config.h"
#include "model/weight_store.h"
#include "tensor/weight_matrix.h"

namespace clipsearch {

struct LinearWeights {
  WeightMatrix weight;          // [out, in] (or a float32 [in, out] view, kInOut)
  const float* bias = nullptr;  // [out] or null
};

struct LayerNormWeights {
  const float* gamma = nullptr;  // [width]
  const float* beta = nullptr;   // [width]
};

struct EncoderLayerWeights {
  LayerNormWeights ln1;  // before attention
  LayerNormWeights ln2;  // before the MLP
  // q, k, v projections, each [width, width] with bias [width]. When qkv_fused, q_weight is
  // one [3*width, width] matrix (open_clip's in_proj_weight), q_bias [3*width], and k_weight and
  // v_weight are empty.
  WeightMatrix q_weight;
  WeightMatrix k_weight;
  WeightMatrix v_weight;
  const float* q_bias = nullptr;
  const float* k_bias = nullptr;
  const float* v_bias = nullptr;
  bool qkv_fused = false;
  LinearWeights out;  // [width, width]
  LinearWeights fc1;  // [mlp_width, width]
  LinearWeights fc2;  // [width, mlp_width]
};

struct VisionWeights {
  WeightMatrix patch_weight;               // [width, channels * patch * patch] (the conv, no bias)
  const float* class_embedding = nullptr;  // [width]
  const float* position_embedding = nullptr;  // [tokens, width]
  LayerNormWeights pre_ln;
  std::vector<EncoderLayerWeights> layers;
  LayerNormWeights post_ln;
  LinearWeights projection;  // to [projection_dim], no bias
};

struct TextWeights {
  const float* token_embedding = nullptr;     // [vocab, width]
  const float* position_embedding = nullptr;  // [context_length, width]
  std::vector<EncoderLayerWeights> layers;
  LayerNormWeights final_ln;
  LinearWeights projection;  // to [projection_dim], no bias
};

struct ClipWeights {
  std::unique_ptr<WeightStore> store;
  VisionWeights vision;
  TextWeights text;
  float logit_scale = 0;  // log of the temperature, as stored
};

// Opens the config's weights and binds every tensor the forward pass uses, as float32.
Result<ClipWeights> load_clip_weights(const ClipConfig& config);

// Converts the weights of the encoder's linear layers (q/k/v, out-projection, MLP) and the patch
// embedding to `type`, once; the two projections, embeddings, layer norms and biases stay
// float32 (clip_weights.cpp says why for the projections).
void convert_clip_weights(ClipWeights* weights, WeightType type);

}  // namespace clipsearch
