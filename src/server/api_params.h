// Reading the parameters of an API request (query string, JSON body) with the checks and the
// 4xx answers every route gives alike, and writing catalog rows as JSON.
//
// Each reader returns the value or the Response to send instead (`Parsed<T>`); the
// CLIPSEARCH_PARSE_OR_RESPOND macro unwraps one inside a handler. Messages name the parameter
// and what it must be ("'k' must be an integer between 1 and 1000"). Pure functions.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "clipsearch/library.h"
#include "clipsearch/status.h"
#include "server/http_types.h"

namespace clipsearch::server {

template <class T>
using Parsed = std::variant<T, Response>;

// Declares `lhs` from a Parsed<T> expression, or returns its Response.
#define CLIPSEARCH_PARSE_OR_RESPOND(lhs, expr) \
  CLIPSEARCH_PARSE_OR_RESPOND_IMPL(CLIPSEARCH_CONCAT(_clipsearch_parsed_, __LINE__), lhs, expr)
#define CLIPSEARCH_PARSE_OR_RESPOND_IMPL(tmp, lhs, expr)             \
  auto tmp = (expr);                                                 \
  if (std::holds_alternative<::clipsearch::server::Response>(tmp)) { \
    return std::get<::clipsearch::server::Response>(std::move(tmp)); \
  }                                                                  \
  lhs = std::get<0>(std::move(tmp))

// The media type of the request's Content-Type, lowercased and without its parameters, "" when
// there is none: "Application/JSON; charset=utf-8" -> "application/json" (media types are
// case-insensitive, RFC 9110 8.3.1).
std::string request_media_type(const Request& r);

// The body as a JSON object: 415 unless the Content-Type is absent or application/json, 400 when
// it is not valid JSON or not an object.
Parsed<nlohmann::json> json_body(const Request& r);

// An integer member in [lo, hi]; when absent, `fallback`, or 400 "'key' is required".
Parsed<int64_t> json_integer(const nlohmann::json& j, const std::string& key, int64_t lo,
                             int64_t hi, std::optional<int64_t> fallback = std::nullopt);
// A non-empty string member, at most `max_bytes` long; 400 when absent.
Parsed<std::string> json_string(const nlohmann::json& j, const std::string& key,
                                size_t max_bytes = 1024);
// A string or a list of strings; absent: an empty list.
Parsed<std::vector<std::string>> json_string_list(const nlohmann::json& j, const std::string& key);

// An integer in [lo, hi] from text (a query parameter or a multipart field named `name`).
Parsed<int64_t> parse_integer(const std::string& name, const std::string& text, int64_t lo,
                              int64_t hi);

// Query parameters, with the same rules; absent: `fallback`.
Parsed<int64_t> query_integer(const Request& r, const std::string& name, int64_t lo, int64_t hi,
                              int64_t fallback);
Parsed<double> query_number(const Request& r, const std::string& name, double lo, double hi,
                            double fallback);
// "1", "true", "yes" / "0", "false", "no"; absent: false.
Parsed<bool> query_flag(const Request& r, const std::string& name);

// {"id", "path", "width", "height", "size", "format", "date"}: an indexed image as the search
// results show it (the path through path_json, so a name that is not UTF-8 round-trips).
std::string image_json(const ImageInfo& image);

// The same with "score" and `extra_members` (serialized members, starting with ", ") added.
std::string scored_image_json(const ImageInfo& image, float score,
                              const std::string& extra_members = "");

// A JSON string for any bytes (ill-formed UTF-8 replaced by U+FFFD), for names and labels.
std::string json_text(const std::string& text);

// "[a, b, ...]" from already-serialized items.
std::string json_list(const std::vector<std::string>& items);

}  // namespace clipsearch::server
