#include "server/http_types.h"

#include <strings.h>

#include <nlohmann/json.hpp>

namespace clipsearch::server {

const std::string* Request::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? nullptr : &it->second;
}

std::string Request::query_value(const std::string& name, const std::string& fallback) const {
  auto it = query.find(name);
  return it == query.end() ? fallback : it->second;
}

void Response::set_header(const std::string& name, const std::string& value) {
  for (auto& [n, v] : headers) {
    if (strcasecmp(n.c_str(), name.c_str()) == 0) {
      v = value;
      return;
    }
  }
  headers.emplace_back(name, value);
}

const std::string* Response::header(const std::string& name) const {
  for (const auto& [n, v] : headers) {
    if (strcasecmp(n.c_str(), name.c_str()) == 0) return &v;
  }
  return nullptr;
}

Response Response::json(int status, const nlohmann::json& value) {
  return bytes(status, value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
               "application/json");
}

Response Response::error(int status, const std::string& message) {
  return json(status, nlohmann::json{{"error", message}});
}

Response Response::bytes(int status, std::string body, const std::string& content_type) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.set_header("Content-Type", content_type);
  return r;
}

Response Response::file(const std::string& path, const std::string& content_type) {
  Response r;
  r.file_path = path;
  r.set_header("Content-Type", content_type);
  return r;
}

Response Response::overloaded(const std::string& message, int retry_after_seconds) {
  Response r = error(503, message);
  r.set_header("Retry-After", std::to_string(retry_after_seconds));
  return r;
}

int http_status_of(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kBusy:
      return 409;
    case StatusCode::kUnsupported:
    case StatusCode::kCorruption:
      return 422;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kIoError:
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

Response Response::from_status(const Status& status) {
  const int http = http_status_of(status.code());
  Response r = json(
      http, nlohmann::json{{"error", status.message()}, {"code", status_code_name(status.code())}});
  if (http == 503) r.set_header("Retry-After", "1");
  return r;
}

const char* http_status_text(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

}  // namespace clipsearch::server
