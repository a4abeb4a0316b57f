// parse_redis_url: every accepted form, and errors that say what is wrong without repeating the
// URL (it may hold a password).
#include "redis/redis_url.h"

#include <gtest/gtest.h>

namespace clipsearch::redis {
namespace {

RedisEndpoint parse_ok(const std::string& url) {
  auto e = parse_redis_url(url);
  EXPECT_TRUE(e.ok()) << url << ": " << e.status().message();
  return e.ok() ? *e : RedisEndpoint{};
}

std::string parse_error(const std::string& url) {
  auto e = parse_redis_url(url);
  EXPECT_FALSE(e.ok()) << url;
  EXPECT_EQ(e.status().code(), StatusCode::kInvalidArgument) << url;
  return e.ok() ? "" : e.status().message();
}

TEST(RedisUrl, TcpForms) {
  RedisEndpoint e = parse_ok("redis://localhost");
  EXPECT_EQ(e.host, "localhost");
  EXPECT_EQ(e.port, 6379);
  EXPECT_EQ(e.db, 0);
  EXPECT_TRUE(e.password.empty());
  EXPECT_TRUE(e.socket_path.empty());

  e = parse_ok("redis://:s3cret@10.0.0.5:6380/2");
  EXPECT_EQ(e.host, "10.0.0.5");
  EXPECT_EQ(e.port, 6380);
  EXPECT_EQ(e.db, 2);
  EXPECT_EQ(e.password, "s3cret");
  EXPECT_TRUE(e.user.empty());
  EXPECT_EQ(e.describe(), "10.0.0.5:6380/2");  // no password

  e = parse_ok("redis://alice:p%40ss%3Aword@cache/");
  EXPECT_EQ(e.user, "alice");
  EXPECT_EQ(e.password, "p@ss:word");
  EXPECT_EQ(e.db, 0);

  e = parse_ok("redis://bare-password@cache:7000");  // as redis-cli: no colon, a password
  EXPECT_EQ(e.password, "bare-password");
  EXPECT_EQ(e.port, 7000);

  e = parse_ok("redis://[::1]:6390/1");
  EXPECT_EQ(e.host, "::1");
  EXPECT_EQ(e.port, 6390);
  EXPECT_EQ(e.describe(), "[::1]:6390/1");
}

TEST(RedisUrl, UnixSocketForms) {
  RedisEndpoint e = parse_ok("unix:///run/redis/redis.sock");
  EXPECT_EQ(e.socket_path, "/run/redis/redis.sock");
  EXPECT_TRUE(e.host.empty());
  EXPECT_EQ(e.db, 0);
  e = parse_ok("unix:///tmp/my%20dir/r.sock?db=3&password=pw");
  EXPECT_EQ(e.socket_path, "/tmp/my dir/r.sock");
  EXPECT_EQ(e.db, 3);
  EXPECT_EQ(e.password, "pw");
  EXPECT_EQ(e.describe(), "unix:/tmp/my dir/r.sock?db=3");
}

TEST(RedisUrl, ErrorsSayWhatIsWrong) {
  EXPECT_NE(parse_error("localhost:6379").find("unknown scheme"), std::string::npos);
  EXPECT_NE(parse_error("http://x").find("unknown scheme"), std::string::npos);
  EXPECT_NE(parse_error("rediss://x").find("TLS"), std::string::npos);
  EXPECT_NE(parse_error("redis://").find("host is missing"), std::string::npos);
  EXPECT_NE(parse_error("redis://:pw@:6379").find("host is missing"), std::string::npos);
  EXPECT_NE(parse_error("redis://h:abc").find("port is not a number"), std::string::npos);
  EXPECT_NE(parse_error("redis://h:").find("port is empty"), std::string::npos);
  EXPECT_NE(parse_error("redis://h:0").find("port must be between 1 and 65535"), std::string::npos);
  EXPECT_NE(parse_error("redis://h:70000").find("port must be between"), std::string::npos);
  EXPECT_NE(parse_error("redis://h/x").find("database is not a number"), std::string::npos);
  EXPECT_NE(parse_error("redis://h/-1").find("database is not a number"), std::string::npos);
  EXPECT_NE(parse_error("redis://[::1").find("IPv6"), std::string::npos);
  EXPECT_NE(parse_error("redis://h?db=1").find("query options"), std::string::npos);
  EXPECT_NE(parse_error("redis://:p%zz@h").find("%-escape in the password"), std::string::npos);
  EXPECT_NE(parse_error("unix://").find("absolute path"), std::string::npos);
  EXPECT_NE(parse_error("unix://relative.sock").find("absolute path"), std::string::npos);
  EXPECT_NE(parse_error("unix:///r.sock?timeout=3").find("unknown option 'timeout'"),
            std::string::npos);
  // Every message shows the accepted forms and never the password.
  const std::string message = parse_error("redis://:hunter2@h:port");
  EXPECT_NE(message.find("redis://[:password@]host[:port][/db]"), std::string::npos);
  EXPECT_EQ(message.find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace clipsearch::redis
