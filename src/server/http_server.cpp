// The libmicrohttpd glue. libmicrohttpd runs a few event threads (epoll); for each request it
// calls on_request() several times on the connection's event thread: once when the head is
// complete (the per-address cap and every check that needs only the head run here, and may
// answer at once), once per piece of body (appended, size-checked), and once when the body is
// complete. That last call suspends the connection and hands the request to the HandlerPool;
// the pool's thread runs the handler, stores the answer and resumes the connection, and
// libmicrohttpd calls on_request() once more, on the event thread, to queue it. Nothing on an
// event thread waits for a handler. Connection-level callbacks feed the watchdog and the
// per-address slots.
#include "server/http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "server/descriptor_limit.h"
#include "server/http_server_impl.h"
#include "server/mhd_response.h"

namespace clipsearch::server {

namespace {

std::string address_text(const sockaddr* sa) {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (sa == nullptr) return "";
  if (sa->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof buf);
  } else if (sa->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, buf, sizeof buf);
  }
  return buf;
}

MHD_Result collect_header(void* cls, MHD_ValueKind, const char* key, const char* value) {
  auto* map = static_cast<std::map<std::string, std::string>*>(cls);
  if (key != nullptr) map->emplace(ascii_lowercase(key), value ? value : "");
  return MHD_YES;
}

MHD_Result collect_query(void* cls, MHD_ValueKind, const char* key, const char* value) {
  auto* map = static_cast<std::map<std::string, std::string>*>(cls);
  if (key != nullptr) map->emplace(key, value ? value : "");
  return MHD_YES;
}

ConnectionState* state_of(MHD_Connection* connection) {
  const MHD_ConnectionInfo* info =
      MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  return info ? static_cast<ConnectionState*>(info->socket_context) : nullptr;
}

ConnectionWatchdog::Connection* watch_of(const RequestContext* ctx) {
  return ctx->connection ? ctx->connection->watch : nullptr;
}

}  // namespace

namespace {
// The method as a metrics label: clients choose the method token, so anything outside the
// standard set is "other" (an unbounded label set would grow memory without bound).
const char* method_label(const std::string& method) {
  for (const char* m : {"GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"}) {
    if (method == m) return m;
  }
  return "other";
}
}  // namespace

void HttpServer::Impl::record(const RequestContext* ctx, int status) const {
  if (metrics == nullptr) return;
  const std::string route = ctx->route ? ctx->route->pattern : "(unmatched)";
  metrics
      ->counter("clipsearch_http_requests_total", "HTTP requests by route, method and status",
                {{"route", route},
                 {"method", method_label(ctx->request.method)},
                 {"status", std::to_string(status)}})
      .add();
  const double seconds = std::chrono::duration<double>(ServerClock::now() - ctx->started).count();
  metrics
      ->histogram("clipsearch_http_request_duration_seconds",
                  "Time from the complete request head to the response, by route",
                  latency_buckets_seconds(), {{"route", route}})
      .observe(seconds);
  if (status >= 400) {
    metrics
        ->counter("clipsearch_http_errors_total", "HTTP responses with a 4xx or 5xx status",
                  {{"status", std::to_string(status)}})
        .add();
  }
}

MHD_Result HttpServer::Impl::send(MHD_Connection* connection, RequestContext* ctx,
                                  Response response) const {
  add_common_headers(ctx->request, &response);
  MHD_Response* r = make_mhd_response(response, std::move(ctx->file), connection);
  if (r == nullptr) return MHD_NO;
  for (const auto& [name, value] : response.headers) {
    MHD_add_response_header(r, name.c_str(), value.c_str());
  }
  const MHD_Result ok = MHD_queue_response(connection, response.status, r);
  MHD_destroy_response(r);
  record(ctx, response.status);
  return ok;
}

// libmicrohttpd cannot queue a response while a body is arriving, and an over-limit body must
// not be read to its end: the 413 is written on the socket directly (nothing else is being sent
// on this connection, and the write never blocks the event thread), then the connection is
// closed.
void HttpServer::Impl::write_raw_and_close(MHD_Connection* connection, RequestContext* ctx,
                                           Response response) const {
  add_common_headers(ctx->request, &response);
  response.set_header("Content-Length", std::to_string(response.body.size()));
  response.set_header("Connection", "close");
  const MHD_ConnectionInfo* info =
      MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
  if (info != nullptr) write_raw_response(info->connect_fd, response);
  record(ctx, response.status);
}

MHD_Result HttpServer::Impl::head_received(MHD_Connection* connection, RequestContext* ctx) const {
  Request& req = ctx->request;
  MHD_get_connection_values(connection, MHD_HEADER_KIND, collect_header, &req.headers);
  MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, collect_query, &req.query);
  const std::string peer = ctx->connection ? ctx->connection->peer : "";
  req.client_address = forwarded_client(peer, req.header("x-forwarded-for"), trusted_proxies);
  Response answer;
  if (check_address_cap(ctx, &answer) || check_head(ctx, &answer)) {
    return send(connection, ctx, std::move(answer));
  }
  return MHD_YES;
}

