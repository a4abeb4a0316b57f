// What a request head must pass before its handler runs (the per-address cap, CORS preflight,
// route, token, Content-Encoding, declared length), the headers every answer carries, and the
// handler call that turns an exception into a 500.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <exception>

#include "server/http_server_impl.h"

namespace clipsearch::server {

namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

}  // namespace

std::string ascii_lowercase(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

const std::vector<std::pair<std::string, std::string>>& security_headers() {
  static const std::vector<std::pair<std::string, std::string>> kHeaders = {
      {"Content-Security-Policy",
       "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; "
       "script-src 'self'; style-src 'self'; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
  };
  return kHeaders;
}

void HttpServer::Impl::add_common_headers(const Request& request, Response* response) const {
  for (const auto& [name, value] : security_headers()) {
    if (response->header(name) == nullptr) response->set_header(name, value);
  }
  if (!config.cors_origins.empty()) {
    const std::string* origin = request.header("origin");
    if (origin != nullptr && std::find(config.cors_origins.begin(), config.cors_origins.end(),
                                       *origin) != config.cors_origins.end()) {
      response->set_header("Access-Control-Allow-Origin", *origin);
      response->set_header("Vary", "Origin");
    }
  }
}

bool HttpServer::Impl::check_head(RequestContext* ctx, Response* answer) const {
  Request& req = ctx->request;
  // CORS preflight: answered for allowed origins before routing and auth (browsers send no
  // credentials on a preflight).
  if (req.method == "OPTIONS" && !config.cors_origins.empty() && req.header("origin") &&
      req.header("access-control-request-method")) {
    const std::string& origin = *req.header("origin");
    if (std::find(config.cors_origins.begin(), config.cors_origins.end(), origin) ==
        config.cors_origins.end()) {
      *answer = Response::error(403, "origin " + origin + " is not allowed");
      return true;
    }
    Response r;
    r.status = 204;
    // DELETE: a page on another origin cancels the jobs it started (DELETE /api/jobs/{id}).
    r.set_header("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS");
    r.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type");
    r.set_header("Access-Control-Max-Age", "600");
    *answer = r;
    return true;
  }

  Router::Match match = router.match(req.method, req.path);
  if (match.route == nullptr) {
    if (match.allowed_methods.empty()) {
      *answer = Response::error(404, "no such resource: " + req.path);
    } else {
      std::string allow;
      for (const std::string& m : match.allowed_methods) allow += (allow.empty() ? "" : ", ") + m;
      *answer = Response::error(405, req.method + " is not allowed on " + req.path);
      answer->set_header("Allow", allow);
    }
    return true;
  }
  ctx->route = match.route;
  req.path_params = std::move(match.params);
  ctx->body_limit = match.route->options.max_body_bytes ? match.route->options.max_body_bytes
                                                        : config.max_body_bytes;

  if (!config.auth_token.empty() && !match.route->options.public_route) {
    const std::string* auth = req.header("authorization");
    if (auth == nullptr || auth->compare(0, 7, "Bearer ") != 0) {
      *answer = Response::error(401,
                                "authentication required: send 'Authorization: Bearer "
                                "<token>'");
      answer->set_header("WWW-Authenticate", "Bearer realm=\"clipsearch\"");
      return true;
    }
    if (!constant_time_equal(trim(auth->substr(7)), config.auth_token)) {
      *answer = Response::error(401, "invalid token");
      answer->set_header("WWW-Authenticate",
                         "Bearer realm=\"clipsearch\", error=\"invalid_token\"");
      return true;
    }
  }

  if (const std::string* enc = req.header("content-encoding")) {
    if (ascii_lowercase(trim(*enc)) != "identity" && !trim(*enc).empty()) {
      *answer = Response::error(415, "Content-Encoding '" + *enc +
                                         "' is not accepted: request bodies must be sent "
                                         "uncompressed");
      return true;
    }
  }
  if (const std::string* len = req.header("content-length")) {
    errno = 0;
    char* end = nullptr;
    const unsigned long long n = std::strtoull(len->c_str(), &end, 10);
    if (errno == 0 && end != len->c_str() && n > ctx->body_limit) {
      *answer = Response::error(413, "request body of " + std::to_string(n) +
                                         " bytes is over the limit of " +
                                         std::to_string(ctx->body_limit) + " bytes");
      return true;
    }
  }
  return false;
}

Response HttpServer::Impl::run_handler(RequestContext* ctx) const {
  try {
    return ctx->route->handler(ctx->request);
  } catch (const std::exception& e) {
    return Response::error(500, std::string("internal error: ") + e.what());
  } catch (...) {
    return Response::error(500, "internal error");
  }
}

bool HttpServer::Impl::check_address_cap(RequestContext* ctx, Response* answer) const {
  const ConnectionState* conn = ctx->connection;
  if (conn == nullptr) return false;
  const std::string limit = "at most " + std::to_string(slots->per_address()) +
                            " at once per address (max_connections_per_ip)";
  if (conn->over_cap) {
    if (refused_connections) refused_connections->add();
    *answer = Response::error(
        429, "too many connections from " + address_cap_key(conn->peer) + ": " + limit);
    answer->set_header("Retry-After", "1");
    answer->set_header("Connection", "close");
    return true;
  }
  const std::string& client = ctx->request.client_address;
  if (!conn->slot_key.empty() || client == conn->peer) return false;  // not forwarded
  const std::string key = address_cap_key(client);
  if (!slots->take(key)) {
    if (refused_forwarded) refused_forwarded->add();
    *answer = Response::error(429, "too many requests in flight from " + key + " (forwarded by " +
                                       conn->peer + "): " + limit);
    answer->set_header("Retry-After", "1");
    return true;
  }
  ctx->slot_key = key;
  return false;
}

}  // namespace clipsearch::server
