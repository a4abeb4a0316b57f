// ServerConfig: where the HTTP server listens, who may talk to it, and the limits that bound
// what one client can make it hold (docs/SERVER.md explains each number).
//
// validate() is the one place that decides whether a configuration is safe to start: a bind
// address other than loopback needs a Bearer token, unless no_auth says, explicitly, that the
// network in front of the server does the access control.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "clipsearch/status.h"

namespace clipsearch::server {

// pread(2)'s contract: bytes read into buf (0 at the end of the file), or -1 with errno.
using FileRead = std::function<ssize_t(int fd, char* buf, size_t n, int64_t offset)>;

struct ServerConfig {
  std::string bind_address = "127.0.0.1";  // an IPv4 or IPv6 literal
  int port = 8080;                         // 0: an ephemeral port (HttpServer::port() says which)

  // Required as "Authorization: Bearer <token>" on every non-public route when non-empty.
  std::string auth_token;
  bool no_auth = false;  // allow a non-loopback bind without a token

  // Origins allowed to call the API from a browser (CORS). Empty: no CORS headers at all.
  std::vector<std::string> cors_origins;

  // Limits.
  size_t max_body_bytes = 20u << 20;     // default request body limit (a route may set its own)
  size_t max_header_bytes = 64u << 10;   // per-connection memory for the request line + headers
  unsigned idle_timeout_seconds = 30;    // no byte received or sent for this long: closed
  double header_timeout_seconds = 10.0;  // the whole request head must arrive within this
  double body_timeout_seconds = 120.0;   // the whole body must arrive within this
  // Open connections in all. 0: as many as the file-descriptor limit allows, at most 10,000
  // (descriptor_limit.h); HttpServer::config() then says how many.
  unsigned max_connections = 0;
  // Per client address (an IPv6 client by its /64). Connections from a trusted proxy are not
  // counted; the requests it forwards count, in flight, under the client it names.
  unsigned max_connections_per_ip = 32;
  // Reverse proxies whose X-Forwarded-For is believed: addresses or ranges ("10.0.0.0/8").
  std::vector<std::string> trusted_proxies;
  unsigned handler_threads = 64;  // requests handled at once (the rest wait, costing no thread)
  unsigned event_threads = 2;     // threads reading and writing the sockets (epoll)
  // How file answers are read, on the handler pool (server/file_stream.h): empty means pread.
  // A seam for tests (a slow or failing disk).
  FileRead file_read;

  Status validate() const;
};

// True for 127.0.0.0/8, ::1 and ::ffff:127.x.y.z.
bool is_loopback_address(const std::string& address);

// Compares without an early exit, so the time taken does not reveal how many leading bytes of
// a guessed token were right.
bool constant_time_equal(const std::string& a, const std::string& b);

}  // namespace clipsearch::server
