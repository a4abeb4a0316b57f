#include "hub/layout.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace clipsearch::hub {

namespace fs = std::filesystem;

bool is_clip_config(const std::string& path) {
  std::ifstream in(path);
  const auto config = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!config.is_object()) return false;
  const auto type = config.find("model_type");
  if (type != config.end() && type->is_string() &&
      (type->get<std::string>() == "clip" || type->get<std::string>() == "chinese_clip")) {
    return true;
  }
  return config.contains("text_config") || config.contains("vision_config") ||
         config.contains("text_config_dict");
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
  return fs::exists(dir / kOpenClipConfig, ec) && fs::exists(dir / kOpenClipWeights, ec);
}

}  // namespace clipsearch::hub
