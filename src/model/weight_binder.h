// Binder: binds a checkpoint's tensors by name, with the shapes the config implies, to the
// pointers and WeightMatrix values of the forward pass. Every tower's binding goes through it, so
// that the rules for reduced precisions (a tensor stored in the model's type is used as stored,
// int8 comes with its scales, the rest is float32) live in one place.
#pragma once

#include <string>
#include <vector>

#include "clipsearch/status.h"
#include "model/clip_weights.h"
#include "model/weight_store.h"
#include "tensor/weight_matrix.h"

namespace clipsearch {

class Binder {
 public:
  Binder(WeightStore& store, WeightType type) : store_(store), type_(type) {}

  WeightStore& store() { return store_; }

  // A float32 tensor of exactly `shape`.
  Status bind(const std::string& name, std::vector<int64_t> shape, const float** out);

  // A position embedding [tokens, width]: `extra` rows that are not positions (a class token, a
  // ResNet pooling's mean), then a square grid. A checkpoint made for another image size holds
  // another grid; it is resized into `resized` (which *out then points into) as open_clip's
  // resize_pos_embed does when it loads such a checkpoint. Any other shape is an error.
  Status position_embedding(const std::string& name, int64_t tokens, int64_t width, int64_t extra,
                            std::vector<float>* resized, const float** out);

  // `prefix`.weight and `prefix`.bias, each [width].
  Status layer_norm(const std::string& prefix, int64_t width, LayerNormWeights* out);

  // A float32 [out, in] matrix (kOutIn) or [in, out] (kInOut), bound with the tensor's own shape,
  // that stays float32 at every precision (the projections).
  Status matrix(const std::string& name, int64_t out_dim, int64_t in_dim, WeightLayout layout,
                WeightMatrix* out);

  // A tensor kept at the model's precision, read as the [out_dim, in_dim] matrix of its `shape`:
  // used as stored when the checkpoint holds it in that type already, else bound as float32
  // (convert_reducible converts it). Listed in take_reducible().
  Status reducible(const std::string& name, std::vector<int64_t> shape, int64_t out_dim,
                   int64_t in_dim, WeightMatrix* out);

  // A linear layer's reducible [out, in] weight and its float32 bias.
  Status linear(const std::string& prefix, int64_t out_dim, int64_t in_dim, LinearWeights* out);

  std::vector<ReducibleTensor> take_reducible() { return std::move(reducible_); }

 private:
  Status bind_stored(const std::string& name, const TensorView& view, int64_t out_dim,
                     int64_t in_dim, WeightMatrix* out);

  WeightStore& store_;
  WeightType type_;
  std::vector<ReducibleTensor> reducible_;
};

}  // namespace clipsearch
