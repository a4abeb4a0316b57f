#include "model/clip_config.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace clipsearch {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// Upper bound on any single size: far above every published CLIP, low enough that products of
// sizes cannot overflow.
constexpr int64_t kMaxDim = 1 << 16;

class Reader {
 public:
  Reader(const json& object, std::string where) : object_(object), where_(std::move(where)) {}

  Status integer(const char* key, int64_t fallback, int64_t* out) const {
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) {
      *out = fallback;
      return Status();
    }
    if (!it->is_number_integer()) return error(key, "is not an integer");
    int64_t v = it->get<int64_t>();
    if (v < 1 || v > kMaxDim) {
      return error(key, "is " + std::to_string(v) + ", expected 1.." + std::to_string(kMaxDim));
    }
    *out = v;
    return Status();
  }

  Status number(const char* key, double fallback, double* out) const {
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) {
      *out = fallback;
      return Status();
    }
    if (!it->is_number()) return error(key, "is not a number");
    *out = it->get<double>();
    return Status();
  }

  Status string(const char* key, const std::string& fallback, std::string* out) const {
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) {
      *out = fallback;
      return Status();
    }
    if (!it->is_string()) return error(key, "is not a string");
    *out = it->get<std::string>();
    return Status();
  }

  // Fails if `key` is present and not equal to the value the engine implements.
  Status require_default(const char* key, const json& expected) const {
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null() || *it == expected) return Status();
    return unsupported(key, "is " + it->dump() + "; only " + expected.dump() + " is supported");
  }

  // A value that is wrong in itself (not an integer, out of range).
  Status error(const char* key, const std::string& what) const {
    return Status::invalid_argument(where_ + key + " " + what);
  }
  // A valid value naming a feature the engine does not implement.
  Status unsupported(const char* key, const std::string& what) const {
    return Status::unsupported(where_ + key + " " + what);
  }
  const std::string& where() const { return where_; }

 private:
  const json& object_;
  std::string where_;
};

Result<json> parse_object(const std::string& text, const std::string& name) {
  json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return Status::corruption(name + ": not valid JSON");
  if (!parsed.is_object()) return Status::corruption(name + ": not a JSON object");
  return parsed;
}

Result<Activation> parse_activation(const std::string& name, const std::string& where) {
  if (name == "quick_gelu") return Activation::kQuickGelu;
  if (name == "gelu") return Activation::kGelu;
  if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast") {
    return Activation::kGeluTanh;
  }
  if (name == "relu") return Activation::kRelu;
  return Status::unsupported(where + "hidden_act is '" + name +
                             "'; supported: quick_gelu, gelu, gelu_new, gelu_pytorch_tanh, relu");
}

Status check_heads(const TransformerConfig& t, const std::string& where) {
  if (t.width % t.heads != 0) {
    return Status::invalid_argument(where + "hidden size " + std::to_string(t.width) +
                                    " is not divisible by the number of heads " +
                                    std::to_string(t.heads));
  }
  return Status();
}

Status read_hf_tower(const Reader& r, TransformerConfig* t, int64_t width, int64_t mlp,
                     int64_t layers, int64_t heads) {
  CLIPSEARCH_RETURN_IF_ERROR(r.integer("hidden_size", width, &t->width));
  CLIPSEARCH_RETURN_IF_ERROR(r.integer("intermediate_size", mlp, &t->mlp_width));
  CLIPSEARCH_RETURN_IF_ERROR(r.integer("num_hidden_layers", layers, &t->layers));
  CLIPSEARCH_RETURN_IF_ERROR(r.integer("num_attention_heads", heads, &t->heads));
  std::string act;
  CLIPSEARCH_RETURN_IF_ERROR(r.string("hidden_act", "quick_gelu", &act));
  CLIPSEARCH_ASSIGN_OR_RETURN(t->activation, parse_activation(act, r.where()));
  double eps = 0;
  CLIPSEARCH_RETURN_IF_ERROR(r.number("layer_norm_eps", 1e-5, &eps));
  if (!(eps > 0 && eps < 1)) return r.error("layer_norm_eps", "must be in (0, 1)");
  // ref: transformers 4.25.1 builds every CLIP nn.LayerNorm with torch's default eps (1e-5),
  // whatever layer_norm_eps says (later versions pass it on). The published CLIP checkpoints
  // all declare 1e-5, so both agree on them; clipsearch follows the pinned reference.
  t->layer_norm_eps = 1e-5f;
  return check_heads(*t, r.where());
}

