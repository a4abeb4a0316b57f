// The HTTP layer against raw-socket clients: routing and error classes, every limit, the attacks
// of issue 6 (endless header line, slowloris, over-limit and malformed chunked bodies, gzip
// bodies), auth and CORS. Each test is bounded to a few seconds.
#include "server/http_server.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "server/file_stream.h"
#include "server/test_http_client.h"

namespace clipsearch::server {
namespace {

using namespace std::chrono_literals;
using testing::exchange;
using testing::get_request;
using testing::RawResponse;

constexpr size_t kUploadLimit = 1u << 20;

Router test_routes() {
  Router r;
  r.add("GET", "/",
        [](const Request&) {
          return Response::bytes(200, "<!doctype html><title>t</title>",
                                 "text/html; charset=utf-8");
        },
        {.public_route = true});
  r.add("GET", "/api/images/{id}", [](const Request& req) {
    return Response::json(200, {{"id", req.path_params.at("id")},
                                {"q", req.query_value("q")},
                                {"client", req.client_address}});
  });
  r.add(
      "POST", "/api/upload",
      [](const Request& req) {
        return Response::json(200, {{"bytes", req.body.size()}, {"head", req.body.substr(0, 16)}});
      },
      {.max_body_bytes = kUploadLimit});
  r.add("GET", "/api/throw", [](const Request&) -> Response { throw std::runtime_error("boom"); });
  return r;
}

ServerConfig test_config() {
  ServerConfig c;
  c.port = 0;
  c.idle_timeout_seconds = 3;
  c.header_timeout_seconds = 1.0;
  c.body_timeout_seconds = 2.0;
  return c;
}

std::unique_ptr<HttpServer> start(const ServerConfig& config, Metrics* metrics = nullptr) {
  auto server = HttpServer::start(config, test_routes(), metrics);
  EXPECT_TRUE(server.ok()) << server.status().message();
  return server.ok() ? std::move(server).value() : nullptr;
}

nlohmann::json body_json(const RawResponse& r) {
  return nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
}

void expect_json_error(const RawResponse& r, int status) {
  EXPECT_EQ(r.status, status);
  EXPECT_EQ(r.headers.count("content-type") ? r.headers.at("content-type") : "",
            "application/json");
  const nlohmann::json j = body_json(r);
  ASSERT_TRUE(j.is_object()) << r.body;
  EXPECT_TRUE(j.contains("error")) << r.body;
}

TEST(HttpServer, BindsAnEphemeralPortAndRoutesWithParams) {
  auto server = start(test_config());
  ASSERT_NE(server, nullptr);
  EXPECT_GT(server->port(), 0);
  RawResponse r = exchange(server->port(), get_request("/api/images/42?q=red%20car&x"));
  ASSERT_EQ(r.status, 200) << r.body;
  const nlohmann::json j = body_json(r);
  EXPECT_EQ(j["id"], "42");
  EXPECT_EQ(j["q"], "red car");
  EXPECT_EQ(j["client"], "127.0.0.1");
}

TEST(HttpServer, UnknownRouteIsJson404AndWrongMethodIs405) {
  auto server = start(test_config());
  ASSERT_NE(server, nullptr);
  expect_json_error(exchange(server->port(), get_request("/nope")), 404);
  expect_json_error(exchange(server->port(), get_request("/api/images/")), 404);
  RawResponse r = exchange(server->port(), "DELETE /api/images/1 HTTP/1.1\r\nHost: x\r\n\r\n");
  expect_json_error(r, 405);
  EXPECT_EQ(r.headers["allow"], "GET, HEAD");
}

TEST(HttpServer, HeadIsGetWithoutTheBody) {
  auto server = start(test_config());
  ASSERT_NE(server, nullptr);
  RawResponse r = exchange(server->port(),
                           "HEAD /api/images/7 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"], "application/json");
  EXPECT_TRUE(r.body.empty()) << r.body;
  EXPECT_EQ(exchange(server->port(), "HEAD /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .status,
            404);
}

TEST(HttpServer, SecurityHeadersOnEveryResponse) {
  auto server = start(test_config());
  ASSERT_NE(server, nullptr);
  for (const char* path : {"/", "/nope", "/api/images/1"}) {
    RawResponse r = exchange(server->port(), get_request(path));
    ASSERT_NE(r.status, 0) << path;
    EXPECT_NE(r.headers["content-security-policy"].find("default-src 'self'"), std::string::npos)
        << path;
    EXPECT_EQ(r.headers["content-security-policy"].find("unsafe-inline"), std::string::npos);
    EXPECT_EQ(r.headers["x-content-type-options"], "nosniff") << path;
    EXPECT_EQ(r.headers["referrer-policy"], "no-referrer") << path;
  }
}

TEST(HttpServer, HandlerExceptionIs500Json) {
  auto server = start(test_config());
  ASSERT_NE(server, nullptr);
  expect_json_error(exchange(server->port(), get_request("/api/throw")), 500);
}

TEST(HttpServer, ReceivesBodiesWithLengthAndChunked) {
  auto server = start(test_config());
  ASSERT_NE(server, nullptr);
  std::string body(300000, 'b');
  RawResponse r = exchange(server->port(),
                           "POST /api/upload HTTP/1.1\r\nHost: x\r\n"
                           "Content-Length: " +
                               std::to_string(body.size()) + "\r\n\r\n" + body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_json(r)["bytes"], body.size());
  r = exchange(server->port(),
               "POST /api/upload HTTP/1.1\r\nHost: x\r\n"
               "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n"
               "0\r\n\r\n");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_json(r)["head"], "hello world");
}

TEST(HttpServer, KeepAliveServesSeveralRequestsOnOneConnection) {
  auto server = start(test_config());
  ASSERT_NE(server, nullptr);
  const int fd = testing::connect_loopback(server->port());
  ASSERT_GE(fd, 0);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(testing::send_all(fd, get_request("/api/images/" + std::to_string(i))));
    RawResponse r = testing::read_response(fd);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(body_json(r)["id"], std::to_string(i));
  }
  close(fd);
}

