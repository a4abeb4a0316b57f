// ClipConfig: every size of a CLIP model, read from the model folder's configuration.
//
// Two published layouts are understood:
//  - Hugging Face CLIPModel: config.json (text_config, vision_config, projection_dim) with
//    model.safetensors or sharded model-*.safetensors + model.safetensors.index.json;
//  - open_clip: open_clip_config.json (model_cfg.vision_cfg / text_cfg, embed_dim, quick_gelu)
//    with open_clip_model.safetensors (OpenAI tensor names, fused in_proj attention weights).
// Missing fields take the reference's defaults (transformers 4.25.1 CLIPTextConfig /
// CLIPVisionConfig; open_clip 2.23 CLIPVisionCfg / CLIPTextCfg). Nothing is fixed for one model.
#pragma once

#include <cstdint>
#include <string>

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
  int64_t head_dim() const { return width / heads; }
};

struct VisionConfig : TransformerConfig {
  int64_t image_size = 0;
  int64_t patch_size = 0;
  int64_t channels = 3;
  int64_t grid() const { return image_size / patch_size; }  // patches per side
  int64_t tokens() const { return grid() * grid() + 1; }    // patches + class token
};

struct TextConfig : TransformerConfig {
  int64_t vocab_size = 0;
  int64_t context_length = 0;
};

struct ClipConfig {
  ModelLayout layout = ModelLayout::kHuggingFace;
  VisionConfig vision;
  TextConfig text;
  int64_t projection_dim = 0;
  std::string config_path;   // the file the sizes came from
  std::string weights_path;  // .safetensors, pytorch_model.bin, or an .index.json of shards
};

// Finds the layout in `model_dir`, parses its configuration and locates its weights.
Result<ClipConfig> load_clip_config(const std::string& model_dir);

// Parses configuration text (exposed for tests and the fuzzer). `name` is used in messages.
Result<ClipConfig> parse_hf_config(const std::string& json_text, const std::string& name);
Result<ClipConfig> parse_open_clip_config(const std::string& json_text, const std::string& name);

}  // namespace clipsearch