const json& sub_object(const json& root, const char* key, const char* legacy_key) {
  static const json kEmpty = json::object();
  // ref: CLIPConfig.__init__ prefers the legacy *_config_dict when present.
  auto legacy = root.find(legacy_key);
  if (legacy != root.end() && legacy->is_object()) return *legacy;
  auto it = root.find(key);
  if (it != root.end() && it->is_object()) return *it;
  return kEmpty;
}

Result<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::io_error(path.string() + ": cannot open");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

bool is_hf_clip_config(const fs::path& path) {
  auto text = read_file(path);
  if (!text.ok()) return false;
  json parsed = json::parse(text.value(), nullptr, false);
  if (!parsed.is_object()) return false;
  auto type = parsed.find("model_type");
  if (type != parsed.end() && type->is_string() && type->get<std::string>() == "clip") return true;
  return parsed.contains("text_config") || parsed.contains("vision_config") ||
         parsed.contains("text_config_dict");
}

}  // namespace

Result<ClipConfig> parse_hf_config(const std::string& json_text, const std::string& name) {
  CLIPSEARCH_ASSIGN_OR_RETURN(json root, parse_object(json_text, name));
  ClipConfig config;
  config.layout = ModelLayout::kHuggingFace;
  Reader top(root, name + ": ");
  Reader text(sub_object(root, "text_config", "text_config_dict"), name + ": text_config.");
  Reader vision(sub_object(root, "vision_config", "vision_config_dict"), name + ": vision_config.");
  CLIPSEARCH_RETURN_IF_ERROR(top.integer("projection_dim", 512, &config.projection_dim));
  // ref: transformers 4.25.1 CLIPTextConfig / CLIPVisionConfig defaults.
  CLIPSEARCH_RETURN_IF_ERROR(read_hf_tower(text, &config.text, 512, 2048, 12, 8));
  CLIPSEARCH_RETURN_IF_ERROR(text.integer("vocab_size", 49408, &config.text.vocab_size));
  CLIPSEARCH_RETURN_IF_ERROR(
      text.integer("max_position_embeddings", 77, &config.text.context_length));
  CLIPSEARCH_RETURN_IF_ERROR(read_hf_tower(vision, &config.vision, 768, 3072, 12, 12));
  CLIPSEARCH_RETURN_IF_ERROR(vision.integer("image_size", 224, &config.vision.image_size));
  CLIPSEARCH_RETURN_IF_ERROR(vision.integer("patch_size", 32, &config.vision.patch_size));
  CLIPSEARCH_RETURN_IF_ERROR(vision.integer("num_channels", 3, &config.vision.channels));
  if (config.vision.patch_size > config.vision.image_size) {
    return vision.error("patch_size", "is larger than image_size");
  }
  return config;
}

