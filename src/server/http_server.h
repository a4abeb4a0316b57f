// HttpServer: the HTTP/1.1 front of `clipsearch serve`, a thin layer over libmicrohttpd.
//
// It owns the listening socket and one thread per connection (libmicrohttpd's
// MHD_USE_THREAD_PER_CONNECTION; docs/SERVER.md says why): a handler may block (waiting for a
// batched model call, reading a file) without stalling other clients, and max_connections bounds
// the threads. Before a handler runs, the server has checked, in this order: CORS preflight
// (answered here), the route (404, 405), the Bearer token (401), Content-Encoding (415: bodies are
// never inflated), the declared Content-Length (413) and, while the body arrives, its actual size
// (413, chunked bodies included). libmicrohttpd itself bounds the request head
// (max_header_bytes) and the idle time; a ConnectionWatchdog bounds the time to send the head
// and the body. Every error the server produces has a JSON body {"error": "..."}; every response
// carries the security headers (CSP, nosniff, no-referrer).
//
// Handlers run concurrently on connection threads and must be thread-safe. The Router is fixed
// at start. stop() (or the destructor) closes the listening socket, cuts open connections and
// waits for running handlers to return.
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
  // Validates `config`, binds and starts serving. `metrics` (optional) must outlive the server;
  // it receives clipsearch_http_requests_total and clipsearch_http_request_duration_seconds.
  static Result<std::unique_ptr<HttpServer>> start(const ServerConfig& config, Router router,
                                                   Metrics* metrics = nullptr);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound port (the ephemeral one when the config said 0).
  int port() const;
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
