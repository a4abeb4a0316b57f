// ClipConfig: every size of a CLIP model, read from the model folder's configuration.
//
// Two published layouts are understood:
//  - Hugging Face CLIPModel (model_type "clip"), ChineseCLIPModel (model_type "chinese_clip":
//    the same ViT, a BERT text tower) and SiglipModel (model_type "siglip": a ViT without class
//    token pooled by an attention probe, a bidirectional text tower pooled at its last token;
//    siglip_config.cpp): config.json (text_config, vision_config, projection_dim) with
//    model.safetensors or sharded model-*.safetensors + model.safetensors.index.json, or
//    pytorch_model.bin;
//  - open_clip: open_clip_config.json (model_cfg.vision_cfg / text_cfg, embed_dim, quick_gelu)
//    with open_clip_model.safetensors (OpenAI tensor names, fused in_proj attention weights).
// Missing fields take the reference's defaults (transformers 4.25.1 CLIPTextConfig /
// CLIPVisionConfig; 4.37.2 SiglipTextConfig / SiglipVisionConfig; open_clip 2.23 CLIPVisionCfg /
// CLIPTextCfg). Nothing is fixed for one model.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "clipsearch/status.h"
#include "tensor/ops.h"

namespace clipsearch {

enum class ModelLayout { kHuggingFace, kOpenClip };

struct TransformerConfig {
  int64_t width = 0;
  int64_t heads = 0;
  int64_t layers = 0;
  int64_t mlp_width = 0;
  Activation activation = Activation::kQuickGelu;
  float layer_norm_eps = 1e-5f;
  // Where each block's two layer norms sit. Pre-norm (CLIP): h = h + f(LN(h)). Post-norm (BERT):
  // h = LN(h + f(h)).
  bool post_norm = false;
  int64_t head_dim() const { return width / heads; }
};

// The image tower's architecture, from the configuration.
enum class ImageTower {
  kVisionTransformer,  // CLIP ViT (both layouts)
  kModifiedResNet,     // OpenAI's ResNet CLIPs (open_clip ModifiedResNet: RN50, RN101, RN50x4, ...)
};

// ref: open_clip ModifiedResNet(layers, output_dim, heads, image_size, width).
struct ResNetConfig {
  std::vector<int64_t> stage_blocks;  // bottleneck blocks in each of the 4 stages
  int64_t width = 0;                  // stem width; stage s has width * 2^s planes, 4x that out
  int64_t heads = 0;                  // attention pooling heads (width * 32 / head_width)
  int64_t features() const { return width * 32; }  // channels of the last stage
};

// How a ViT's token rows become the image's vector.
enum class VisionPooling {
  // CLIP: a class token before the patches, a layer norm before the encoder; the class token's
  // row after the post layer norm, projected.
  kClassToken,
  // SigLIP: patches only (the patch conv has a bias), no layer norm before the encoder; every
  // row after the post layer norm, attended by one learned probe (multi-head attention
  // pooling), then a layer norm and MLP with their residual. No projection: the width is the
  // embedding size.
  kAttentionProbe,
};

struct VisionConfig : TransformerConfig {
  ImageTower tower = ImageTower::kVisionTransformer;
  VisionPooling pooling = VisionPooling::kClassToken;  // tower == kVisionTransformer
  ResNetConfig resnet;  // tower == kModifiedResNet; the TransformerConfig fields are then unused
  int64_t image_size = 0;
  int64_t patch_size = 0;
  int64_t channels = 3;
  // Positions per side: patches (ViT), or the last stage's feature map (ResNet: image_size / 32,
  // which the parser checks the stem and the three strided stages really give).
  int64_t grid() const {
    return tower == ImageTower::kModifiedResNet ? image_size / 32 : image_size / patch_size;
  }
  // Tokens per image: patches + class token (ViT; SigLIP: patches alone); positions + their
  // mean (ResNet's pooling).
  int64_t tokens() const { return grid() * grid() + (class_token() ? 1 : 0); }
  bool class_token() const { return pooling == VisionPooling::kClassToken; }
};

// The text tower's architecture, from the configuration.
enum class TextTower {
  kClip,    // CLIP (both layouts): causal pre-norm encoder, final LN, pooled at the end token
  kBert,    // BERT / RoBERTa / XLM-R (Chinese-CLIP, open_clip's Hugging Face text towers):
            // bidirectional post-norm encoder, embeddings LN, token type embeddings
  kSiglip,  // SigLIP: CLIP's pre-norm encoder without the causal mask, final LN, pooled at the
            // last position (the tokenizer pads to the context length), a linear head with bias
};

// Which output rows become the text's vector (kBert; kClip pools at the end token).
enum class TextPooling {
  kFirstToken,  // [CLS] / <s>: Chinese-CLIP; open_clip's cls_last_hidden_state_pooler
  kMean,        // the mean over the text's tokens: open_clip's mean_pooler
};

// How the pooled vector becomes the embedding (kBert; kClip has one linear layer, kSiglip one
// with a bias).
enum class TextProjection {
  kLinear,    // one matrix, no bias
  kMlp,       // open_clip's hf_proj_type "mlp": Linear, GELU, Linear (no biases)
  kIdentity,  // none: the width is the embedding size
};

struct TextConfig : TransformerConfig {
  TextTower tower = TextTower::kClip;
  int64_t vocab_size = 0;
  int64_t context_length = 0;   // rows of the position embedding
  int64_t type_vocab_size = 0;  // kBert: rows of the token type embedding (every token uses 0)
  // kBert: the position of token t is t + position_offset (RoBERTa and XLM-R count from
  // pad_token_id + 1; BERT from 0).
  int64_t position_offset = 0;
  TextPooling pooling = TextPooling::kFirstToken;
  TextProjection projection = TextProjection::kLinear;
  // The most token ids one text may have.
  int64_t max_tokens() const { return context_length - position_offset; }
};

struct ClipConfig {
  ModelLayout layout = ModelLayout::kHuggingFace;
  VisionConfig vision;
  TextConfig text;
  int64_t projection_dim = 0;
  // open_clip's CustomTextCLIP (model_cfg.custom_text): the text tower's tensors are named
  // "text.<name>" instead of "<name>".
  bool custom_text = false;
  // SigLIP: each text's logit exp(logit_scale) * cosine + logit_bias is a probability through a
  // sigmoid of its own (ModelInfo::ScoreKind::kSigmoid), not a softmax over the texts.
  bool sigmoid_scores = false;
  std::string config_path;   // the file the sizes came from
  std::string weights_path;  // .safetensors, pytorch_model.bin, or an .index.json of shards
};

// Finds the layout in `model_dir`, parses its configuration and locates its weights.
Result<ClipConfig> load_clip_config(const std::string& model_dir);

// Parses configuration text (exposed for tests and the fuzzer). `name` is used in messages.
Result<ClipConfig> parse_hf_config(const std::string& json_text, const std::string& name);
Result<ClipConfig> parse_open_clip_config(const std::string& json_text, const std::string& name);
// A config.json of model_type "siglip" (parse_hf_config hands those to it).
Result<ClipConfig> parse_siglip_config(const std::string& json_text, const std::string& name);

// The file beside open_clip_config.json that holds the architecture of a Hugging Face text tower
// (model_cfg.text_cfg.hf_model_name): that repository's config.json, as
// AutoConfig.from_pretrained(hf_model_name) reads it. `clipsearch pull` fetches it.
inline constexpr const char* kHfTextConfigFile = "hf_text_config.json";

// Reads a Hugging Face text tower's architecture (a BertConfig, RobertaConfig or
// XLMRobertaConfig) into config->text, whose tower, pooling and projection
// parse_open_clip_config set. `name` is used in messages.
Status parse_hf_text_config(const std::string& json_text, const std::string& name,
                            ClipConfig* config);

}  // namespace clipsearch