Result<ClipConfig> parse_open_clip_config(const std::string& json_text, const std::string& name) {
  CLIPSEARCH_ASSIGN_OR_RETURN(json root, parse_object(json_text, name));
  // The published files wrap the model config in "model_cfg"; a bare model config works too.
  const json& model =
      root.contains("model_cfg") && root["model_cfg"].is_object() ? root["model_cfg"] : root;
  ClipConfig config;
  config.layout = ModelLayout::kOpenClip;
  Reader top(model, name + ": model_cfg.");
  CLIPSEARCH_RETURN_IF_ERROR(top.integer("embed_dim", 512, &config.projection_dim));
  auto quick = model.find("quick_gelu");
  bool quick_gelu = quick != model.end() && quick->is_boolean() && quick->get<bool>();
  const Activation act = quick_gelu ? Activation::kQuickGelu : Activation::kGelu;
  for (const char* unsupported : {"custom_text", "text_tower"}) {
    if (model.contains(unsupported)) return top.unsupported(unsupported, "is not supported");
  }

  static const json kEmpty = json::object();
  const json& vcfg = model.contains("vision_cfg") ? model["vision_cfg"] : kEmpty;
  const json& tcfg = model.contains("text_cfg") ? model["text_cfg"] : kEmpty;
  Reader vision(vcfg, name + ": model_cfg.vision_cfg.");
  Reader text(tcfg, name + ": model_cfg.text_cfg.");
  if (vcfg.contains("layers") && vcfg["layers"].is_array()) {
    return vision.unsupported("layers",
                              "is a list: ModifiedResNet image towers are not supported yet");
  }
  for (const char* key : {"timm_model_name", "hf_model_name"}) {
    if (vcfg.contains(key) && !vcfg[key].is_null())
      return vision.unsupported(key, "is not supported");
    if (tcfg.contains(key) && !tcfg[key].is_null())
      return text.unsupported(key, "is not supported");
  }
  // Options that change the computation: refused unless at the value the engine implements.
  CLIPSEARCH_RETURN_IF_ERROR(vision.require_default("ls_init_value", nullptr));
  CLIPSEARCH_RETURN_IF_ERROR(vision.require_default("attentional_pool", false));
  CLIPSEARCH_RETURN_IF_ERROR(vision.require_default("no_ln_pre", false));
  CLIPSEARCH_RETURN_IF_ERROR(vision.require_default("final_ln_after_pool", false));
  CLIPSEARCH_RETURN_IF_ERROR(vision.require_default("pool_type", "tok"));
  CLIPSEARCH_RETURN_IF_ERROR(vision.require_default("pos_embed_type", "learnable"));
  CLIPSEARCH_RETURN_IF_ERROR(vision.require_default("global_average_pool", false));
  CLIPSEARCH_RETURN_IF_ERROR(text.require_default("ls_init_value", nullptr));
  CLIPSEARCH_RETURN_IF_ERROR(text.require_default("embed_cls", false));
  CLIPSEARCH_RETURN_IF_ERROR(text.require_default("no_causal_mask", false));
  CLIPSEARCH_RETURN_IF_ERROR(text.require_default("final_ln_after_pool", false));
  CLIPSEARCH_RETURN_IF_ERROR(text.require_default("pool_type", "argmax"));
  CLIPSEARCH_RETURN_IF_ERROR(text.require_default("proj_bias", false));

  // ref: open_clip 2.23 CLIPVisionCfg / CLIPTextCfg defaults.
  VisionConfig& v = config.vision;
  CLIPSEARCH_RETURN_IF_ERROR(vision.integer("layers", 12, &v.layers));
  CLIPSEARCH_RETURN_IF_ERROR(vision.integer("width", 768, &v.width));
  int64_t head_width = 0;
  CLIPSEARCH_RETURN_IF_ERROR(vision.integer("head_width", 64, &head_width));
  if (v.width % head_width != 0) {
    return vision.error("head_width", "does not divide width " + std::to_string(v.width));
  }
  v.heads = v.width / head_width;
  double mlp_ratio = 0;
  CLIPSEARCH_RETURN_IF_ERROR(vision.number("mlp_ratio", 4.0, &mlp_ratio));
  v.mlp_width = static_cast<int64_t>(static_cast<double>(v.width) * mlp_ratio);  // ref: int()
  CLIPSEARCH_RETURN_IF_ERROR(vision.integer("patch_size", 16, &v.patch_size));
  if (vcfg.contains("image_size") && vcfg["image_size"].is_array()) {
    const json& size = vcfg["image_size"];
    if (size.size() != 2 || size[0] != size[1]) {
      return vision.unsupported("image_size", "is not square; only square images are supported");
    }
    if (!size[0].is_number_integer() || size[0].get<int64_t>() < 1 ||
        size[0].get<int64_t>() > kMaxDim) {
      return vision.error("image_size", "is not a valid size");
    }
    v.image_size = size[0].get<int64_t>();
  } else {
    CLIPSEARCH_RETURN_IF_ERROR(vision.integer("image_size", 224, &v.image_size));
  }
  if (v.patch_size > v.image_size) return vision.error("patch_size", "is larger than image_size");
  v.activation = act;

  TextConfig& t = config.text;
  CLIPSEARCH_RETURN_IF_ERROR(text.integer("context_length", 77, &t.context_length));
  CLIPSEARCH_RETURN_IF_ERROR(text.integer("vocab_size", 49408, &t.vocab_size));
  CLIPSEARCH_RETURN_IF_ERROR(text.integer("width", 512, &t.width));
  CLIPSEARCH_RETURN_IF_ERROR(text.integer("heads", 8, &t.heads));
  CLIPSEARCH_RETURN_IF_ERROR(text.integer("layers", 12, &t.layers));
  CLIPSEARCH_RETURN_IF_ERROR(text.number("mlp_ratio", 4.0, &mlp_ratio));
  t.mlp_width = static_cast<int64_t>(static_cast<double>(t.width) * mlp_ratio);
  t.activation = act;
  if (v.mlp_width < 1 || t.mlp_width < 1 || v.mlp_width > kMaxDim || t.mlp_width > kMaxDim) {
    return Status::invalid_argument(name + ": mlp_ratio gives an MLP width out of range");
  }
  CLIPSEARCH_RETURN_IF_ERROR(check_heads(v, vision.where()));
  CLIPSEARCH_RETURN_IF_ERROR(check_heads(t, text.where()));
  return config;
}

