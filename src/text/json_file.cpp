#include "text/json_file.h"

#include <filesystem>

#include "core/read_file.h"

namespace clipsearch::text {

Result<nlohmann::json> read_json_object(const std::string& path) {
  CLIPSEARCH_ASSIGN_OR_RETURN(std::string text, read_file(path));
  try {
    nlohmann::json j = nlohmann::json::parse(text);
    if (!j.is_object()) return Status::corruption(path + ": not a JSON object");
    return j;
  } catch (const nlohmann::json::exception& e) {
    return Status::corruption(path + ": not valid JSON: " + e.what());
  }
}

Result<nlohmann::json> read_optional_json_object(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return nlohmann::json();
  return read_json_object(path);
}

std::optional<std::string> json_file_string_field(const std::string& path, const char* key) {
  Result<nlohmann::json> j = read_optional_json_object(path);
  if (!j.ok() || !j->contains(key) || !(*j)[key].is_string()) return std::nullopt;
  return (*j)[key].get<std::string>();
}

}  // namespace clipsearch::text
