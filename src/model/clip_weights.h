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
#include "tensor/winograd.h"

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
  // Pre-norm: ln1 before attention, ln2 before the MLP. Post-norm: each after its residual add.
  LayerNormWeights ln1;
  LayerNormWeights ln2;
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

// ref: SiglipMultiheadAttentionPoolingHead (VisionPooling::kAttentionProbe): a learned probe
// attends over the image's tokens through nn.MultiheadAttention (in_proj_weight [3w, w] = q;k;v
// and in_proj_bias, viewed here as the q/k/v weights and biases; out_proj), then
// h = h + mlp(layernorm(h)). Float32 at every precision, like the projections: one row per
// image, and the last steps before the embedding.
struct AttentionProbeWeights {
  const float* probe = nullptr;  // [width]
  // q/k/v, out: the attention; ln2, fc1, fc2: the layer norm and MLP after it (ln1 unused).
  EncoderLayerWeights block;
};

struct VisionWeights {
  WeightMatrix patch_weight;                  // [width, channels * patch * patch] (the conv)
  const float* patch_bias = nullptr;          // [width] (SigLIP's conv has one; CLIP's none)
  const float* class_embedding = nullptr;     // [width] (kClassToken)
  const float* position_embedding = nullptr;  // [tokens, width]
  std::vector<float> resized_positions;       // what position_embedding points to when resized
  LayerNormWeights pre_ln;                    // kClassToken
  std::vector<EncoderLayerWeights> layers;
  LayerNormWeights post_ln;
  LinearWeights projection;     // kClassToken: to [projection_dim], no bias
  AttentionProbeWeights probe;  // kAttentionProbe
};

// A convolution with the batch norm after it folded in (ref: open_clip ModifiedResNet, conv then
// BatchNorm2d in eval mode): conv(x) . gamma / sqrt(var + eps) + beta - mean . gamma /
// sqrt(var + eps) = conv'(x) + bias.
struct ConvWeights {
  int64_t kernel = 1, stride = 1, padding = 0;
  PackedWeights weight;      // [out, kernel * kernel * in], columns (ky, kx, c): NHWC patches
  WinogradWeights winograd;  // instead of `weight` for a 3x3 at stride 1 (tensor/winograd.h)
  std::vector<float> bias;   // [out]
  int64_t out() const { return winograd.points.empty() ? weight.out() : winograd.out; }
};

// ref: open_clip Bottleneck: relu(bn1(conv1 1x1)) -> relu(bn2(conv2 3x3)) -> avgpool(stride) ->
// bn3(conv3 1x1), plus the identity (or avgpool(stride) -> bn(conv 1x1) when the shape changes),
// then relu.
struct BottleneckWeights {
  int64_t stride = 1;
  ConvWeights conv1, conv2, conv3;
  bool has_downsample = false;
  ConvWeights downsample;
  std::vector<float> residual_bias;  // [out] conv3's bias + the downsample's: added once
};

// ref: open_clip ModifiedResNet: three stem convolutions and an average pool, the bottleneck
// blocks of the four stages, attention pooling.
// Every weight of a ResNet tower stays float32 at every precision (only the text tower's are
// reduced): measured on the reference RN50 (precision_reference_test), its convolutions and
// attention pooling in bf16 took image embeddings to cosine 0.99976 of float32's (a ViT-B/32:
// 0.999993), in int8 to 0.9987 (RN50x4: 0.991), short of what the precisions promise.
struct ResNetWeights {
  ConvWeights stem[3];
  std::vector<BottleneckWeights> blocks;      // every stage's blocks, in order
  const float* position_embedding = nullptr;  // [grid * grid + 1, features]
  std::vector<float> resized_positions;       // what position_embedding points to when resized
  // The attention pooling (AttentionPool2d): q/k/v projections [features, features] and c_proj
  // [projection_dim, features] as `out` (the tower's projection).
  EncoderLayerWeights pool;
};