TEST(HttpServer, DeclaredOverLimitBodyIs413BeforeItIsSent) {
  auto server = start(test_config());
  ASSERT_NE(server, nullptr);
  RawResponse r =
      exchange(server->port(), "POST /api/upload HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                                   std::to_string(kUploadLimit + 1) + "\r\n\r\n");
  expect_json_error(r, 413);
  // The same with Expect: 100-continue: no "100 Continue", straight to 413.
  r = exchange(server->port(),
               "POST /api/upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
               "Content-Length: 999999999999\r\n\r\n");
  expect_json_error(r, 413);
}

TEST(HttpServer, ChunkedBodyOverLimitWithoutFinalChunkIs413AndClosed) {
  auto server = start(test_config());
  ASSERT_NE(server, nullptr);
  const int fd = testing::connect_loopback(server->port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(testing::send_all(
      fd, "POST /api/upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"));
  const std::string chunk = "10000\r\n" + std::string(0x10000, 'c') + "\r\n";  // 64 KiB
  // Keeps sending (never the final chunk) until the server stops reading: 4x the limit at most.
  for (size_t sent = 0; sent < 4 * kUploadLimit; sent += 0x10000) {
    if (!testing::send_all(fd, chunk)) break;
  }
  RawResponse r = testing::read_response(fd, 5.0);
  expect_json_error(r, 413);
  EXPECT_TRUE(r.closed || testing::wait_closed(fd, 2.0));
  close(fd);
}

TEST(HttpServer, InvalidChunkSizeIs400AndClosed) {
  auto server = start(test_config());
  ASSERT_NE(server, nullptr);
  // A chunk size that overflows 64 bits is refused by libmicrohttpd as too large (413).
  for (const char* size_line : {"-5\r\n", "zz\r\n", "ffffffffffffffffffff\r\n"}) {
    const int fd = testing::connect_loopback(server->port());
    ASSERT_GE(fd, 0);
    testing::send_all(fd, std::string("POST /api/upload HTTP/1.1\r\nHost: x\r\n"
                                      "Transfer-Encoding: chunked\r\n\r\n") +
                              size_line + "abcde\r\n");
    RawResponse r = testing::read_response(fd, 5.0);
    EXPECT_TRUE(r.status == 400 || (size_line[0] == 'f' && r.status == 413))
        << size_line << ": " << r.status;
    EXPECT_TRUE(r.closed || testing::wait_closed(fd, 2.0)) << size_line;
    close(fd);
  }
}

TEST(HttpServer, EndlessHeaderLineIsRejectedWithFlatMemory) {
  auto server = start(test_config());
  ASSERT_NE(server, nullptr);
  const long before = testing::resident_kib();
  const int fd = testing::connect_loopback(server->port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(testing::send_all(fd, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: "));
  const std::string block(1 << 20, 'a');
  size_t sent = 0;
  for (int i = 0; i < 64; ++i) {  // up to 64 MiB with no newline
    if (!testing::send_all(fd, block)) break;
    sent += block.size();
  }
  RawResponse r = testing::read_response(fd, 3.0);
  // libmicrohttpd answers 431 when the head outgrows the connection's memory pool (or simply
  // closes when the client keeps writing into a reset connection).
  EXPECT_TRUE(r.status == 431 || r.status == 0) << r.status;
  EXPECT_TRUE(r.closed || testing::wait_closed(fd, 2.0));
  close(fd);
  const long after = testing::resident_kib();
  EXPECT_LT(sent, 64u << 20) << "the server kept reading an endless header line";
  EXPECT_LT(after - before, 8 * 1024) << "RSS grew from " << before << " to " << after << " KiB";
}

TEST(HttpServer, SlowlorisHeadIsCutByTheHeaderDeadline) {
  auto server = start(test_config());  // header deadline 1 s, idle timeout 3 s
  ASSERT_NE(server, nullptr);
  const int fd = testing::connect_loopback(server->port());
  ASSERT_GE(fd, 0);
  const std::string head = "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaa";
  const auto start_time = std::chrono::steady_clock::now();
  bool cut = false;
  for (char c : head) {  // one byte every 250 ms: never idle long enough for the idle timeout
    if (!testing::send_all(fd, std::string(1, c)) || testing::wait_closed(fd, 0.25)) {
      cut = true;
      break;
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time).count();
  EXPECT_TRUE(cut);
  EXPECT_LT(seconds, 3.0);
  EXPECT_GE(server->connections_cut(), 1u);
  close(fd);
}

TEST(HttpServer, SlowBodyIsCutByTheBodyDeadline) {
  auto server = start(test_config());  // body deadline 2 s
  ASSERT_NE(server, nullptr);
  const int fd = testing::connect_loopback(server->port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(testing::send_all(fd,
                                "POST /api/upload HTTP/1.1\r\nHost: x\r\n"
                                "Content-Length: 1000\r\n\r\n"));
  bool cut = false;
  for (int i = 0; i < 20 && !cut; ++i) {
    cut = !testing::send_all(fd, "x") || testing::wait_closed(fd, 0.25);
  }
  EXPECT_TRUE(cut);
  close(fd);
}

TEST(HttpServer, CompressedRequestBodyIs415) {
  auto server = start(test_config());
  ASSERT_NE(server, nullptr);
  RawResponse r = exchange(server->port(),
                           "POST /api/upload HTTP/1.1\r\nHost: x\r\n"
                           "Content-Encoding: gzip\r\nContent-Length: 4\r\n\r\n"
                           "\x1f\x8b\x08\x00");
  expect_json_error(r, 415);
  r = exchange(server->port(),
               "POST /api/upload HTTP/1.1\r\nHost: x\r\n"
               "Content-Encoding: identity\r\nContent-Length: 2\r\n\r\nok");
  EXPECT_EQ(r.status, 200);
}

TEST(HttpServer, BearerTokenRequiredWhenConfigured) {
  ServerConfig config = test_config();
  config.auth_token = "s3cret-token";
  auto server = start(config);
  ASSERT_NE(server, nullptr);
  RawResponse r = exchange(server->port(), get_request("/api/images/1"));
  expect_json_error(r, 401);
  EXPECT_NE(r.headers["www-authenticate"].find("Bearer"), std::string::npos);
  r = exchange(server->port(), get_request("/api/images/1", "Authorization: Bearer wrong\r\n"));
  expect_json_error(r, 401);
  r = exchange(server->port(),
               get_request("/api/images/1", "Authorization: Bearer s3cret-token-longer\r\n"));
  expect_json_error(r, 401);
  r = exchange(server->port(), get_request("/api/images/1", "Authorization: Basic xyz\r\n"));
  expect_json_error(r, 401);
  r = exchange(server->port(),
               get_request("/api/images/1", "Authorization: Bearer s3cret-token\r\n"));
  EXPECT_EQ(r.status, 200);
  // The page itself is public: it holds no data, and it is what asks for the token.
  EXPECT_EQ(exchange(server->port(), get_request("/")).status, 200);
}

// A file answer is read on the handler pool, never on an event thread: while the read of its
// second chunk is held up (a slow disk), the one event thread answers another request; then
// the file arrives whole. A read that fails midway closes the connection short of the length.
TEST(HttpServer, ASlowFileReadDoesNotStallTheEventThread) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("clipsearch_file_stream_" + std::to_string(getpid())))
                               .string();
  std::string contents(3 * kFileChunkBytes + 123, '\0');
  for (size_t i = 0; i < contents.size(); ++i) contents[i] = static_cast<char>(i * 7 + i / 4096);
  std::ofstream(path, std::ios::binary) << contents;
  std::mutex mutex;
  std::condition_variable opened;
  bool open = false, fail = false;
  std::atomic<int> held{0};
  ServerConfig config = test_config();
  config.event_threads = 1;
  config.idle_timeout_seconds = 30;
  config.file_read = [&](int fd, char* buf, size_t n, int64_t at) -> ssize_t {
    if (at > 0) {  // every chunk after the first waits for the test
      ++held;
      std::unique_lock<std::mutex> lock(mutex);
      opened.wait(lock, [&] { return open; });
      if (fail) return -1;
    }
    return pread(fd, buf, n, at);
  };
  Router routes = test_routes();
  routes.add("GET", "/file",
             [&](const Request&) { return Response::file(path, "application/octet-stream"); });
  auto server = HttpServer::start(config, std::move(routes), nullptr);
  ASSERT_TRUE(server.ok()) << server.status().message();
  const int port = (*server)->port();

  const int slow = testing::connect_loopback(port);
  ASSERT_GE(slow, 0);
  ASSERT_TRUE(testing::send_all(slow, get_request("/file")));
  while (held == 0) std::this_thread::sleep_for(1ms);
  const RawResponse other = exchange(port, get_request("/api/images/7"), 10.0);
  EXPECT_EQ(other.status, 200);
  EXPECT_EQ(body_json(other)["id"], "7");
  {
    std::lock_guard<std::mutex> lock(mutex);
    open = true;
  }
  opened.notify_all();
  const RawResponse file = testing::read_response(slow, 30.0);
  close(slow);
  EXPECT_EQ(file.status, 200);
  EXPECT_EQ(file.body.size(), contents.size());
  EXPECT_TRUE(file.body == contents);

  {
    std::lock_guard<std::mutex> lock(mutex);
    fail = true;
  }
  const RawResponse failed = exchange(port, get_request("/file"), 30.0);
  EXPECT_LT(failed.body.size(), contents.size());
  std::filesystem::remove(path);
}

// A CORS preflight for `method` on `path` from `origin`.
std::string preflight(const std::string& path, const std::string& origin,
                      const std::string& method) {
  return "OPTIONS " + path + " HTTP/1.1\r\nHost: x\r\nOrigin: " + origin +
         "\r\nAccess-Control-Request-Method: " + method + "\r\n\r\n";
}

TEST(HttpServer, CorsHeadersOnlyWhenConfigured) {
  {
    auto server = start(test_config());
    ASSERT_NE(server, nullptr);
    RawResponse r =
        exchange(server->port(), get_request("/api/images/1", "Origin: http://evil.example\r\n"));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.headers.count("access-control-allow-origin"), 0u);
    r = exchange(server->port(), preflight("/api/images/1", "http://evil.example", "GET"));
    EXPECT_EQ(r.headers.count("access-control-allow-origin"), 0u);
    EXPECT_EQ(r.status, 405);
  }
  ServerConfig config = test_config();
  config.cors_origins = {"http://app.example"};
  auto server = start(config);
  ASSERT_NE(server, nullptr);
  RawResponse r =
      exchange(server->port(), get_request("/api/images/1", "Origin: http://app.example\r\n"));
  EXPECT_EQ(r.headers["access-control-allow-origin"], "http://app.example");
  r = exchange(server->port(), get_request("/api/images/1", "Origin: http://evil.example\r\n"));
  EXPECT_EQ(r.headers.count("access-control-allow-origin"), 0u);
  r = exchange(server->port(), preflight("/api/upload", "http://app.example", "POST"));
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.headers["access-control-allow-origin"], "http://app.example");
  EXPECT_NE(r.headers["access-control-allow-headers"].find("Authorization"), std::string::npos);
  // A job started from another origin can be cancelled from it (DELETE /api/jobs/{id}).
  r = exchange(server->port(),
               preflight("/api/jobs/0123456789abcdef", "http://app.example", "DELETE"));
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.headers["access-control-allow-origin"], "http://app.example");
  EXPECT_NE(r.headers["access-control-allow-methods"].find("DELETE"), std::string::npos)
      << r.headers["access-control-allow-methods"];
  r = exchange(server->port(), preflight("/api/upload", "http://evil.example", "POST"));
  expect_json_error(r, 403);
}

TEST(HttpServer, PerIpConnectionLimit) {
  ServerConfig config = test_config();
  config.max_connections_per_ip = 3;
  config.header_timeout_seconds = 30;  // so that only the limit can close the extra connection
  auto server = start(config);
  ASSERT_NE(server, nullptr);
  std::vector<int> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(testing::connect_loopback(server->port()));
    ASSERT_GE(held.back(), 0);
    // A served request proves the server accepted (and counts) this connection.
    ASSERT_TRUE(testing::send_all(held.back(), get_request("/api/images/1")));
    ASSERT_EQ(testing::read_response(held.back()).status, 200);
  }
  const int extra = testing::connect_loopback(server->port());
  ASSERT_GE(extra, 0);  // the kernel completes the handshake; the server then closes it
  EXPECT_TRUE(testing::wait_closed(extra, 2.0));
  close(extra);
  for (int fd : held) close(fd);
}

TEST(HttpServer, RecordsRequestMetrics) {
  Metrics metrics;
  auto server = start(test_config(), &metrics);
  ASSERT_NE(server, nullptr);
  exchange(server->port(), get_request("/api/images/7"));
  exchange(server->port(), get_request("/nope"));
  exchange(server->port(), "MADEUP1 /nope HTTP/1.1\r\nHost: x\r\n\r\n");
  exchange(server->port(), "MADEUP2 /nope HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string text = metrics.render();
  EXPECT_EQ(text.find("MADEUP"), std::string::npos) << "client-chosen methods are not labels";
  EXPECT_NE(text.find("clipsearch_http_requests_total{route=\"/api/images/{id}\",method=\"GET\","
                      "status=\"200\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("route=\"(unmatched)\",method=\"GET\",status=\"404\"} 1"), std::string::npos);
  EXPECT_NE(
      text.find("clipsearch_http_request_duration_seconds_count{route=\"/api/images/{id}\"} 1"),
      std::string::npos);
}

TEST(HttpServer, SecondServerOnABusyPortFailsWithAMessage) {
  auto server = start(test_config());
  ASSERT_NE(server, nullptr);
  ServerConfig config = test_config();
  config.port = server->port();
  auto second = HttpServer::start(config, Router());
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("cannot listen"), std::string::npos);
}

}  // namespace
}  // namespace clipsearch::server
