#include "search/albums.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "search/query_vector.h"

namespace clipsearch::search {
namespace {

using nlohmann::json;

Result<std::vector<std::string>> string_list(const json& value, const std::string& where) {
  if (!value.is_array()) return Status::invalid_argument(where + " must be a list of strings");
  std::vector<std::string> out;
  for (const json& v : value) {
    if (!v.is_string() || v.get<std::string>().empty()) {
      return Status::invalid_argument(where + " must hold non-empty strings");
    }
    out.push_back(v.get<std::string>());
  }
  if (out.empty()) return Status::invalid_argument(where + " is empty");
  return out;
}

Result<std::optional<float>> threshold_of(const json& object, std::optional<float> fallback,
                                          const std::string& where) {
  if (!object.contains("threshold")) return fallback;
  const json& t = object["threshold"];
  if (!t.is_number() || !(t.get<double>() >= -1 && t.get<double>() <= 1)) {
    return Status::invalid_argument(where + ": \"threshold\" must be a number between -1 and 1");
  }
  return std::optional<float>(t.get<float>());
}

Result<Theme> parse_theme(const json& j, std::optional<float> default_threshold,
                          const std::string& where) {
  if (!j.is_object() || !j.contains("name") || !j["name"].is_string() ||
      j["name"].get<std::string>().empty()) {
    return Status::invalid_argument(where + ": each theme needs a non-empty \"name\"");
  }
  Theme theme;
  theme.name = j["name"].get<std::string>();
  const std::string at = where + ": theme '" + theme.name + "'";
  if (!j.contains("keywords")) return Status::invalid_argument(at + " has no \"keywords\"");
  CLIPSEARCH_ASSIGN_OR_RETURN(theme.keywords, string_list(j["keywords"], at + " \"keywords\""));
  CLIPSEARCH_ASSIGN_OR_RETURN(theme.threshold, threshold_of(j, default_threshold, at));
  return theme;
}

Result<ThemeFile> parse_full_form(const json& root, const std::string& name) {
  ThemeFile file;
  CLIPSEARCH_ASSIGN_OR_RETURN(std::optional<float> default_threshold,
                              threshold_of(root, std::nullopt, name));
  if (root.contains("templates")) {
    CLIPSEARCH_ASSIGN_OR_RETURN(file.templates,
                                string_list(root["templates"], name + ": \"templates\""));
  }
  if (!root["themes"].is_array()) {
    return Status::invalid_argument(name + ": \"themes\" must be a list");
  }
  for (const json& j : root["themes"]) {
    CLIPSEARCH_ASSIGN_OR_RETURN(Theme theme, parse_theme(j, default_threshold, name));
    file.themes.push_back(std::move(theme));
  }
  return file;
}

Result<ThemeFile> parse_short_form(const json& root, const std::string& name) {
  ThemeFile file;
  for (const auto& [theme_name, keywords] : root.items()) {
    if (theme_name.empty()) {
      return Status::invalid_argument(name + ": a theme needs a non-empty name");
    }
    Theme theme;
    theme.name = theme_name;
    CLIPSEARCH_ASSIGN_OR_RETURN(theme.keywords,
                                string_list(keywords, name + ": theme '" + theme_name + "'"));
    file.themes.push_back(std::move(theme));
  }
  return file;
}

}  // namespace

Result<ThemeFile> album_themes_parse(const std::string& json_text, const std::string& name) {
  const json root = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return Status::invalid_argument(name + ": not valid JSON");
  if (!root.is_object()) {
    return Status::invalid_argument(name + ": expected a JSON object of themes");
  }
  Result<ThemeFile> file =
      root.contains("themes") ? parse_full_form(root, name) : parse_short_form(root, name);
  if (!file.ok()) return file;
  if (file->themes.empty()) return Status::invalid_argument(name + ": no themes");
  std::set<std::string> names;
  for (const Theme& t : file->themes) {
    if (!names.insert(t.name).second) {
      return Status::invalid_argument(name + ": theme '" + t.name + "' is defined twice");
    }
  }
  return file;
}

Result<ThemeFile> album_themes_load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const std::string message = path + ": cannot open the theme file";
    std::error_code ec;
    return std::filesystem::exists(path, ec) ? Status::io_error(message)
                                             : Status::not_found(message);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return album_themes_parse(text.str(), path);
}

std::vector<size_t> album_membership(const Embedding& image,
                                     const std::vector<Embedding>& theme_vectors,
                                     const std::vector<float>& thresholds, bool exclusive,
                                     std::vector<float>* scores) {
  std::vector<float> cosine(theme_vectors.size());
  for (size_t t = 0; t < theme_vectors.size(); ++t) {
    cosine[t] = embedding_dot(image, theme_vectors[t]);
  }
  std::vector<size_t> joined;
  for (size_t t = 0; t < cosine.size(); ++t) {
    if (cosine[t] >= thresholds[t]) joined.push_back(t);
  }
  std::stable_sort(joined.begin(), joined.end(),
                   [&](size_t a, size_t b) { return cosine[a] > cosine[b]; });
  if (exclusive && !joined.empty()) joined.erase(joined.begin() + 1, joined.end());
  if (scores) *scores = std::move(cosine);
  return joined;
}

}  // namespace clipsearch::search
