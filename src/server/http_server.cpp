// The libmicrohttpd glue. For each request libmicrohttpd calls on_request() several times on the
// connection's thread: once when the head is complete (all checks that need only the head run
// here, and may answer at once), once per piece of body (appended, size-checked), and once when
// the body is complete (the handler runs). Connection-level callbacks feed the watchdog.
#include "server/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>

#include "server/connection_watchdog.h"

namespace clipsearch::server {

namespace {

using Clock = std::chrono::steady_clock;

std::string lowercase(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

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

// Per-request state, kept in libmicrohttpd's request closure between calls.
struct RequestContext {
  Request request;
  const Route* route = nullptr;
  size_t body_limit = 0;
  Clock::time_point started = Clock::now();
  ConnectionWatchdog::Connection* watch = nullptr;
};

}  // namespace

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

struct HttpServer::Impl {
  ServerConfig config;
  Router router;
  Metrics* metrics = nullptr;
  MHD_Daemon* daemon = nullptr;
  int port = 0;
  std::unique_ptr<ConnectionWatchdog> watchdog;

  // --- libmicrohttpd callbacks (cls = Impl*) ---
  static MHD_Result on_request(void* cls, MHD_Connection* connection, const char* url,
                               const char* method, const char* version, const char* upload_data,
                               size_t* upload_data_size, void** req_cls);
  static void on_completed(void* cls, MHD_Connection* connection, void** req_cls,
                           MHD_RequestTerminationCode code);
  static void on_connection(void* cls, MHD_Connection* connection, void** socket_context,
                            MHD_ConnectionNotificationCode code);

