#include "server/metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "server/http_types.h"

namespace clipsearch::server {
namespace {

TEST(Metrics, RendersPrometheusTextFormat) {
  Metrics m;
  m.counter("app_requests_total", "Requests", {{"route", "/a"}, {"status", "200"}}).add(3);
  m.counter("app_requests_total", "Requests", {{"route", "/b\"x"}, {"status", "404"}}).add();
  m.gauge("app_queue_depth", "Queued items").set(5);
  Histogram& h = m.histogram("app_batch_size", "Batch sizes", {1, 2, 4});
  h.observe(1);
  h.observe(3);
  h.observe(9);
  m.add_callback("app_cache_hits_total", "Cache hits", "counter", [] { return 42.0; });
  const std::string expected =
      "# HELP app_batch_size Batch sizes\n"
      "# TYPE app_batch_size histogram\n"
      "app_batch_size_bucket{le=\"1\"} 1\n"
      "app_batch_size_bucket{le=\"2\"} 1\n"
      "app_batch_size_bucket{le=\"4\"} 2\n"
      "app_batch_size_bucket{le=\"+Inf\"} 3\n"
      "app_batch_size_sum 13\n"
      "app_batch_size_count 3\n"
      "# HELP app_cache_hits_total Cache hits\n"
      "# TYPE app_cache_hits_total counter\n"
      "app_cache_hits_total 42\n"
      "# HELP app_queue_depth Queued items\n"
      "# TYPE app_queue_depth gauge\n"
      "app_queue_depth 5\n"
      "# HELP app_requests_total Requests\n"
      "# TYPE app_requests_total counter\n"
      "app_requests_total{route=\"/a\",status=\"200\"} 3\n"
      "app_requests_total{route=\"/b\\\"x\",status=\"404\"} 1\n";
  EXPECT_EQ(m.render(), expected);
}

TEST(Metrics, FractionalBoundsAndSums) {
  Metrics m;
  Histogram& h = m.histogram("lat_seconds", "Latency", {0.005, 0.25});
  h.observe(0.001);
  h.observe(0.1);
  const std::string text = m.render();
  EXPECT_NE(text.find("lat_seconds_bucket{le=\"0.005\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_bucket{le=\"0.25\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_sum 0.101\n"), std::string::npos) << text;
}

TEST(Metrics, ConcurrentUpdatesAreAllCounted) {
  Metrics m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&m, t] {
      for (int i = 0; i < 10000; ++i) {
        m.counter("c_total", "c", {{"t", std::to_string(t % 2)}}).add();
        m.histogram("h", "h", {10}).observe(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(m.counter("c_total", "c", {{"t", "0"}}).value() +
                m.counter("c_total", "c", {{"t", "1"}}).value(),
            80000u);
  EXPECT_EQ(m.histogram("h", "h", {10}).count(), 80000u);
  EXPECT_DOUBLE_EQ(m.histogram("h", "h", {10}).sum(), 80000.0);
}

}  // namespace
}  // namespace clipsearch::server

namespace clipsearch::server {
namespace {

TEST(Metrics, ResponseAndOverloadedHelpers) {
  Metrics m;
  m.counter("x_total", "x").add();
  Response r = metrics_response(m);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(*r.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r.body.find("x_total 1\n"), std::string::npos);
  Response busy = Response::overloaded("queue full", 2);
  EXPECT_EQ(busy.status, 503);
  EXPECT_EQ(*busy.header("Retry-After"), "2");
  EXPECT_EQ(busy.body, "{\"error\":\"queue full\"}");
}

}  // namespace
}  // namespace clipsearch::server
