// JSON files of a model folder (tokenizer_config.json, special_tokens_map.json, config.json):
// read whole, parsed, checked to be an object; every error names the file.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "clipsearch/status.h"

namespace clipsearch::text {

// A JSON object file; a syntax error names the file and nlohmann's line and column.
Result<nlohmann::json> read_json_object(const std::string& path);

// The same, or a null json when `path` is not a regular file (an optional file of the folder).
Result<nlohmann::json> read_optional_json_object(const std::string& path);

// A top-level string field of an optional JSON object file (config.json's model_type,
// tokenizer_config.json's tokenizer_class), for telling folders apart: none when the file is
// missing or unreadable or the field is not a string.
std::optional<std::string> json_file_string_field(const std::string& path, const char* key);

}  // namespace clipsearch::text