  // Checks that need only the request head; an answer here ends the request.
  bool check_head(RequestContext* ctx, Response* answer) const;
  Response run_handler(RequestContext* ctx) const;
  void add_common_headers(const Request& request, Response* response) const;
  MHD_Result send(MHD_Connection* connection, RequestContext* ctx, Response response) const;
  void record(const RequestContext* ctx, int status) const;
  void write_raw_and_close(MHD_Connection* connection, RequestContext* ctx,
                           Response response) const;
};

namespace {

MHD_Result collect_header(void* cls, MHD_ValueKind, const char* key, const char* value) {
  auto* map = static_cast<std::map<std::string, std::string>*>(cls);
  if (key != nullptr) map->emplace(lowercase(key), value ? value : "");
  return MHD_YES;
}

MHD_Result collect_query(void* cls, MHD_ValueKind, const char* key, const char* value) {
  auto* map = static_cast<std::map<std::string, std::string>*>(cls);
  if (key != nullptr) map->emplace(key, value ? value : "");
  return MHD_YES;
}

ConnectionWatchdog::Connection* watch_of(MHD_Connection* connection) {
  const MHD_ConnectionInfo* info =
      MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  return info ? static_cast<ConnectionWatchdog::Connection*>(info->socket_context) : nullptr;
}

}  // namespace

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
    r.set_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
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
    if (lowercase(trim(*enc)) != "identity" && !trim(*enc).empty()) {
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
  const double seconds = std::chrono::duration<double>(Clock::now() - ctx->started).count();
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
  MHD_Response* r = nullptr;
  if (!response.file_path.empty()) {
    const int fd = open(response.file_path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      if (fd >= 0) close(fd);
      Response missing = Response::error(404, "file not found");
      add_common_headers(ctx->request, &missing);
      response = std::move(missing);
    } else {
      r = response.file_length < 0
              ? MHD_create_response_from_fd64(static_cast<uint64_t>(st.st_size), fd)
              : MHD_create_response_from_fd_at_offset64(
                    static_cast<uint64_t>(response.file_length), fd,
                    static_cast<uint64_t>(response.file_offset));
      if (r == nullptr) close(fd);
    }
  }
  if (r == nullptr) {
    r = MHD_create_response_from_buffer(
        response.body.size(), const_cast<char*>(response.body.data()), MHD_RESPMEM_MUST_COPY);
  }
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
// not be read to its end: the 413 is written on the socket directly (this is the connection's
// own thread and nothing else is being sent), then the connection is closed.
void HttpServer::Impl::write_raw_and_close(MHD_Connection* connection, RequestContext* ctx,
                                           Response response) const {
  add_common_headers(ctx->request, &response);
  response.set_header("Content-Length", std::to_string(response.body.size()));
  response.set_header("Connection", "close");
  std::string raw = "HTTP/1.1 " + std::to_string(response.status) + " " +
                    http_status_text(response.status) + "\r\n";
  for (const auto& [name, value] : response.headers) raw += name + ": " + value + "\r\n";
  raw += "\r\n" + response.body;
  const MHD_ConnectionInfo* info =
      MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
  if (info != nullptr) {
    const int fd = info->connect_fd;
    size_t sent = 0;
    const auto deadline = Clock::now() + std::chrono::seconds(1);
    while (sent < raw.size() && Clock::now() < deadline) {
      const ssize_t n = ::send(fd, raw.data() + sent, raw.size() - sent, MSG_NOSIGNAL);
      if (n > 0) {
        sent += static_cast<size_t>(n);
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        pollfd p{fd, POLLOUT, 0};
        poll(&p, 1, 100);
      } else {
        break;
      }
    }
    shutdown(fd, SHUT_WR);
  }
  record(ctx, response.status);
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
    ctx->watch = watch_of(connection);
    if (self->watchdog) self->watchdog->headers_received(ctx->watch);
    Request& req = ctx->request;
    req.method = method ? method : "";
    req.path = url ? url : "";
    MHD_get_connection_values(connection, MHD_HEADER_KIND, collect_header, &req.headers);
    MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, collect_query, &req.query);
    const MHD_ConnectionInfo* info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (info != nullptr) req.client_address = address_text(info->client_addr);
    Response answer;
    if (self->check_head(ctx, &answer)) return self->send(connection, ctx, std::move(answer));
    return MHD_YES;
  }
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
  if (self->watchdog) self->watchdog->body_received(ctx->watch);
  return self->send(connection, ctx, self->run_handler(ctx));
}

void HttpServer::Impl::on_completed(void* cls, MHD_Connection* connection, void** req_cls,
                                    MHD_RequestTerminationCode /*code*/) {
  auto* self = static_cast<Impl*>(cls);
  delete static_cast<RequestContext*>(*req_cls);
  *req_cls = nullptr;
  if (self->watchdog) self->watchdog->request_done(watch_of(connection));
}

void HttpServer::Impl::on_connection(void* cls, MHD_Connection* connection, void** socket_context,
                                     MHD_ConnectionNotificationCode code) {
  auto* self = static_cast<Impl*>(cls);
  if (!self->watchdog) return;
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    const MHD_ConnectionInfo* info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    *socket_context = info ? self->watchdog->opened(info->connect_fd) : nullptr;
  } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
    self->watchdog->closed(static_cast<ConnectionWatchdog::Connection*>(*socket_context));
    *socket_context = nullptr;
  }
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { stop(); }

Result<std::unique_ptr<HttpServer>> HttpServer::start(const ServerConfig& config, Router router,
                                                      Metrics* metrics) {
  CLIPSEARCH_RETURN_IF_ERROR(config.validate());
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->router = std::move(router);
  impl->metrics = metrics;
  impl->watchdog = std::make_unique<ConnectionWatchdog>(config.header_timeout_seconds,
                                                        config.body_timeout_seconds);

  sockaddr_storage addr{};
  unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
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
    flags |= MHD_USE_IPv6;
  }
  Impl* raw = impl.get();
  impl->daemon = MHD_start_daemon(
      flags, static_cast<uint16_t>(config.port), nullptr, nullptr, &Impl::on_request, raw,
      MHD_OPTION_SOCK_ADDR, reinterpret_cast<sockaddr*>(&addr), MHD_OPTION_CONNECTION_MEMORY_LIMIT,
      static_cast<size_t>(config.max_header_bytes), MHD_OPTION_CONNECTION_LIMIT,
      static_cast<unsigned>(config.max_connections), MHD_OPTION_PER_IP_CONNECTION_LIMIT,
      static_cast<unsigned>(config.max_connections_per_ip), MHD_OPTION_CONNECTION_TIMEOUT,
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
    MHD_stop_daemon(impl_->daemon);
    impl_->daemon = nullptr;
  }
}

}  // namespace clipsearch::server
