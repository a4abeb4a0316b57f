// HttpServer: the HTTP/1.1 front of `clipsearch serve`, a thin layer over libmicrohttpd.
//
// Event-driven (docs/SERVER.md, "Connections and threads"): a few epoll threads read and write
// every socket, and a connection costs memory, not a thread. A request whose body is complete is
// handed to a pool of handler threads while its connection is suspended, so a handler may block
// (waiting for a batched model call, reading a file) without stalling other clients. Before a
// handler runs, the server has checked, in this order: the per-address cap (429; through
// X-Forwarded-For only from a trusted proxy), CORS preflight (answered here), the route (404,
// 405), the Bearer token (401), Content-Encoding (415: bodies are never inflated), the declared
// Content-Length (413) and, while the body arrives, its actual size (413, chunked bodies
// included). libmicrohttpd itself bounds the request head (max_header_bytes), the open
// connections (max_connections) and the idle time; a ConnectionWatchdog bounds the time to send
// the head and the body. Every error the server produces has a JSON body {"error": "..."};
// every response carries the security headers (CSP, nosniff, no-referrer).
//
// Handlers run concurrently on the pool's threads and must be thread-safe. The Router is fixed
// at start. stop() (or the destructor) answers requests still waiting for a handler with 503,
// waits for running handlers to return, then closes the listening socket and cuts open
// connections.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "clipsearch/status.h"
#include "server/metrics.h"
#include "server/router.h"
#include "server/server_config.h"

namespace clipsearch::server {

class HttpServer {
 public:
  // Validates `config`, raises the file-descriptor limit to fit max_connections (an error when
  // the hard limit cannot), binds and starts serving. `metrics` (optional) must outlive the
  // server; it receives clipsearch_http_requests_total and
  // clipsearch_http_request_duration_seconds.
  static Result<std::unique_ptr<HttpServer>> start(const ServerConfig& config, Router router,
                                                   Metrics* metrics = nullptr);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound port (the ephemeral one when the config said 0).
  int port() const;
  // The configuration in force: max_connections 0 replaced by the number chosen.
  const ServerConfig& config() const;
  // Connections the watchdog cut for sending their head or body too slowly.
  uint64_t connections_cut() const;
  void stop();

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The headers every response carries: Content-Security-Policy, X-Content-Type-Options,
// Referrer-Policy.
const std::vector<std::pair<std::string, std::string>>& security_headers();

}  // namespace clipsearch::server
