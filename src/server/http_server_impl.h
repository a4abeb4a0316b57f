// The insides of HttpServer, shared by its two source files: http_server.cpp (the
// libmicrohttpd glue: callbacks, suspend and resume, start and stop) and request_checks.cpp
// (what a request head must pass before its handler runs, and the headers every answer gets).
// Not part of the server's interface.
#pragma once

#include <microhttpd.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server/address_slots.h"
#include "server/client_address.h"
#include "server/connection_watchdog.h"
#include "server/file_stream.h"
#include "server/handler_pool.h"
#include "server/http_server.h"

namespace clipsearch::server {

using ServerClock = std::chrono::steady_clock;

// How long a connection opened past its address's cap has to send the request head that is
// answered 429 (it holds a descriptor meanwhile, so not the full header timeout).
constexpr double kRefusedHeadSeconds = 1.0;

// Per-connection state, kept in libmicrohttpd's socket context from open to close.
struct ConnectionState {
  ConnectionWatchdog::Connection* watch = nullptr;
  std::string peer;       // the socket's peer address
  std::string slot_key;   // the AddressSlots key it holds a slot under; empty: none
  bool over_cap = false;  // opened while its address held the cap: its request gets 429
};

// Per-request state, kept in libmicrohttpd's request closure between calls.
struct RequestContext {
  Request request;
  const Route* route = nullptr;
  size_t body_limit = 0;
  ServerClock::time_point started = ServerClock::now();
  ConnectionState* connection = nullptr;
  std::string slot_key;  // a forwarded client's slot, held until the request completes
  bool handed_off = false;
  std::optional<Response> answer;    // set by the handler pool before it resumes the connection
  std::shared_ptr<FileStream> file;  // the answer's file, opened and first read on the pool
};

struct HttpServer::Impl {
  ServerConfig config;
  Router router;
  Metrics* metrics = nullptr;
  MHD_Daemon* daemon = nullptr;
  int port = 0;
  std::vector<AddressRange> trusted_proxies;
  std::unique_ptr<AddressSlots> slots;
  std::unique_ptr<ConnectionWatchdog> watchdog;
  std::unique_ptr<HandlerPool> handlers;
  // With metrics: open connections, requests waiting for a handler thread, 429s by cause.
  Gauge* open_connections = nullptr;
  Gauge* waiting_requests = nullptr;
  Counter* refused_connections = nullptr;
  Counter* refused_forwarded = nullptr;

  // --- libmicrohttpd callbacks (cls = Impl*) ---
  static MHD_Result on_request(void* cls, MHD_Connection* connection, const char* url,
                               const char* method, const char* version, const char* upload_data,
                               size_t* upload_data_size, void** req_cls);
  static void on_completed(void* cls, MHD_Connection* connection, void** req_cls,
                           MHD_RequestTerminationCode code);
  static void on_connection(void* cls, MHD_Connection* connection, void** socket_context,
                            MHD_ConnectionNotificationCode code);

  void connection_opened(MHD_Connection* connection, ConnectionState* state) const;
  void connection_closed(ConnectionState* state) const;
  // The request head is complete: fills the Request, applies the per-address cap and the
  // checks; an answer sent here ends the request.
  MHD_Result head_received(MHD_Connection* connection, RequestContext* ctx) const;
  // The per-address cap: a 429 for a connection opened over it, or a forwarded client holding
  // its cap in requests; otherwise takes the forwarded client's slot.
  bool check_address_cap(RequestContext* ctx, Response* answer) const;
  // Checks that need only the request head; an answer here ends the request.
  bool check_head(RequestContext* ctx, Response* answer) const;
  // The body is complete: the connection is suspended and the handler runs on the pool.
  void hand_off(MHD_Connection* connection, RequestContext* ctx) const;
  Response run_handler(RequestContext* ctx) const;
  // On the pool: a file answer's file is opened and its first chunk read (ctx->file); a file
  // that cannot be opened as a regular file makes the answer a 404.
  void open_answer_file(RequestContext* ctx) const;
  void give_back_forwarded_slot(RequestContext* ctx) const;
  void add_common_headers(const Request& request, Response* response) const;
  MHD_Result send(MHD_Connection* connection, RequestContext* ctx, Response response) const;
  void record(const RequestContext* ctx, int status) const;
  void write_raw_and_close(MHD_Connection* connection, RequestContext* ctx,
                           Response response) const;
  void bind_metrics();
};

// ASCII lowercase (header names; Content-Encoding values).
std::string ascii_lowercase(std::string s);

}  // namespace clipsearch::server
