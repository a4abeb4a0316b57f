#include "model/clip_config.h"

#include "model/config_reader.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace clipsearch {
namespace {

using namespace config_json;
namespace fs = std::filesystem;

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

// ref: transformers 4.25.1 BertConfig (ChineseCLIPTextConfig is one) and RobertaConfig /
// XLMRobertaConfig (BertConfig's fields and defaults, pad_token_id 1): their defaults, and the
// options whose other values change the computation, refused by name. `roberta`: positions count
// from pad_token_id + 1 (ref: RobertaEmbeddings, create_position_ids_from_input_ids).
Status read_bert_text(const Reader& r, bool roberta, TextConfig* t) {
  t->tower = TextTower::kBert;
  t->post_norm = true;
  if (roberta) {
    int64_t pad = 0;
    CLIPSEARCH_RETURN_IF_ERROR(r.integer("pad_token_id", 1, &pad));
    t->position_offset = pad + 1;
  }
  CLIPSEARCH_RETURN_IF_ERROR(r.integer("hidden_size", 768, &t->width));
  CLIPSEARCH_RETURN_IF_ERROR(r.integer("intermediate_size", 3072, &t->mlp_width));
  CLIPSEARCH_RETURN_IF_ERROR(r.integer("num_hidden_layers", 12, &t->layers));
  CLIPSEARCH_RETURN_IF_ERROR(r.integer("num_attention_heads", 12, &t->heads));
  CLIPSEARCH_RETURN_IF_ERROR(r.integer("vocab_size", 30522, &t->vocab_size, kMaxVocab));
  CLIPSEARCH_RETURN_IF_ERROR(r.integer("max_position_embeddings", 512, &t->context_length));
  CLIPSEARCH_RETURN_IF_ERROR(r.integer("type_vocab_size", 2, &t->type_vocab_size));
  if (t->type_vocab_size < 1) return r.error("type_vocab_size", "must be at least 1");
  std::string act;
  CLIPSEARCH_RETURN_IF_ERROR(r.string("hidden_act", "gelu", &act));
  CLIPSEARCH_ASSIGN_OR_RETURN(t->activation, parse_activation(act, r.where()));
  double eps = 0;
  CLIPSEARCH_RETURN_IF_ERROR(r.number("layer_norm_eps", 1e-12, &eps));
  if (!(eps > 0 && eps < 1)) return r.error("layer_norm_eps", "must be in (0, 1)");
  t->layer_norm_eps = static_cast<float>(eps);  // BERT's layer norms do use it
  std::string position_type;
  CLIPSEARCH_RETURN_IF_ERROR(r.string("position_embedding_type", "absolute", &position_type));
  if (position_type != "absolute") {
    return r.unsupported("position_embedding_type",
                         "'" + position_type + "' is not supported (only 'absolute')");
  }
  CLIPSEARCH_RETURN_IF_ERROR(r.require_default("is_decoder", false));
  CLIPSEARCH_RETURN_IF_ERROR(r.require_default("pruned_heads", json::object()));
  if (t->max_tokens() < 2) {
    return r.error("max_position_embeddings",
                   "leaves room for " + std::to_string(t->max_tokens()) +
                       " tokens; a text needs at least its start and end tokens");
  }
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
  if (type != parsed.end() && type->is_string() &&
      (type->get<std::string>() == "clip" || type->get<std::string>() == "chinese_clip" ||
       type->get<std::string>() == "siglip")) {
    return true;
  }
  return parsed.contains("text_config") || parsed.contains("vision_config") ||
         parsed.contains("text_config_dict");
}

}  // namespace

