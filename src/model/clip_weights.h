// The weights of a CLIP model as float32 pointers, bound by name from a WeightStore for one of
// the two published layouts, with every shape checked against the config.
//
// Pointers point into the store (the mapped files, or its converted copies); the store is owned
// by ClipWeights so they live as long as it does. The weights of the linear layers and the token
// embedding are WeightMatrix values: views into the store (float32, or a reduced type as a
// quantized checkpoint stores it), or converted once at load to a reduced precision (their own
// storage then; the store's float32 tensors are released).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "clipsearch/model.h"
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
  WeightMatrix token_embedding;               // [vocab, width], looked up a row per token
  const float* position_embedding = nullptr;  // [context_length, width]
  std::vector<EncoderLayerWeights> layers;
  LayerNormWeights final_ln;
  LinearWeights projection;  // to [projection_dim], no bias
};

// A tensor kept at the model's precision (an encoder layer's q/k/v, out-projection or MLP
// weight, the patch embedding, the token embedding): its name in the checkpoint and the matrix it
// is read as ([out, in]; the patch embedding's 4-d shape unfolded).
struct ReducibleTensor {
  std::string name;
  std::vector<int64_t> shape;
  int64_t out = 0, in = 0;
};

struct ClipWeights {
  std::unique_ptr<WeightStore> store;
  VisionWeights vision;
  TextWeights text;
  float logit_scale = 0;                   // log of the temperature, as stored
  WeightType type = WeightType::kF32;      // the reducible tensors' type once loaded
  std::vector<ReducibleTensor> reducible;  // in the order bound
};

// Opens the config's weights and binds every tensor the forward pass uses: float32, except the
// reducible tensors, in `type` (converted once, or used as stored where the checkpoint holds
// them in that type already). A checkpoint that `clipsearch quantize` wrote (quantized_type)
// runs at its own type: asked for kF32 (the default) or that type; any other is kUnsupported
// naming both. The two projections, the position embeddings, layer norms and biases stay
// float32 (clip_weights.cpp says why for the projections).
Result<ClipWeights> load_clip_weights(const ClipConfig& config, WeightType type);

// The safetensors metadata key `clipsearch quantize` writes the precision under.
inline constexpr const char* kQuantizedPrecisionKey = "clipsearch.precision";

// The type a checkpoint was quantized to by `clipsearch quantize` (its safetensors metadata
// "clipsearch.precision"), kF32 for any other checkpoint, or an error naming an unknown value.
Result<WeightType> quantized_type(const WeightStore& store);

// The type the reducible tensors are kept in at `precision`; nullopt for a value that is not a
// Precision (a cast integer).
std::optional<WeightType> precision_weight_type(Precision precision);

// The name of the float32 [out] scales that an int8 tensor `name` is stored with.
std::string int8_scale_name(const std::string& name);

}  // namespace clipsearch
