#include "server/api_params.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "core/path_json.h"

namespace clipsearch::server {
namespace {

using nlohmann::json;

Response bad(const std::string& message) { return Response::error(400, message); }

std::string range_text(int64_t lo, int64_t hi) {
  return std::to_string(lo) + " and " + std::to_string(hi);
}

Response not_an_integer(const std::string& name, int64_t lo, int64_t hi) {
  return bad("'" + name + "' must be an integer between " + range_text(lo, hi));
}

std::string image_fields_json(const ImageInfo& image) {
  return "\"id\": " + std::to_string(image.id) + ", \"path\": " + path_json(image.path) +
         ", \"width\": " + std::to_string(image.width) +
         ", \"height\": " + std::to_string(image.height) +
         ", \"size\": " + std::to_string(image.bytes) +
         ", \"format\": " + json(image.format).dump() +
         ", \"date\": " + std::to_string(image.taken_ns / 1000000000) +
         (image.camera.empty() ? std::string() : ", \"camera\": " + json_text(image.camera)) +
         (image.duration_ms > 0
              ? ", \"duration\": " + json(static_cast<double>(image.duration_ms) / 1000.0).dump()
              : std::string());
}

// Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on "{" + std::string.
std::string row_json(const ImageInfo& image, std::optional<float> score,
                     const std::string& extra_members) {
  std::string out = "{";
  out += image_fields_json(image);
  if (score) {
    out += ", \"score\": ";
    out += json(*score).dump();
  }
  out += extra_members;
  out += "}";
  return out;
}

}  // namespace

std::string request_media_type(const Request& r) {
  const std::string* header = r.header("content-type");
  if (header == nullptr) return "";
  std::string type = header->substr(0, header->find(';'));
  const size_t begin = type.find_first_not_of(" \t");
  const size_t end = type.find_last_not_of(" \t");
  type = begin == std::string::npos ? "" : type.substr(begin, end - begin + 1);
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return type;
}

Parsed<json> json_body(const Request& r) {
  const std::string type = request_media_type(r);
  if (!type.empty() && type != "application/json") {
    return Response::error(415, "send the request body as application/json");
  }
  json j = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return bad("the request body is not valid JSON");
  if (!j.is_object()) return bad("the request body must be a JSON object");
  return j;
}

Parsed<int64_t> json_integer(const json& j, const std::string& key, int64_t lo, int64_t hi,
                             std::optional<int64_t> fallback) {
  if (!j.contains(key)) {
    if (fallback) return *fallback;
    return bad("'" + key + "' is required");
  }
  const json& v = j[key];
  if (!v.is_number_integer()) return not_an_integer(key, lo, hi);
  // Unsigned values above INT64_MAX are out of range too.
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(hi)) {
    return not_an_integer(key, lo, hi);
  }
  const auto n = v.get<int64_t>();
  if (n < lo || n > hi) return not_an_integer(key, lo, hi);
  return n;
}

Parsed<std::string> json_string(const json& j, const std::string& key, size_t max_bytes) {
  if (!j.contains(key)) return bad("'" + key + "' is required");
  const json& v = j[key];
  if (!v.is_string() || v.get<std::string>().empty() || v.get<std::string>().size() > max_bytes) {
    return bad("'" + key + "' must be a non-empty string of at most " + std::to_string(max_bytes) +
               " bytes");
  }
  return v.get<std::string>();
}

Parsed<std::vector<std::string>> json_string_list(const json& j, const std::string& key) {
  std::vector<std::string> out;
  if (!j.contains(key)) return out;
  const json& v = j[key];
  if (v.is_string()) return std::vector<std::string>{v.get<std::string>()};
  if (!v.is_array()) return bad("'" + key + "' must be a string or a list of strings");
  for (const json& s : v) {
    if (!s.is_string()) return bad("'" + key + "' must hold strings");
    out.push_back(s.get<std::string>());
  }
  return out;
}

Parsed<int64_t> parse_integer(const std::string& name, const std::string& text, int64_t lo,
                              int64_t hi) {
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || end != text.c_str() + text.size() || errno == ERANGE || v < lo || v > hi) {
    return not_an_integer(name, lo, hi);
  }
  return static_cast<int64_t>(v);
}

Parsed<int64_t> query_integer(const Request& r, const std::string& name, int64_t lo, int64_t hi,
                              int64_t fallback) {
  const auto it = r.query.find(name);
  if (it == r.query.end()) return fallback;
  return parse_integer(name, it->second, lo, hi);
}

Parsed<double> query_number(const Request& r, const std::string& name, double lo, double hi,
                            double fallback) {
  const auto it = r.query.find(name);
  if (it == r.query.end()) return fallback;
  const std::string& text = it->second;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v) || v < lo || v > hi) {
    return bad("'" + name + "' must be a number between " + json(lo).dump() + " and " +
               json(hi).dump());
  }
  return v;
}

Parsed<bool> query_flag(const Request& r, const std::string& name) {
  const std::string v = r.query_value(name, "false");
  if (v == "1" || v == "true" || v == "yes") return true;
  if (v == "0" || v == "false" || v == "no") return false;
  return bad("'" + name + "' must be true or false");
}

std::string image_json(const ImageInfo& image) { return row_json(image, std::nullopt, ""); }

std::string scored_image_json(const ImageInfo& image, float score,
                              const std::string& extra_members) {
  return row_json(image, score, extra_members);
}

std::string json_text(const std::string& text) {
  return json(text).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string json_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out + "]";
}

}  // namespace clipsearch::server