void HttpServer::Impl::hand_off(MHD_Connection* connection, RequestContext* ctx) const {
  ctx->handed_off = true;
  // Suspended before the job exists, so the job's resume can never come first.
  MHD_suspend_connection(connection);
  if (waiting_requests) waiting_requests->add(1);
  const bool queued = handlers->submit([this, connection, ctx](bool run) {
    if (waiting_requests) waiting_requests->add(-1);
    ctx->answer = run ? run_handler(ctx) : Response::overloaded("the server is stopping");
    if (run) open_answer_file(ctx);
    give_back_forwarded_slot(ctx);
    MHD_resume_connection(connection);
  });
  if (!queued) {
    if (waiting_requests) waiting_requests->add(-1);
    ctx->answer = Response::overloaded("the server is stopping");
    give_back_forwarded_slot(ctx);
    MHD_resume_connection(connection);
  }
}

// A forwarded client's slot counts requests in flight: it is free once the answer exists, so
// the client's next request, sent as soon as it reads this answer, never meets its own slot
// (on_completed runs on the event thread after the answer was written).
void HttpServer::Impl::give_back_forwarded_slot(RequestContext* ctx) const {
  if (ctx->slot_key.empty()) return;
  slots->give_back(ctx->slot_key);
  ctx->slot_key.clear();
}

void HttpServer::Impl::open_answer_file(RequestContext* ctx) const {
  Response& answer = *ctx->answer;
  if (answer.file_path.empty()) return;
  ctx->file = FileStream::open(answer.file_path, answer.file_offset, answer.file_length,
                               handlers.get(), config.file_read);
  if (ctx->file == nullptr) answer = Response::error(404, "file not found");
}

MHD_Result HttpServer::Impl::on_request(void* cls, MHD_Connection* connection, const char* url,
                                        const char* method, const char* /*version*/,
                                        const char* upload_data, size_t* upload_data_size,
                                        void** req_cls) {
  auto* self = static_cast<Impl*>(cls);
  auto* ctx = static_cast<RequestContext*>(*req_cls);
  if (ctx == nullptr) {  // the head is complete
    ctx = new RequestContext;
    *req_cls = ctx;
    ctx->connection = state_of(connection);
    self->watchdog->headers_received(watch_of(ctx));
    ctx->request.method = method ? method : "";
    ctx->request.path = url ? url : "";
    return self->head_received(connection, ctx);
  }
  if (ctx->answer) return self->send(connection, ctx, std::move(*ctx->answer));  // resumed
  if (*upload_data_size > 0) {  // a piece of the body
    if (ctx->request.body.size() + *upload_data_size > ctx->body_limit) {
      self->write_raw_and_close(
          connection, ctx,
          Response::error(413, "request body is over the limit of " +
                                   std::to_string(ctx->body_limit) + " bytes"));
      return MHD_NO;
    }
    ctx->request.body.append(upload_data, *upload_data_size);
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (ctx->handed_off) return MHD_YES;  // not reached: a suspended connection gets no calls
  self->watchdog->body_received(watch_of(ctx));
  self->hand_off(connection, ctx);
  return MHD_YES;
}

void HttpServer::Impl::on_completed(void* cls, MHD_Connection* connection, void** req_cls,
                                    MHD_RequestTerminationCode /*code*/) {
  auto* self = static_cast<Impl*>(cls);
  auto* ctx = static_cast<RequestContext*>(*req_cls);
  if (ctx != nullptr && !ctx->slot_key.empty()) self->slots->give_back(ctx->slot_key);
  delete ctx;
  *req_cls = nullptr;
  const ConnectionState* state = state_of(connection);
  if (state != nullptr) self->watchdog->request_done(state->watch);
}

void HttpServer::Impl::connection_opened(MHD_Connection* connection, ConnectionState* state) const {
  const MHD_ConnectionInfo* address =
      MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  state->peer = address ? address_text(address->client_addr) : "";
  if (!is_trusted_proxy(state->peer, trusted_proxies)) {
    const std::string key = address_cap_key(state->peer);
    if (slots->take(key)) {
      state->slot_key = key;
    } else {
      state->over_cap = true;
    }
  }
  const MHD_ConnectionInfo* fd =
      MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
  if (fd != nullptr) {
    state->watch = watchdog->opened(fd->connect_fd, state->over_cap ? kRefusedHeadSeconds : 0.0);
  }
}

void HttpServer::Impl::connection_closed(ConnectionState* state) const {
  if (!state->slot_key.empty()) slots->give_back(state->slot_key);
  watchdog->closed(state->watch);
  delete state;
}

void HttpServer::Impl::on_connection(void* cls, MHD_Connection* connection, void** socket_context,
                                     MHD_ConnectionNotificationCode code) {
  auto* self = static_cast<Impl*>(cls);
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    auto* state = new ConnectionState;
    self->connection_opened(connection, state);
    *socket_context = state;
    if (self->open_connections) self->open_connections->add(1);
  } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
    if (*socket_context != nullptr) {
      self->connection_closed(static_cast<ConnectionState*>(*socket_context));
      if (self->open_connections) self->open_connections->add(-1);
    }
    *socket_context = nullptr;
  }
}