Result<ClipConfig> load_clip_config(const std::string& model_dir) {
  const fs::path dir(model_dir);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return Status::not_found(model_dir + ": not a model folder (no such directory)");
  }
  const fs::path hf_config = dir / "config.json";
  const fs::path oc_config = dir / "open_clip_config.json";
  ClipConfig config;
  if (fs::exists(hf_config) && is_hf_clip_config(hf_config)) {
    CLIPSEARCH_ASSIGN_OR_RETURN(std::string text, read_file(hf_config));
    CLIPSEARCH_ASSIGN_OR_RETURN(config, parse_hf_config(text, hf_config.string()));
    config.config_path = hf_config.string();
    if (fs::exists(dir / "model.safetensors")) {
      config.weights_path = (dir / "model.safetensors").string();
    } else if (fs::exists(dir / "model.safetensors.index.json")) {
      config.weights_path = (dir / "model.safetensors.index.json").string();
    } else if (fs::exists(dir / "pytorch_model.bin")) {
      config.weights_path = (dir / "pytorch_model.bin").string();
    } else if (fs::exists(dir / "pytorch_model.bin.index.json")) {
      config.weights_path = (dir / "pytorch_model.bin.index.json").string();
    } else {
      return Status::not_found(model_dir +
                               ": no model.safetensors, pytorch_model.bin or their .index.json "
                               "beside config.json");
    }
  } else if (fs::exists(oc_config)) {
    CLIPSEARCH_ASSIGN_OR_RETURN(std::string text, read_file(oc_config));
    CLIPSEARCH_ASSIGN_OR_RETURN(config, parse_open_clip_config(text, oc_config.string()));
    config.config_path = oc_config.string();
    if (!fs::exists(dir / "open_clip_model.safetensors")) {
      return Status::not_found(model_dir +
                               ": no open_clip_model.safetensors beside "
                               "open_clip_config.json");
    }
    config.weights_path = (dir / "open_clip_model.safetensors").string();
  } else if (fs::exists(hf_config)) {
    // Another model family's config is unsupported; one that is not even a JSON object is damaged.
    auto text = read_file(hf_config);
    const bool object = text.ok() && json::parse(text.value(), nullptr, false).is_object();
    return Status::error(object ? StatusCode::kUnsupported : StatusCode::kCorruption,
                         hf_config.string() +
                             ": not a CLIP configuration (no model_type \"clip\", "
                             "text_config or vision_config)");
  } else {
    return Status::not_found(model_dir +
                             ": no config.json (Hugging Face CLIPModel) or "
                             "open_clip_config.json (open_clip) in this folder");
  }
  return config;
}

}  // namespace clipsearch
