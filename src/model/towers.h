// The towers: pixels -> image embedding (ViT, CLIP's or SigLIP's, or ModifiedResNet), token ids
// -> text embedding (CLIP, SigLIP or BERT). All write raw (unnormalized) embeddings [count,
// projection_dim].
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "model/clip_config.h"
#include "model/clip_weights.h"
#include "model/cpu_backend.h"
#include "model/encoder.h"

namespace clipsearch {

// NHWC feature maps of the ResNet tower, each grown to the largest it holds.
struct ResNetWorkspace {
  std::vector<float> input;   // [count, size, size, channels] the pixels, NHWC
  std::vector<float> a, b;    // a block's input and output, in turn
  std::vector<float> t1, t2;  // a block's inner maps (conv1, conv2, their pooled forms)
  std::vector<float> cols;    // scratch: im2col blocks, Winograd tiles, the attention pooling
};

// A tower's scratch memory and where its operations run. The transformer towers run on
// `backend` (its buffers hold their activations); the parts that only the CPU runs (the ResNet,
// SigLIP's probe, BERT's projection) use the host vectors, and backend is then the CPU's.
struct TowerWorkspace {
  std::unique_ptr<Backend> backend = make_cpu_backend();
  bool on_device = false;  // backend is a device's (not the CPU's)
  ResNetWorkspace resnet;
  std::vector<float> projection_hidden;  // [count, hidden] an MLP projection's inner layer
  std::vector<float> pooling;            // scratch of SigLIP's attention pooling (attention_pool)
};

// ref: CLIPVisionTransformer + CLIPModel.get_image_features (open_clip VisionTransformer):
// patch conv, [class; patches] + position embeddings, pre-LN, encoder, post-LN of the class
// token, projection. VisionPooling::kAttentionProbe, ref: SiglipVisionTransformer +
// SiglipModel.get_image_features: patch conv with bias, patches + position embeddings, encoder,
// post-LN of every token, the attention-probe head (no projection). pixels: [count, channels,
// image_size, image_size].
void vision_forward(const VisionConfig& config, const VisionWeights& weights, int64_t proj_dim,
                    const float* pixels, int64_t count, float* out, TowerWorkspace& ws);

// ref: open_clip ModifiedResNet.forward: the three-convolution stem and its average pool, the
// bottleneck blocks, attention pooling (whose c_proj is the projection). pixels: [count, channels,
// image_size, image_size].
void resnet_forward(const VisionConfig& config, const ResNetWeights& weights, const float* pixels,
                    int64_t count, float* out, TowerWorkspace& ws);

// The image tower the configuration names: vision_forward or resnet_forward.
void image_forward(const ClipConfig& config, const ClipWeights& weights, const float* pixels,
                   int64_t count, float* out, TowerWorkspace& ws);

// How many images one image_forward call takes at most, so that its scratch memory stays
// bounded (and mostly in cache) whatever the batch, with enough rows per product to run at
// full speed.
// On a device (`on_device`) a pass takes enough images to fill it (its scratch is the device's).
int64_t images_per_pass(const VisionConfig& config, bool on_device);

// ref: CLIPTextTransformer + CLIPModel.get_text_features (open_clip CLIP.encode_text): token +
// position embeddings, causal encoder, final LN, pooled at the first position of the highest
// id, projection. Only the tokens up to the pooled position are computed (the causal mask makes
// later tokens irrelevant). TextTower::kSiglip, ref: SiglipTextTransformer +
// SiglipModel.get_text_features: the same without the causal mask, pooled at the last position
// (so every token is computed), the head's bias added. ids must be valid (checked by the
// caller).
void clip_text_forward(const TextConfig& config, const TextWeights& weights, int64_t proj_dim,
                       const std::vector<std::vector<int32_t>>& texts, float* out,
                       TowerWorkspace& ws);

// ref: ChineseCLIPTextModel (BertModel) + ChineseCLIPModel.get_text_features, and open_clip's
// HFTextEncoder (XLMRobertaModel, a pooler, a projection): token + token type 0 + position
// embeddings (RoBERTa's positions offset), their layer norm, bidirectional post-norm encoder,
// the first token's output or the mean of all, projection (linear, MLP or none). Each text is
// its own sequence, unpadded (the reference's padding is masked out of every real token's
// attention and of the mean, so it changes nothing).
void bert_text_forward(const TextConfig& config, const TextWeights& weights, int64_t proj_dim,
                       const std::vector<std::vector<int32_t>>& texts, float* out,
                       TowerWorkspace& ws);

// The text tower the configuration names: clip_text_forward (kClip, kSiglip) or
// bert_text_forward.
void text_forward(const TextConfig& config, const TextWeights& weights, int64_t proj_dim,
                  const std::vector<std::vector<int32_t>>& texts, float* out, TowerWorkspace& ws);

// The position clip_text_forward pools at: the first maximum (kClip), the last (kSiglip). ids
// must be non-empty.
int64_t pooled_position(const TextConfig& config, const std::vector<int32_t>& ids);

}  // namespace clipsearch