void HttpServer::Impl::bind_metrics() {
  if (metrics == nullptr) return;
  open_connections = &metrics->gauge("clipsearch_http_open_connections", "Connections open now");
  waiting_requests = &metrics->gauge("clipsearch_http_waiting_requests",
                                     "Complete requests waiting for a handler thread");
  const char* help = "Requests answered 429 by the per-address cap, by what was counted";
  refused_connections =
      &metrics->counter("clipsearch_http_refused_total", help, {{"cap", "connections"}});
  refused_forwarded =
      &metrics->counter("clipsearch_http_refused_total", help, {{"cap", "forwarded_requests"}});
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { stop(); }

namespace {

// The listening address as a sockaddr; sets MHD_USE_IPv6 in *flags for an IPv6 one.
sockaddr_storage listen_address(const ServerConfig& config, unsigned* flags) {
  sockaddr_storage addr{};
  if (inet_pton(AF_INET, config.bind_address.c_str(),
                &reinterpret_cast<sockaddr_in*>(&addr)->sin_addr) == 1) {
    auto* a = reinterpret_cast<sockaddr_in*>(&addr);
    a->sin_family = AF_INET;
    a->sin_port = htons(static_cast<uint16_t>(config.port));
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(&addr);
    inet_pton(AF_INET6, config.bind_address.c_str(), &a->sin6_addr);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(static_cast<uint16_t>(config.port));
    *flags |= MHD_USE_IPv6;
  }
  return addr;
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::start(const ServerConfig& config, Router router,
                                                      Metrics* metrics) {
  CLIPSEARCH_RETURN_IF_ERROR(config.validate());
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  if (impl->config.max_connections == 0) {
    impl->config.max_connections = connections_within_descriptor_limit();
  }
  CLIPSEARCH_RETURN_IF_ERROR(fit_descriptor_limit(impl->config.max_connections));
  impl->router = std::move(router);
  impl->metrics = metrics;
  impl->bind_metrics();
  impl->trusted_proxies = parse_address_ranges(config.trusted_proxies).value();
  impl->slots = std::make_unique<AddressSlots>(config.max_connections_per_ip);
  impl->watchdog = std::make_unique<ConnectionWatchdog>(config.header_timeout_seconds,
                                                        config.body_timeout_seconds);
  impl->handlers = std::make_unique<HandlerPool>(config.handler_threads);

  unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME;
  sockaddr_storage addr = listen_address(config, &flags);
  // A pool of one is no pool: libmicrohttpd wants the option only for two or more.
  const unsigned pool = config.event_threads > 1 ? config.event_threads : 0;
  Impl* raw = impl.get();
  impl->daemon = MHD_start_daemon(
      flags, static_cast<uint16_t>(config.port), nullptr, nullptr, &Impl::on_request, raw,
      MHD_OPTION_SOCK_ADDR, reinterpret_cast<sockaddr*>(&addr), MHD_OPTION_THREAD_POOL_SIZE, pool,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, static_cast<size_t>(config.max_header_bytes),
      MHD_OPTION_CONNECTION_LIMIT, impl->config.max_connections, MHD_OPTION_LISTEN_BACKLOG_SIZE,
      std::min(impl->config.max_connections, 4096u), MHD_OPTION_CONNECTION_TIMEOUT,
      static_cast<unsigned>(config.idle_timeout_seconds), MHD_OPTION_NOTIFY_COMPLETED,
      &Impl::on_completed, raw, MHD_OPTION_NOTIFY_CONNECTION, &Impl::on_connection, raw,
      MHD_OPTION_STRICT_FOR_CLIENT, 1, MHD_OPTION_END);
  if (impl->daemon == nullptr) {
    return Status::error("cannot listen on " + config.bind_address + " port " +
                         std::to_string(config.port) + ": " + std::strerror(errno) +
                         " (port in use, or address not on this machine?)");
  }
  const MHD_DaemonInfo* info = MHD_get_daemon_info(impl->daemon, MHD_DAEMON_INFO_BIND_PORT);
  impl->port = info ? info->port : config.port;
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

int HttpServer::port() const { return impl_->port; }
const ServerConfig& HttpServer::config() const { return impl_->config; }
uint64_t HttpServer::connections_cut() const {
  return impl_->watchdog ? impl_->watchdog->connections_cut() : 0;
}

void HttpServer::stop() {
  if (impl_ && impl_->daemon != nullptr) {
    // Every suspended connection must be resumed before the daemon stops: the pool answers what
    // is queued with 503, waits for the running handlers, and refuses new work from here on
    // (hand_off then resumes at once).
    impl_->handlers->stop();
    MHD_stop_daemon(impl_->daemon);
    impl_->daemon = nullptr;
  }
}

}  // namespace clipsearch::server
