#include "hub/layout.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <utility>

namespace clipsearch::hub {

namespace fs = std::filesystem;

namespace {

// config.json's model_type, or "" (not an object, no such key).
std::string model_type_of(const nlohmann::json& config) {
  if (!config.is_object()) return "";
  const auto type = config.find("model_type");
  return type != config.end() && type->is_string() ? type->get<std::string>() : "";
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
}

}  // namespace

bool is_siglip_config(const std::string& path) {
  return model_type_of(read_json(path)) == "siglip";
}

bool is_clip_config(const std::string& path) {
  const auto config = read_json(path);
  if (!config.is_object()) return false;
  const std::string type = model_type_of(config);
  if (type == "clip" || type == "chinese_clip" || type == "siglip") return true;
  return config.contains("text_config") || config.contains("vision_config") ||
         config.contains("text_config_dict");
}

Result<OpenClipHfNames> read_open_clip_hf_names(const std::string& path) {
  std::ifstream in(path);
  const auto root = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!root.is_object()) return Status::corruption(path + ": not a JSON object");
  OpenClipHfNames names;
  const auto model = root.find("model_cfg");
  if (model == root.end() || !model->is_object()) return names;
  const auto text = model->find("text_cfg");
  if (text == model->end() || !text->is_object()) return names;
  const std::pair<const char*, std::string*> keys[] = {{"hf_tokenizer_name", &names.tokenizer},
                                                       {"hf_model_name", &names.model}};
  for (const auto& [key, out] : keys) {
    const auto it = text->find(key);
    if (it == text->end() || it->is_null()) continue;
    if (!it->is_string() || it->get<std::string>().empty()) {
      return Status::corruption(path + ": model_cfg.text_cfg." + key + " is " + it->dump() +
                                ", not a repository name");
    }
    *out = it->get<std::string>();
  }
  return names;
}

bool snapshot_complete(const std::string& snapshot) {
  const fs::path dir(snapshot);
  std::error_code ec;
  if (fs::exists(dir / kHfConfig, ec) && is_clip_config((dir / kHfConfig).string())) {
    for (const char* file : kHfWeightFiles) {
      if (fs::exists(dir / file, ec)) return true;
    }
    return false;
  }
  if (!fs::exists(dir / kOpenClipConfig, ec)) return false;
  if (!fs::exists(dir / kOpenClipWeights, ec) && !fs::exists(dir / kOpenClipPickle, ec)) {
    return false;
  }
  auto names = read_open_clip_hf_names((dir / kOpenClipConfig).string());
  if (!names.ok()) return false;
  if (!names->tokenizer.empty() && !fs::exists(dir / kHfTokenizerJson, ec)) return false;
  return names->model.empty() || fs::exists(dir / kHfTextConfig, ec);
}

}  // namespace clipsearch::hub