struct TextWeights {
  WeightMatrix token_embedding;               // [vocab, width], looked up a row per token
  const float* position_embedding = nullptr;  // [context_length, width]
  // kBert: row 0 of the token type embedding (every token is of type 0) and the layer norm of
  // the summed embeddings.
  const float* token_type_embedding = nullptr;  // [width]
  LayerNormWeights embedding_ln;
  std::vector<EncoderLayerWeights> layers;
  LayerNormWeights final_ln;  // kClip and kSiglip
  // To [projection_dim], no bias (kMlp: to the MLP's hidden width); kSiglip: the head, with bias.
  LinearWeights projection;
  LinearWeights projection_out;  // kMlp: hidden width -> [projection_dim], no bias
};

// A tensor kept at the model's precision (an encoder layer's q/k/v, out-projection or MLP
// weight, the patch embedding, the token embedding): its name in the checkpoint and the matrix it
// is read as ([out, in]; the patch embedding's 4-d shape unfolded).
struct ReducibleTensor {
  std::string name;
  std::vector<int64_t> shape;
  int64_t out = 0, in = 0;
};

// What the products with the reducible tensors multiply: float32 activations (every precision's
// default), or, at `int8-dynamic`, activations quantized to int8 per row at run time times the
// int8 weights packed for it at load (tensor/int8_gemm.h). The token embedding, a lookup, stays
// as `type` stores it.
enum class Activations { kFloat32, kInt8Dynamic };

struct ClipWeights {
  std::unique_ptr<WeightStore> store;
  VisionWeights vision;  // config.vision.tower == kVisionTransformer
  ResNetWeights resnet;  // config.vision.tower == kModifiedResNet
  TextWeights text;
  float logit_scale = 0;               // log of the temperature, as stored
  float logit_bias = 0;                // SigLIP's, added to every logit; 0 for the others
  WeightType type = WeightType::kF32;  // the reducible tensors' type once loaded
  Activations activations = Activations::kFloat32;
  std::vector<ReducibleTensor> reducible;  // in the order bound
};

// Opens the config's weights and binds every tensor the forward pass uses: float32, except the
// reducible tensors, in `type` (converted once, or used as stored where the checkpoint holds
// them in that type already). A checkpoint that `clipsearch quantize` wrote (quantized_type)
// runs at its own type: asked for kF32 (the default) or that type; any other is kUnsupported
// naming both. The two projections, the position embeddings, layer norms and biases stay
// float32 (clip_weights.cpp says why for the projections). Activations::kInt8Dynamic needs type
// kInt8 and packs the linear layers' weights for int8 products (no [out, in] copy kept).
// `pack_for_cpu` false (a tower runs on a device, which needs the [out, in] values): BF16
// weights are not packed for the CPU's BF16 arithmetic (the CPU then multiplies them unpacked).
Result<ClipWeights> load_clip_weights(const ClipConfig& config, WeightType type,
                                      Activations activations = Activations::kFloat32,
                                      bool pack_for_cpu = true);

// The safetensors metadata key `clipsearch quantize` writes the precision under.
inline constexpr const char* kQuantizedPrecisionKey = "clipsearch.precision";

// The type a checkpoint was quantized to by `clipsearch quantize` (its safetensors metadata
// "clipsearch.precision"), kF32 for any other checkpoint, or an error naming an unknown value.
Result<WeightType> quantized_type(const WeightStore& store);

// The type the reducible tensors are kept in at `precision`; nullopt for a value that is not a
// Precision (a cast integer).
std::optional<WeightType> precision_weight_type(Precision precision);
// The activations the products run with at `precision` (kInt8Dynamic for int8-dynamic only).
Activations precision_activations(Precision precision);
// The precision_name() of a model loaded with these weights.
const char* loaded_precision_name(const ClipWeights& weights);

// The name of the float32 [out] scales that an int8 tensor `name` is stored with.
std::string int8_scale_name(const std::string& name);

}  // namespace clipsearch
