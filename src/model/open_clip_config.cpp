// open_clip_config.json: model_cfg (embed_dim, quick_gelu, custom_text, vision_cfg, text_cfg).
//
// ref: open_clip 2.23 CLIPVisionCfg / CLIPTextCfg and _build_vision_tower / _build_text_tower.
// Every key is one of three kinds: read (a size, an activation, the ResNet's stages), checked (an
// option the engine computes only at its default value), or without effect on the embeddings
// (training-only, or a timm/HF field that only matters with a timm/HF tower, which is refused).
// A key of none of these kinds is refused by name: a configuration from a newer open_clip must
// not load into a silently different model.
#include <set>
#include <string>

#include "model/clip_config.h"
#include "model/config_reader.h"

namespace clipsearch {
namespace {

using namespace config_json;

const std::set<std::string> kModelKeys = {"embed_dim",       "quick_gelu",  "vision_cfg",
                                          "text_cfg",        "custom_text", "init_logit_scale",
                                          "init_logit_bias", "cast_dtype"};

const std::set<std::string> kVisionKeys = {
    // read or checked
    "layers", "width", "head_width", "mlp_ratio", "patch_size", "image_size", "ls_init_value",
    "attentional_pool", "no_ln_pre", "pos_embed_type", "final_ln_after_pool", "pool_type",
    "global_average_pool", "input_patchnorm", "act_kwargs", "norm_kwargs", "timm_model_name",
    // no effect on the embeddings
    "patch_dropout", "output_tokens", "attn_pooler_queries", "attn_pooler_heads",
    "timm_model_pretrained", "timm_pool", "timm_proj", "timm_proj_bias", "timm_drop",
    "timm_drop_path"};

const std::set<std::string> kTextKeys = {
    // read or checked
    "context_length", "vocab_size", "width", "heads", "layers", "mlp_ratio", "ls_init_value",
    "embed_cls", "no_causal_mask", "final_ln_after_pool", "pool_type", "proj_bias", "act_kwargs",
    "norm_kwargs", "hf_model_name", "hf_tokenizer_name", "tokenizer_kwargs",
    // no effect on the embeddings (pad_id: texts are pooled before any padding)
    "pad_id", "output_tokens", "hf_model_pretrained", "hf_proj_type", "hf_pooler_type", "proj",
    "pooler_type"};

Status only_known_keys(const json& object, const std::set<std::string>& known, const Reader& r) {
  for (const auto& [key, value] : object.items()) {
    if (known.count(key) == 0) {
      return r.unsupported(key.c_str(),
                           "is an open_clip option this version of clipsearch does "
                           "not know, so it cannot promise the same embeddings");
    }
  }
  return Status();
}

const json& sub_config(const json& model, const char* key) {
  static const json kEmpty = json::object();
  auto it = model.find(key);
  return it != model.end() && it->is_object() ? *it : kEmpty;
}

// act_kwargs and norm_kwargs: what open_clip passes to nn.GELU and LayerNorm.
Status read_kwargs(const json& cfg, const Reader& r, TransformerConfig* t) {
  if (cfg.contains("act_kwargs") && !cfg["act_kwargs"].is_null()) {
    const json& act = cfg["act_kwargs"];
    // ref: nn.GELU(approximate="none" | "tanh"); QuickGELU takes no arguments.
    const bool approximate_only = act.is_object() && act.size() == 1 &&
                                  act.contains("approximate") &&
                                  (act["approximate"] == "none" || act["approximate"] == "tanh");
    if (!act.empty() && (t->activation != Activation::kGelu || !approximate_only)) {
      return r.unsupported("act_kwargs", "is " + act.dump() +
                                             "; only {\"approximate\": \"none\" or \"tanh\"} "
                                             "with GELU is supported");
    }
    if (approximate_only && act["approximate"] == "tanh") t->activation = Activation::kGeluTanh;
  }
  if (cfg.contains("norm_kwargs") && !cfg["norm_kwargs"].is_null()) {
    const json& norm = cfg["norm_kwargs"];
    if (!norm.is_object() || norm.size() > 1 || (norm.size() == 1 && !norm.contains("eps"))) {
      return r.unsupported("norm_kwargs",
                           "is " + norm.dump() + "; only {\"eps\": number} is supported");
    }
    if (norm.contains("eps")) {
      if (!norm["eps"].is_number()) return r.error("norm_kwargs", "eps is not a number");
      const double eps = norm["eps"].get<double>();
      if (!(eps > 0 && eps < 1)) return r.error("norm_kwargs", "eps must be in (0, 1)");
      t->layer_norm_eps = static_cast<float>(eps);
    }
  }
  return Status();
}

Status read_image_size(const json& vcfg, const Reader& vision, int64_t* size) {
  if (vcfg.contains("image_size") && vcfg["image_size"].is_array()) {
    const json& s = vcfg["image_size"];
    if (s.size() != 2 || s[0] != s[1]) {
      return vision.unsupported("image_size", "is not square; only square images are supported");
    }
    if (!s[0].is_number_integer() || s[0].get<int64_t>() < 1 || s[0].get<int64_t>() > kMaxDim) {
      return vision.error("image_size", "is not a valid size");
    }
    *size = s[0].get<int64_t>();
    return Status();
  }
  return vision.integer("image_size", 224, size);
}

// ref: open_clip ModifiedResNet: vision_cfg.layers is the list of the four stages' block counts,
// heads = width * 32 // head_width, the attention pooling's positions are for image_size // 32.
Status read_resnet(const json& vcfg, const Reader& vision, VisionConfig* v) {
  const json& layers = vcfg["layers"];
  if (layers.size() != 4) {
    return vision.error("layers", "is a list of " + std::to_string(layers.size()) +
                                      " stages; a ModifiedResNet has 4");
  }
  for (const json& blocks : layers) {
    if (!blocks.is_number_integer() || blocks.get<int64_t>() < 1 || blocks.get<int64_t>() > 1024) {
      return vision.error("layers", "holds " + blocks.dump() + "; expected block counts 1..1024");
    }
    v->resnet.stage_blocks.push_back(blocks.get<int64_t>());
  }
  v->tower = ImageTower::kModifiedResNet;
  CLIPSEARCH_RETURN_IF_ERROR(vision.integer("width", 64, &v->resnet.width));
  if (v->resnet.width % 2 != 0 || v->resnet.width > 4096) {
    return vision.error("width", "is " + std::to_string(v->resnet.width) +
                                     "; a ModifiedResNet's width is even (the stem has half of it) "
                                     "and at most 4096");
  }
  int64_t head_width = 0;
  CLIPSEARCH_RETURN_IF_ERROR(vision.integer("head_width", 64, &head_width));
  v->resnet.heads = v->resnet.features() / head_width;
  if (v->resnet.heads < 1 || v->resnet.features() % v->resnet.heads != 0) {
    return vision.error("head_width", "gives " + std::to_string(v->resnet.heads) +
                                          " heads, which do not divide the " +
                                          std::to_string(v->resnet.features()) + " features");
  }
  CLIPSEARCH_RETURN_IF_ERROR(read_image_size(vcfg, vision, &v->image_size));
  // The stem's stride-2 conv (padding 1) gives ceil(size / 2), then four halvings (floor).
  int64_t side = (v->image_size + 1) / 2;
  for (int i = 0; i < 4; ++i) side /= 2;
  if (side < 1 || side != v->grid()) {
    return vision.unsupported("image_size",
                              "is " + std::to_string(v->image_size) + ": the last stage's map is " +
                                  std::to_string(side) +
                                  " wide, but the attention pooling has positions for " +
                                  std::to_string(v->grid()) + " (use a multiple of 32)");
  }
  return Status();
}

Status read_vit(const json& vcfg, const Reader& vision, VisionConfig* v) {
  // Options that change the computation: refused unless at the value the engine implements.
  CLIPSEARCH_RETURN_IF_ERROR(vision.require_default("ls_init_value", nullptr));
  CLIPSEARCH_RETURN_IF_ERROR(vision.require_default("attentional_pool", false));
  CLIPSEARCH_RETURN_IF_ERROR(vision.require_default("no_ln_pre", false));
  CLIPSEARCH_RETURN_IF_ERROR(vision.require_default("final_ln_after_pool", false));
  CLIPSEARCH_RETURN_IF_ERROR(vision.require_default("pool_type", "tok"));
  CLIPSEARCH_RETURN_IF_ERROR(vision.require_default("pos_embed_type", "learnable"));
  CLIPSEARCH_RETURN_IF_ERROR(vision.require_default("global_average_pool", false));
  CLIPSEARCH_RETURN_IF_ERROR(vision.require_default("input_patchnorm", false));
  CLIPSEARCH_RETURN_IF_ERROR(read_kwargs(vcfg, vision, v));
  CLIPSEARCH_RETURN_IF_ERROR(vision.integer("layers", 12, &v->layers));
  CLIPSEARCH_RETURN_IF_ERROR(vision.integer("width", 768, &v->width));
  int64_t head_width = 0;
  CLIPSEARCH_RETURN_IF_ERROR(vision.integer("head_width", 64, &head_width));
  if (v->width % head_width != 0) {
    return vision.error("head_width", "does not divide width " + std::to_string(v->width));
  }
  v->heads = v->width / head_width;
  double mlp_ratio = 0;
  CLIPSEARCH_RETURN_IF_ERROR(vision.number("mlp_ratio", 4.0, &mlp_ratio));
  v->mlp_width = static_cast<int64_t>(static_cast<double>(v->width) * mlp_ratio);  // ref: int()
  CLIPSEARCH_RETURN_IF_ERROR(vision.integer("patch_size", 16, &v->patch_size));
  CLIPSEARCH_RETURN_IF_ERROR(read_image_size(vcfg, vision, &v->image_size));
  if (v->patch_size > v->image_size) return vision.error("patch_size", "is larger than image_size");
  if (v->mlp_width < 1 || v->mlp_width > kMaxDim) {
    return vision.error("mlp_ratio", "gives an MLP width out of range");
  }
  return check_heads(*v, vision.where());
}

// ref: open_clip HFTextEncoder: the Hugging Face model (its architecture read later from
// kHfTextConfigFile), a pooler (hf_pooler_type, default mean_pooler) and a projection
// (hf_proj_type, default mlp). The CLIP tower's keys are not used.
Status read_hf_text(const Reader& text, TextConfig* t) {
  t->tower = TextTower::kBert;
  t->post_norm = true;
  std::string pooler;
  CLIPSEARCH_RETURN_IF_ERROR(text.string("hf_pooler_type", "mean_pooler", &pooler));
  if (pooler == "mean_pooler") {
    t->pooling = TextPooling::kMean;
  } else if (pooler == "cls_last_hidden_state_pooler") {
    t->pooling = TextPooling::kFirstToken;
  } else {
    return text.unsupported(
        "hf_pooler_type",
        "'" + pooler + "' is not supported (mean_pooler, cls_last_hidden_state_pooler)");
  }
  if (text.has_null("hf_proj_type")) {
    t->projection = TextProjection::kIdentity;
    return Status();
  }
  std::string proj;
  CLIPSEARCH_RETURN_IF_ERROR(text.string("hf_proj_type", "mlp", &proj));
  if (proj == "mlp") {
    t->projection = TextProjection::kMlp;
  } else if (proj == "linear") {
    t->projection = TextProjection::kLinear;
  } else {
    return text.unsupported("hf_proj_type", "'" + proj + "' is not supported (mlp, linear, null)");
  }
  return Status();
}

Status read_text(const json& tcfg, const Reader& text, TextConfig* t) {
  if (tcfg.contains("hf_model_name") && !tcfg["hf_model_name"].is_null()) {
    return read_hf_text(text, t);
  }
  for (const char* key : {"hf_tokenizer_name", "tokenizer_kwargs"}) {
    CLIPSEARCH_RETURN_IF_ERROR(text.require_default(key, nullptr));
  }
  CLIPSEARCH_RETURN_IF_ERROR(text.require_default("ls_init_value", nullptr));
  CLIPSEARCH_RETURN_IF_ERROR(text.require_default("embed_cls", false));
  CLIPSEARCH_RETURN_IF_ERROR(text.require_default("no_causal_mask", false));
  CLIPSEARCH_RETURN_IF_ERROR(text.require_default("final_ln_after_pool", false));
  CLIPSEARCH_RETURN_IF_ERROR(text.require_default("pool_type", "argmax"));
  CLIPSEARCH_RETURN_IF_ERROR(text.require_default("proj_bias", false));
  CLIPSEARCH_RETURN_IF_ERROR(read_kwargs(tcfg, text, t));
  CLIPSEARCH_RETURN_IF_ERROR(text.integer("context_length", 77, &t->context_length));
  CLIPSEARCH_RETURN_IF_ERROR(text.integer("vocab_size", 49408, &t->vocab_size));
  CLIPSEARCH_RETURN_IF_ERROR(text.integer("width", 512, &t->width));
  CLIPSEARCH_RETURN_IF_ERROR(text.integer("heads", 8, &t->heads));
  CLIPSEARCH_RETURN_IF_ERROR(text.integer("layers", 12, &t->layers));
  double mlp_ratio = 0;
  CLIPSEARCH_RETURN_IF_ERROR(text.number("mlp_ratio", 4.0, &mlp_ratio));
  t->mlp_width = static_cast<int64_t>(static_cast<double>(t->width) * mlp_ratio);
  if (t->mlp_width < 1 || t->mlp_width > kMaxDim) {
    return text.error("mlp_ratio", "gives an MLP width out of range");
  }
  return check_heads(*t, text.where());
}

}  // namespace

Result<ClipConfig> parse_open_clip_config(const std::string& json_text, const std::string& name) {
  CLIPSEARCH_ASSIGN_OR_RETURN(json root, parse_object(json_text, name));
  // The published files wrap the model config in "model_cfg"; a bare model config works too.
  const json& model =
      root.contains("model_cfg") && root["model_cfg"].is_object() ? root["model_cfg"] : root;
  ClipConfig config;
  config.layout = ModelLayout::kOpenClip;
  Reader top(model, name + ": model_cfg.");
  CLIPSEARCH_RETURN_IF_ERROR(only_known_keys(model, kModelKeys, top));
  CLIPSEARCH_RETURN_IF_ERROR(top.integer("embed_dim", 512, &config.projection_dim));
  bool quick_gelu = false;
  CLIPSEARCH_RETURN_IF_ERROR(top.boolean("quick_gelu", false, &quick_gelu));
  CLIPSEARCH_RETURN_IF_ERROR(top.boolean("custom_text", false, &config.custom_text));
  // ref: _build_vision_tower / _build_text_tower: QuickGELU or nn.GELU in both towers.
  const Activation act = quick_gelu ? Activation::kQuickGelu : Activation::kGelu;

  const json& vcfg = sub_config(model, "vision_cfg");
  const json& tcfg = sub_config(model, "text_cfg");
  Reader vision(vcfg, name + ": model_cfg.vision_cfg.");
  Reader text(tcfg, name + ": model_cfg.text_cfg.");
  CLIPSEARCH_RETURN_IF_ERROR(only_known_keys(vcfg, kVisionKeys, vision));
  CLIPSEARCH_RETURN_IF_ERROR(only_known_keys(tcfg, kTextKeys, text));
  CLIPSEARCH_RETURN_IF_ERROR(vision.require_default("timm_model_name", nullptr));
  config.vision.activation = act;
  config.text.activation = act;
  if (vcfg.contains("layers") && vcfg["layers"].is_array()) {
    CLIPSEARCH_RETURN_IF_ERROR(read_resnet(vcfg, vision, &config.vision));
  } else {
    CLIPSEARCH_RETURN_IF_ERROR(read_vit(vcfg, vision, &config.vision));
  }
  CLIPSEARCH_RETURN_IF_ERROR(read_text(tcfg, text, &config.text));
  // ref: open_clip create_model: a Hugging Face text tower always makes a CustomTextCLIP.
  if (config.text.tower == TextTower::kBert) config.custom_text = true;
  return config;
}

}  // namespace clipsearch
