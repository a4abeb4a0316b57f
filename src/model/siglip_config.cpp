// SigLIP's config.json (model_type "siglip"): SiglipModel's text and vision towers.
//
// ref: transformers 4.37.2 SiglipConfig, SiglipTextConfig, SiglipVisionConfig. The published
// configs are minimal ({"model_type": "siglip", "text_config": {"vocab_size": 256000}, ...}), so
// the defaults matter: both towers 768 wide, 12 layers of 12 heads, MLP 3072, gelu_pytorch_tanh,
// layer norms with eps 1e-6; text: vocabulary 32000, 64 positions; vision: 224 px, patch 16.
// The fixed-resolution SigLIP 2 checkpoints (google/siglip2-base-patch16-224, ...) are such
// folders too, with a 256k vocabulary.
#include "model/clip_config.h"
#include "model/config_reader.h"

namespace clipsearch {
namespace {

using namespace config_json;

const json& tower_object(const json& root, const char* key) {
  static const json kEmpty = json::object();
  auto it = root.find(key);
  return it != root.end() && it->is_object() ? *it : kEmpty;
}

// The fields SiglipTextConfig and SiglipVisionConfig share.
Status read_siglip_tower(const Reader& r, TransformerConfig* t) {
  CLIPSEARCH_RETURN_IF_ERROR(r.integer("hidden_size", 768, &t->width));
  CLIPSEARCH_RETURN_IF_ERROR(r.integer("intermediate_size", 3072, &t->mlp_width));
  CLIPSEARCH_RETURN_IF_ERROR(r.integer("num_hidden_layers", 12, &t->layers));
  CLIPSEARCH_RETURN_IF_ERROR(r.integer("num_attention_heads", 12, &t->heads));
  std::string act;
  CLIPSEARCH_RETURN_IF_ERROR(r.string("hidden_act", "gelu_pytorch_tanh", &act));
  CLIPSEARCH_ASSIGN_OR_RETURN(t->activation, parse_activation(act, r.where()));
  double eps = 0;
  CLIPSEARCH_RETURN_IF_ERROR(r.number("layer_norm_eps", 1e-6, &eps));
  if (!(eps > 0 && eps < 1)) return r.error("layer_norm_eps", "must be in (0, 1)");
  t->layer_norm_eps = static_cast<float>(eps);  // every SigLIP nn.LayerNorm is built with it
  return check_heads(*t, r.where());
}

// ref: SiglipTextTransformer: embeddings, encoder (no mask), final_layer_norm, the last
// position, head = nn.Linear(hidden_size, hidden_size).
Status read_siglip_text(const Reader& r, TextConfig* t) {
  t->tower = TextTower::kSiglip;
  CLIPSEARCH_RETURN_IF_ERROR(read_siglip_tower(r, t));
  CLIPSEARCH_RETURN_IF_ERROR(r.integer("vocab_size", 32000, &t->vocab_size, kMaxVocab));
  CLIPSEARCH_RETURN_IF_ERROR(r.integer("max_position_embeddings", 64, &t->context_length));
  // Later transformers (4.50) size the head by projection_size; 4.37.2 ignores the key and
  // builds a square head, which a checkpoint of another size would not load into.
  int64_t projection_size = 0;
  CLIPSEARCH_RETURN_IF_ERROR(r.integer("projection_size", t->width, &projection_size));
  if (projection_size != t->width) {
    return r.unsupported("projection_size", "is " + std::to_string(projection_size) +
                                                ", not hidden_size " + std::to_string(t->width) +
                                                ": a text head of another size is not supported");
  }
  return r.require_default("no_head", false);
}

// ref: SiglipVisionTransformer: patch conv with bias, position embeddings of the patches,
// encoder, post_layernorm, SiglipMultiheadAttentionPoolingHead.
Status read_siglip_vision(const Reader& r, VisionConfig* v) {
  v->tower = ImageTower::kVisionTransformer;
  v->pooling = VisionPooling::kAttentionProbe;
  CLIPSEARCH_RETURN_IF_ERROR(read_siglip_tower(r, v));
  CLIPSEARCH_RETURN_IF_ERROR(r.integer("image_size", 224, &v->image_size));
  CLIPSEARCH_RETURN_IF_ERROR(r.integer("patch_size", 16, &v->patch_size));
  CLIPSEARCH_RETURN_IF_ERROR(r.integer("num_channels", 3, &v->channels));
  if (v->patch_size > v->image_size) return r.error("patch_size", "is larger than image_size");
  // Later transformers can drop the pooling head (vision_use_head false): no image embedding.
  return r.require_default("vision_use_head", true);
}

}  // namespace

Result<ClipConfig> parse_siglip_config(const std::string& json_text, const std::string& name) {
  CLIPSEARCH_ASSIGN_OR_RETURN(json root, parse_object(json_text, name));
  ClipConfig config;
  config.layout = ModelLayout::kHuggingFace;
  config.sigmoid_scores = true;
  Reader text(tower_object(root, "text_config"), name + ": text_config.");
  Reader vision(tower_object(root, "vision_config"), name + ": vision_config.");
  CLIPSEARCH_RETURN_IF_ERROR(read_siglip_text(text, &config.text));
  CLIPSEARCH_RETURN_IF_ERROR(read_siglip_vision(vision, &config.vision));
  // ref: SiglipModel.forward compares the two towers' outputs directly (no projections).
  if (config.text.width != config.vision.width) {
    return Status::unsupported(
        name + ": text_config.hidden_size " + std::to_string(config.text.width) +
        " differs from vision_config.hidden_size " + std::to_string(config.vision.width) +
        ": SigLIP's two embeddings must have the same size");
  }
  config.projection_dim = config.vision.width;
  return config;
}

}  // namespace clipsearch
