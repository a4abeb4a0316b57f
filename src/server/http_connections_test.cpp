// Connections cost memory, not threads (issue 19): 2,000 slow connections from ten loopback
// addresses do not stop a real client, are cut at their head deadline, and leave the thread
// count where it was; the per-address cap answers the excess with 429; X-Forwarded-For counts
// only from a trusted proxy; stop() answers what waits for a handler. Bounded to seconds.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "server/http_server.h"
#include "server/test_http_client.h"
#include "testing/gate.h"

namespace clipsearch::server {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::connect_from;
using testing::exchange;
using testing::get_request;
using testing::RawResponse;

// Requests to /api/slow wait at the gate until the test opens it.
using clipsearch::testing::Gate;

Router routes(Gate* gate) {
  Router r;
  r.add("GET", "/api/images/{id}", [](const Request& req) {
    return Response::json(200, {{"id", req.path_params.at("id")}, {"client", req.client_address}});
  });
  r.add("GET", "/api/slow", [gate](const Request& req) {
    gate->wait();
    return Response::json(200, {{"client", req.client_address}});
  });
  return r;
}

std::unique_ptr<HttpServer> start(const ServerConfig& config, Gate* gate,
                                  Metrics* metrics = nullptr) {
  auto server = HttpServer::start(config, routes(gate), metrics);
  EXPECT_TRUE(server.ok()) << server.status().message();
  return server.ok() ? std::move(server).value() : nullptr;
}

ServerConfig base_config() {
  ServerConfig c;
  c.port = 0;
  c.idle_timeout_seconds = 30;  // longer than every deadline here: only the watchdog cuts
  c.header_timeout_seconds = 3.0;
  c.body_timeout_seconds = 5.0;
  return c;
}

std::string client_of(const RawResponse& r) {
  const auto j = nlohmann::json::parse(r.body, nullptr, false);
  return j.is_object() && j.contains("client") ? j["client"].get<std::string>() : "";
}

// True when the peer has closed `fd` (end-of-file or reset); never blocks.
bool peer_closed(int fd) {
  pollfd p{fd, POLLIN | POLLRDHUP, 0};
  if (poll(&p, 1, 0) <= 0) return false;
  if (p.revents & (POLLHUP | POLLERR | POLLRDHUP)) return true;
  char sink[256];
  const ssize_t n = recv(fd, sink, sizeof sink, MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

// A connection sending its request head one byte at a time (slowloris).
struct SlowClient {
  int fd = -1;
  Clock::time_point opened;
  Clock::time_point closed_at{};
  bool closed = false;
};

bool raise_descriptor_limit(rlim_t wanted) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return false;
  if (limit.rlim_cur >= wanted) return true;
  if (limit.rlim_max < wanted) return false;
  limit.rlim_cur = wanted;
  return setrlimit(RLIMIT_NOFILE, &limit) == 0;
}

TEST(HttpConnections, TwoThousandSlowConnectionsDoNotStopARealClient) {
  constexpr int kSlow = 2000;
  constexpr int kAddresses = 10;  // 127.0.0.2 .. 127.0.0.11, 200 each
  // Client sockets, and the server's socket and watchdog dup for each, in this one process.
  if (!raise_descriptor_limit(4 * kSlow + 512)) {
    GTEST_SKIP() << "the hard file-descriptor limit (ulimit -Hn) is below " << 4 * kSlow + 512;
  }
  ServerConfig config = base_config();
  config.max_connections = 2 * kSlow;
  config.max_connections_per_ip = kSlow / kAddresses + 10;
  Gate gate;
  auto server = start(config, &gate);
  ASSERT_NE(server, nullptr);
  ASSERT_EQ(exchange(server->port(), get_request("/api/images/0")).status, 200);
  const long threads_before = testing::thread_count();
  const long rss_before = testing::resident_kib();

  std::vector<SlowClient> slow(kSlow);
  for (int i = 0; i < kSlow; ++i) {
    const std::string source = "127.0.0." + std::to_string(2 + i % kAddresses);
    slow[i].fd = connect_from(source, server->port(), /*nonblocking=*/true);
    ASSERT_GE(slow[i].fd, 0) << "connection " << i << " from " << source;
    slow[i].opened = Clock::now();
  }
  // Each sends a request line and then one header byte every 200 ms, never the blank line.
  auto trickle = [&](const std::string& bytes) {
    for (SlowClient& c : slow) {
      if (c.closed) continue;
      const bool send_failed = send(c.fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) < 0 &&
                               errno != EAGAIN && errno != EWOULDBLOCK;
      if (send_failed || peer_closed(c.fd)) {
        c.closed = true;
        c.closed_at = Clock::now();
      }
    }
  };
  for (SlowClient& c : slow) {  // connected (loopback: at once, unless the backlog is full)
    pollfd p{c.fd, POLLOUT, 0};
    ASSERT_EQ(poll(&p, 1, 5000), 1);
  }
  trickle("GET /api/images/1 HTTP/1.1\r\nHost: x\r\nX-Slow: ");

  long threads_peak = 0, rss_peak = 0;
  std::vector<double> real_client_seconds;
  const auto all_opened = Clock::now();
  while (Clock::now() - all_opened < 5s) {
    std::this_thread::sleep_for(200ms);
    trickle("a");
    threads_peak = std::max(threads_peak, testing::thread_count());
    rss_peak = std::max(rss_peak, testing::resident_kib());
    if (real_client_seconds.size() < 3 && Clock::now() - all_opened > 500ms) {
      const auto t0 = Clock::now();
      RawResponse r = exchange(server->port(), get_request("/api/images/7"), 5.0);
      real_client_seconds.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
      EXPECT_EQ(r.status, 200) << "a real client among the slow ones";
    }
  }
  ASSERT_EQ(real_client_seconds.size(), 3u);
  for (double s : real_client_seconds) EXPECT_LT(s, 1.0) << "the real client waited";

  int cut = 0, early = 0;
  double latest = 0;
  for (SlowClient& c : slow) {
    if (!c.closed) continue;
    ++cut;
    const double after = std::chrono::duration<double>(c.closed_at - c.opened).count();
    if (after < config.header_timeout_seconds - 0.3) ++early;
    latest = std::max(latest, after);
  }
  EXPECT_EQ(cut, kSlow) << "every slow connection is closed by its head deadline";
  EXPECT_EQ(early, 0) << "none is closed before its deadline";
  EXPECT_LT(latest, config.header_timeout_seconds + 1.5);
  EXPECT_GE(server->connections_cut(), static_cast<uint64_t>(kSlow));
  // No thread per connection: the count stays where it was (the event threads and the handler
  // pool exist from the start).
  EXPECT_LE(threads_peak, threads_before + 2);
  // Memory: libmicrohttpd's per-connection pool and the watchdog's entry, a few KiB each.
  EXPECT_LT(rss_peak - rss_before, 32L * kSlow) << "KiB for " << kSlow << " connections";
  std::cout << "threads " << threads_before << " -> " << threads_peak << ", RSS +"
            << (rss_peak - rss_before) / 1024 << " MiB for " << kSlow
            << " connections; real client " << real_client_seconds[0] << ", "
            << real_client_seconds[1] << ", " << real_client_seconds[2] << " s; last cut after "
            << latest << " s\n";
  for (SlowClient& c : slow) close(c.fd);
  gate.release();
}

TEST(HttpConnections, PerAddressCapAnswersTheExcessWith429) {
  ServerConfig config = base_config();
  config.max_connections_per_ip = 3;
  Gate gate;
  Metrics metrics;
  auto server = start(config, &gate, &metrics);
  ASSERT_NE(server, nullptr);
  std::vector<int> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(connect_from("127.0.0.3", server->port()));
    ASSERT_GE(held.back(), 0);
    ASSERT_TRUE(testing::send_all(held.back(), get_request("/api/images/1")));
    ASSERT_EQ(testing::read_response(held.back()).status, 200);
  }
  const int extra = connect_from("127.0.0.3", server->port());
  ASSERT_GE(extra, 0);
  ASSERT_TRUE(testing::send_all(extra, get_request("/api/images/1")));
  RawResponse r = testing::read_response(extra);
  EXPECT_EQ(r.status, 429);
  EXPECT_NE(r.body.find("too many connections from 127.0.0.3"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("at most 3"), std::string::npos) << r.body;
  EXPECT_EQ(r.headers["retry-after"], "1");
  EXPECT_TRUE(testing::wait_closed(extra, 2.0));
  close(extra);
  std::string text = metrics.render();
  EXPECT_NE(text.find("clipsearch_http_refused_total{cap=\"connections\"} 1"), std::string::npos)
      << text;
  for (int i = 0; i < 100 && text.find("open_connections 3\n") == std::string::npos; ++i) {
    std::this_thread::sleep_for(10ms);  // the server may not have closed its end yet
    text = metrics.render();
  }
  EXPECT_NE(text.find("clipsearch_http_open_connections 3\n"), std::string::npos) << text;
  // Another address is not affected.
  const int other = connect_from("127.0.0.4", server->port());
  ASSERT_TRUE(testing::send_all(other, get_request("/api/images/2")));
  EXPECT_EQ(testing::read_response(other).status, 200);
  close(other);
  // A closed connection gives its slot back.
  close(held.back());
  held.pop_back();
  int status = 0;
  for (int attempt = 0; attempt < 50 && status != 200; ++attempt) {
    const int again = connect_from("127.0.0.3", server->port());
    testing::send_all(again, get_request("/api/images/3"));
    status = testing::read_response(again).status;
    close(again);
    if (status != 200) std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(status, 200);
  for (int fd : held) close(fd);
}

TEST(HttpConnections, ForwardedForCountsOnlyFromATrustedProxy) {
  ServerConfig config = base_config();
  config.max_connections_per_ip = 2;
  config.trusted_proxies = {"127.0.0.1"};
  Gate gate;
  auto server = start(config, &gate);
  ASSERT_NE(server, nullptr);
  const std::string xff = "X-Forwarded-For: 198.51.100.1, 203.0.113.7\r\n";
  // The proxy's own connections are not capped: five at once, each naming its client.
  std::vector<int> proxy;
  for (int i = 0; i < 5; ++i) {
    proxy.push_back(connect_from("127.0.0.1", server->port()));
    ASSERT_TRUE(testing::send_all(proxy.back(), get_request("/api/images/1", xff)));
    RawResponse r = testing::read_response(proxy.back());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(client_of(r), "203.0.113.7");
  }
  // From any other address the header is the client's own word: ignored.
  const int untrusted = connect_from("127.0.0.5", server->port());
  ASSERT_TRUE(testing::send_all(untrusted, get_request("/api/images/1", xff)));
  EXPECT_EQ(client_of(testing::read_response(untrusted)), "127.0.0.5");
  close(untrusted);

  // A forwarded client holds its cap in requests in flight: the third is refused.
  const std::string nine = "X-Forwarded-For: 203.0.113.9\r\n";
  std::vector<std::future<RawResponse>> slow;
  for (int i = 0; i < 2; ++i) {
    slow.push_back(std::async(std::launch::async, [&] {
      return exchange(server->port(), get_request("/api/slow", nine), 10.0);
    }));
  }
  ASSERT_TRUE(gate.wait_for_waiting(2));
  RawResponse refused = exchange(server->port(), get_request("/api/slow", nine));
  EXPECT_EQ(refused.status, 429);
  EXPECT_NE(refused.body.find("too many requests in flight from 203.0.113.9 (forwarded by "
                              "127.0.0.1)"),
            std::string::npos)
      << refused.body;
  RawResponse other =
      exchange(server->port(), get_request("/api/images/2", "X-Forwarded-For: 203.0.113.10\r\n"));
  EXPECT_EQ(other.status, 200) << "another forwarded client is not affected";
  gate.release();
  for (auto& f : slow) EXPECT_EQ(f.get().status, 200);
  EXPECT_EQ(exchange(server->port(), get_request("/api/images/3", nine)).status, 200)
      << "the slots are given back when the requests complete";
  for (int fd : proxy) close(fd);
}

TEST(HttpConnections, StopAnswersQueuedRequestsAndWaitsForRunningHandlers) {
  ServerConfig config = base_config();
  config.handler_threads = 1;
  Gate gate;
  auto server = start(config, &gate);
  ASSERT_NE(server, nullptr);
  auto running = std::async(
      std::launch::async, [&] { return exchange(server->port(), get_request("/api/slow"), 10.0); });
  ASSERT_TRUE(gate.wait_for_waiting(1));
  // The one handler thread is busy: this request waits in the queue, costing no thread.
  const int queued = testing::connect_loopback(server->port());
  ASSERT_TRUE(testing::send_all(queued, get_request("/api/images/1")));
  std::this_thread::sleep_for(100ms);
  auto stopped = std::async(std::launch::async, [&] { server->stop(); });
  RawResponse r = testing::read_response(queued, 5.0);
  EXPECT_EQ(r.status, 503) << "a queued request is answered when the server stops";
  EXPECT_NE(r.body.find("stopping"), std::string::npos) << r.body;
  EXPECT_EQ(stopped.wait_for(100ms), std::future_status::timeout)
      << "stop() waits for the running handler";
  gate.release();
  stopped.get();
  running.get();  // answered or cut: either way it returns, and nothing leaks (ASan)
  close(queued);
}

}  // namespace
}  // namespace clipsearch::server
