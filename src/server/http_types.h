// Request and Response: what a route handler of the HTTP layer sees and returns.
//
// Plain values, no library types: a handler is a function Request -> Response and can be unit
// tested without a socket. Header names are lowercased on the way in; query parameters and the
// path are percent-decoded. A Response either carries its body in memory or names a file that
// the server streams from disk (thumbnails, full-size images).
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "clipsearch/status.h"

namespace clipsearch::server {

struct Request {
  std::string method;                              // "GET", "POST", ...
  std::string path;                                // decoded, without the query string
  std::map<std::string, std::string> query;        // decoded; the first value of a repeated key
  std::map<std::string, std::string> headers;      // names lowercased
  std::map<std::string, std::string> path_params;  // {name} segments of the matched route
  std::string body;                                // raw bytes, at most the route's body limit
  std::string client_address;                      // "127.0.0.1", "::1", ...

  // The header's value, or nullptr. `name` must be lowercase.
  const std::string* header(const std::string& name) const;
  // The query parameter, or `fallback` when absent.
  std::string query_value(const std::string& name, const std::string& fallback = "") const;
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // Content-Type included
  std::string body;
  // When set, the server streams this file as the body (and ignores `body`): the whole file, or
  // file_length bytes from file_offset (a 206 answer to a Range request).
  std::string file_path;
  int64_t file_offset = 0;
  int64_t file_length = -1;

  void set_header(const std::string& name, const std::string& value);
  const std::string* header(const std::string& name) const;  // case-insensitive

  static Response json(int status, const nlohmann::json& value);
  // {"error": message} with the given 4xx/5xx status.
  static Response error(int status, const std::string& message);
  static Response bytes(int status, std::string body, const std::string& content_type);
  static Response file(const std::string& path, const std::string& content_type);
  // 503 with Retry-After: the answer when a batcher's queue is full or it is shutting down.
  static Response overloaded(const std::string& message, int retry_after_seconds = 1);
  // A failed Status as {"error": message, "code": "not found"} with the HTTP status of its code
  // (http_status_of): the one place codes become HTTP statuses.
  static Response from_status(const Status& status);
};

// invalid argument 400, not found 404, busy 409, corruption and unsupported 422 (the picture
// sent, or a file read for the answer, cannot be decoded), unavailable 503 (with Retry-After),
// others 500. (415 is the server's own answer to a request body of the wrong Content-Type.)
int http_status_of(StatusCode code);

using Handler = std::function<Response(const Request&)>;

// The reason phrase of a status code ("Not Found"), "Unknown" for codes the server never sends.
const char* http_status_text(int status);

}  // namespace clipsearch::server
