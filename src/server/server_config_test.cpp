#include "server/server_config.h"

#include <gtest/gtest.h>

#include "server/router.h"

namespace clipsearch::server {
namespace {

TEST(ServerConfig, LoopbackAddresses) {
  EXPECT_TRUE(is_loopback_address("127.0.0.1"));
  EXPECT_TRUE(is_loopback_address("127.8.9.10"));
  EXPECT_TRUE(is_loopback_address("::1"));
  EXPECT_TRUE(is_loopback_address("::ffff:127.0.0.1"));
  EXPECT_FALSE(is_loopback_address("0.0.0.0"));
  EXPECT_FALSE(is_loopback_address("::"));
  EXPECT_FALSE(is_loopback_address("192.168.1.2"));
  EXPECT_FALSE(is_loopback_address("localhost"));  // names are not resolved
}

TEST(ServerConfig, NonLoopbackBindNeedsATokenOrExplicitNoAuth) {
  ServerConfig c;
  EXPECT_TRUE(c.validate().ok());
  c.bind_address = "0.0.0.0";
  Status st = c.validate();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("without authentication"), std::string::npos);
  EXPECT_NE(st.message().find("0.0.0.0"), std::string::npos);
  c.auth_token = "t0ken";
  EXPECT_TRUE(c.validate().ok());
  c.auth_token.clear();
  c.no_auth = true;
  EXPECT_TRUE(c.validate().ok());
}

TEST(ServerConfig, RejectsBadValues) {
  ServerConfig c;
  c.bind_address = "example.com";
  EXPECT_FALSE(c.validate().ok());
  c = ServerConfig();
  c.port = 70000;
  EXPECT_FALSE(c.validate().ok());
  c = ServerConfig();
  c.auth_token = "has space";
  EXPECT_FALSE(c.validate().ok());
  c = ServerConfig();
  c.max_header_bytes = 100;
  EXPECT_FALSE(c.validate().ok());
}

TEST(ServerConfig, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
  EXPECT_FALSE(constant_time_equal("", "a"));
  EXPECT_TRUE(constant_time_equal("", ""));
}

TEST(Router, MatchesPatternsAndListsAllowedMethods) {
  Router r;
  auto h = [](const Request&) { return Response(); };
  r.add("GET", "/api/images/{id}", h);
  r.add("GET", "/api/search", h);
  r.add("POST", "/api/search", h);
  r.add("GET", "/", h);
  Router::Match m = r.match("GET", "/api/images/12");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.params.at("id"), "12");
  EXPECT_EQ(r.match("GET", "/").route->pattern, "/");
  EXPECT_EQ(r.match("GET", "/api/images").route, nullptr);
  EXPECT_EQ(r.match("GET", "/api/images/1/2").route, nullptr);
  EXPECT_EQ(r.match("GET", "/api/search/").route, nullptr);
  m = r.match("DELETE", "/api/search");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_EQ(m.allowed_methods, (std::vector<std::string>{"GET", "HEAD", "POST"}));
  EXPECT_EQ(r.match("HEAD", "/api/search").route->method, "GET");
  EXPECT_TRUE(r.match("GET", "/missing").allowed_methods.empty());
}

TEST(ServerConfig, ConnectionSettingsAreChecked) {
  ServerConfig c;
  EXPECT_TRUE(c.validate().ok());
  c.trusted_proxies = {"10.0.0.0/8", "proxy.example"};
  Status st = c.validate();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("trusted proxy 'proxy.example'"), std::string::npos) << st.message();
  c.trusted_proxies = {"10.0.0.0/8", "::1"};
  EXPECT_TRUE(c.validate().ok());
  c.handler_threads = 0;
  EXPECT_NE(c.validate().message().find("handler_threads"), std::string::npos);
  c.handler_threads = 8;
  c.event_threads = 0;
  EXPECT_NE(c.validate().message().find("event_threads"), std::string::npos);
  c.event_threads = 1;
  c.max_connections_per_ip = 0;
  EXPECT_NE(c.validate().message().find("max_connections_per_ip"), std::string::npos);
}

}  // namespace
}  // namespace clipsearch::server