Result<ClipConfig> parse_hf_config(const std::string& json_text, const std::string& name) {
  CLIPSEARCH_ASSIGN_OR_RETURN(json root, parse_object(json_text, name));
  auto type = root.find("model_type");
  if (type != root.end() && *type == "siglip") return parse_siglip_config(json_text, name);
  ClipConfig config;
  config.layout = ModelLayout::kHuggingFace;
  Reader top(root, name + ": ");
  Reader text(sub_object(root, "text_config", "text_config_dict"), name + ": text_config.");
  Reader vision(sub_object(root, "vision_config", "vision_config_dict"), name + ": vision_config.");
  CLIPSEARCH_RETURN_IF_ERROR(top.integer("projection_dim", 512, &config.projection_dim));
  std::string model_type;
  CLIPSEARCH_RETURN_IF_ERROR(top.string("model_type", "clip", &model_type));
  if (model_type == "chinese_clip") {
    CLIPSEARCH_RETURN_IF_ERROR(read_bert_text(text, /*roberta=*/false, &config.text));
  } else if (model_type == "siglip2") {
    // Siglip2Model is SigLIP 2's NaFlex form (each picture at its own aspect ratio and patch
    // count); the fixed-resolution SigLIP 2 checkpoints are SiglipModel folders.
    return top.unsupported("model_type",
                           "'siglip2' (SigLIP 2 NaFlex: pictures at their own aspect ratio) is "
                           "not supported; the fixed-resolution SigLIP 2 checkpoints "
                           "(google/siglip2-base-patch16-224, -256, -384, ...) are");
  } else if (model_type != "clip") {
    return top.unsupported("model_type", "'" + model_type +
                                             "' is not a model family clipsearch runs "
                                             "(clip, chinese_clip, siglip)");
  } else {
    // ref: transformers 4.25.1 CLIPTextConfig / CLIPVisionConfig defaults.
    CLIPSEARCH_RETURN_IF_ERROR(read_hf_tower(text, &config.text, 512, 2048, 12, 8));
    CLIPSEARCH_RETURN_IF_ERROR(text.integer("vocab_size", 49408, &config.text.vocab_size));
    CLIPSEARCH_RETURN_IF_ERROR(
        text.integer("max_position_embeddings", 77, &config.text.context_length));
  }
  // ref: ChineseCLIPVisionConfig has CLIPVisionConfig's fields and defaults.
  CLIPSEARCH_RETURN_IF_ERROR(read_hf_tower(vision, &config.vision, 768, 3072, 12, 12));
  CLIPSEARCH_RETURN_IF_ERROR(vision.integer("image_size", 224, &config.vision.image_size));
  CLIPSEARCH_RETURN_IF_ERROR(vision.integer("patch_size", 32, &config.vision.patch_size));
  CLIPSEARCH_RETURN_IF_ERROR(vision.integer("num_channels", 3, &config.vision.channels));
  if (config.vision.patch_size > config.vision.image_size) {
    return vision.error("patch_size", "is larger than image_size");
  }
  return config;
}

Status parse_hf_text_config(const std::string& json_text, const std::string& name,
                            ClipConfig* config) {
  CLIPSEARCH_ASSIGN_OR_RETURN(json root, parse_object(json_text, name));
  Reader r(root, name + ": ");
  std::string model_type;
  CLIPSEARCH_RETURN_IF_ERROR(r.string("model_type", "", &model_type));
  const bool roberta = model_type == "xlm-roberta" || model_type == "roberta";
  if (!roberta && model_type != "bert") {
    return r.unsupported("model_type", "'" + model_type +
                                           "' is not a text tower clipsearch runs (xlm-roberta, "
                                           "roberta, bert)");
  }
  TextConfig& t = config->text;
  CLIPSEARCH_RETURN_IF_ERROR(read_bert_text(r, roberta, &t));
  if (t.projection == TextProjection::kIdentity && t.width != config->projection_dim) {
    return Status::unsupported(name + ": hidden_size " + std::to_string(t.width) +
                               " differs from embed_dim " + std::to_string(config->projection_dim) +
                               " and open_clip_config.json's text_cfg.hf_proj_type is null");
  }
  return Status();
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
    if (config.text.tower == TextTower::kBert) {
      const fs::path hf_text = dir / kHfTextConfigFile;
      if (!fs::exists(hf_text, ec)) {
        return Status::not_found(
            model_dir + ": the text tower is a Hugging Face model (open_clip_config.json's " +
            "text_cfg.hf_model_name): its config.json is needed beside open_clip_config.json as " +
            kHfTextConfigFile + " (`clipsearch pull` fetches it)");
      }
      CLIPSEARCH_ASSIGN_OR_RETURN(std::string hf_text_json, read_file(hf_text));
      CLIPSEARCH_RETURN_IF_ERROR(parse_hf_text_config(hf_text_json, hf_text.string(), &config));
    }
    // ref: open_clip's hub loading: safetensors first, then the PyTorch checkpoint.
    if (fs::exists(dir / "open_clip_model.safetensors")) {
      config.weights_path = (dir / "open_clip_model.safetensors").string();
    } else if (fs::exists(dir / "open_clip_pytorch_model.bin")) {
      config.weights_path = (dir / "open_clip_pytorch_model.bin").string();
    } else {
      return Status::not_found(model_dir +
                               ": no open_clip_model.safetensors or open_clip_pytorch_model.bin "
                               "beside open_clip_config.json");
    }
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
