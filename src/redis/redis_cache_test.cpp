// RedisConnection and RedisCache against a real redis-server started by the test (private port
// and Unix socket, no persistence): values, TTLs, binary safety, AUTH and SELECT, error replies,
// and what a cache must do when Redis dies or hangs (miss fast, count, come back).
#include "redis/redis_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <thread>
#include <vector>

#include "testing/redis_server.h"

namespace clipsearch::redis {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class RedisTest : public ::testing::Test {
 protected:
  // hiredis writes to sockets a killed server closed (as `serve` does, SIGPIPE is ignored).
  void SetUp() override {
    std::signal(SIGPIPE, SIG_IGN);
    ASSERT_TRUE(server_.running()) << server_.error();
  }

  std::unique_ptr<RedisConnection> connect(const std::string& url) {
    auto endpoint = parse_redis_url(url);
    EXPECT_TRUE(endpoint.ok()) << endpoint.status().message();
    auto c = RedisConnection::open(*endpoint, milliseconds(1000));
    EXPECT_TRUE(c.ok()) << c.status().message();
    return c.ok() ? std::move(c).value() : nullptr;
  }

  testing::RedisServer server_;
};

TEST_F(RedisTest, GetSetTtlAndBinaryValuesOverTcpAndUnixSocket) {
  for (const std::string& url : {server_.tcp_url(), server_.unix_url()}) {
    SCOPED_TRACE(url);
    auto c = connect(url);
    ASSERT_TRUE(c);
    auto missing = c->get("no such key");
    ASSERT_TRUE(missing.ok()) << missing.status().message();
    EXPECT_FALSE(missing->has_value());
    std::string binary;
    for (int i = 0; i < 256; ++i) binary += static_cast<char>(i);  // NUL, CR, LF included
    binary += binary;
    const std::string key = std::string("bin\0key\r\n ", 10) + url;
    ASSERT_TRUE(c->set(key, binary, seconds(100)).ok());
    auto got = c->get(key);
    ASSERT_TRUE(got.ok() && got->has_value());
    EXPECT_EQ(**got, binary);
    auto ttl = c->command({"TTL", key});
    ASSERT_TRUE(ttl.ok());
    EXPECT_EQ(ttl->type, RedisReply::Type::kInteger);
    EXPECT_GT(ttl->integer, 90);
    EXPECT_LE(ttl->integer, 100);
    ASSERT_TRUE(c->set("empty", "", seconds(5)).ok());
    EXPECT_EQ(c->get("empty")->value_or("x"), "");
  }
}

TEST_F(RedisTest, ValuesExpire) {
  auto c = connect(server_.tcp_url());
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->set("short", "v", seconds(1)).ok());
  EXPECT_TRUE(c->get("short")->has_value());
  std::this_thread::sleep_for(milliseconds(2100));
  EXPECT_FALSE(c->get("short")->has_value());
}

TEST_F(RedisTest, ErrorRepliesAndUnreachableServersAreErrors) {
  auto c = connect(server_.unix_url());
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->set("text", "abc", seconds(10)).ok());
  auto incr = c->command({"INCR", "text"});
  ASSERT_FALSE(incr.ok());
  EXPECT_EQ(incr.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(incr.status().message().find("not an integer"), std::string::npos)
      << incr.status().message();
  EXPECT_NE(incr.status().message().find("unix:" + server_.socket_path()), std::string::npos);

  RedisEndpoint nowhere;
  nowhere.socket_path = server_.socket_path() + ".missing";
  auto refused = RedisConnection::open(nowhere, milliseconds(100));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable) << refused.status().message();
  EXPECT_NE(refused.status().message().find("cannot connect"), std::string::npos)
      << refused.status().message();
}

TEST_F(RedisTest, SelectKeepsDatabasesApart) {
  auto db0 = connect(server_.tcp_url());
  auto db3 = connect(server_.tcp_url() + "/3");
  ASSERT_TRUE(db0 && db3);
  ASSERT_TRUE(db3->set("k", "in 3", seconds(10)).ok());
  EXPECT_FALSE(db0->get("k")->has_value());
  EXPECT_EQ(db3->get("k")->value_or(""), "in 3");
}

TEST(RedisAuth, PasswordFromTheUrl) {
  std::signal(SIGPIPE, SIG_IGN);
  testing::RedisServer server({"--requirepass", "p@ss"});
  ASSERT_TRUE(server.running()) << server.error();
  const std::string base = "redis://:p%40ss@127.0.0.1:" + std::to_string(server.port());
  auto good = RedisConnection::open(*parse_redis_url(base), milliseconds(1000));
  ASSERT_TRUE(good.ok()) << good.status().message();
  EXPECT_TRUE((*good)->set("k", "v", seconds(5)).ok());

  auto wrong = RedisConnection::open(
      *parse_redis_url("redis://:nope@127.0.0.1:" + std::to_string(server.port())),
      milliseconds(1000));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), StatusCode::kInvalidArgument) << wrong.status().message();
  EXPECT_NE(wrong.status().message().find("AUTH"), std::string::npos);
  EXPECT_EQ(wrong.status().message().find("nope"), std::string::npos);  // no password shown

  auto none = RedisConnection::open(*parse_redis_url(server.tcp_url()), milliseconds(1000));
  ASSERT_TRUE(none.ok());  // connecting needs no password; commands do
  auto denied = (*none)->get("k");
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(denied.status().message().find("NOAUTH"), std::string::npos);
}

RedisCacheOptions quick_options(const std::string& prefix) {
  RedisCacheOptions o;
  o.key_prefix = prefix;
  o.timeout = milliseconds(100);
  o.min_backoff = milliseconds(50);
  o.max_backoff = milliseconds(200);
  return o;
}

TEST_F(RedisTest, CacheCountsHitsAndPrefixesKeys) {
  auto cache = RedisCache::create(server_.unix_url(), quick_options("clipsearch:fp1:"));
  ASSERT_TRUE(cache.ok());
  ASSERT_TRUE((*cache)->connect_now().ok());
  EXPECT_TRUE((*cache)->up());
  EXPECT_FALSE((*cache)->get("text:a").has_value());
  (*cache)->set("text:a", "vector bytes", seconds(60));
  EXPECT_EQ((*cache)->get("text:a").value_or(""), "vector bytes");
  EXPECT_EQ((*cache)->hits(), 1u);
  EXPECT_EQ((*cache)->misses(), 1u);
  EXPECT_EQ((*cache)->errors(), 0u);

  auto raw = connect(server_.unix_url());  // the key as stored: prefix first, TTL set
  EXPECT_EQ(raw->get("clipsearch:fp1:text:a")->value_or(""), "vector bytes");
  EXPECT_GT(raw->command({"TTL", "clipsearch:fp1:text:a"})->integer, 50);
  // Another prefix (another model) sees nothing of it.
  RedisCache other(*parse_redis_url(server_.unix_url()), quick_options("clipsearch:fp2:"));
  EXPECT_FALSE(other.get("text:a").has_value());
}

TEST_F(RedisTest, ManyThreadsShareTheCache) {
  RedisCache cache(*parse_redis_url(server_.tcp_url()), quick_options("t:"));
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const std::string key = std::to_string(t) + ":" + std::to_string(i);
        cache.set(key, "value " + key, seconds(60));
        if (cache.get(key).value_or("") != "value " + key) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(cache.hits(), 400u);
  EXPECT_EQ(cache.errors(), 0u);
}

// Redis dies: lookups miss at once and count errors; the state change is told once; a restarted
// server is used again after the backoff.
TEST_F(RedisTest, CacheSurvivesRedisDyingAndComesBack) {
  std::vector<bool> changes;
  std::mutex changes_mutex;
  RedisCacheOptions options = quick_options("p:");
  options.on_state_change = [&](bool up, const std::string&) {
    std::lock_guard<std::mutex> lock(changes_mutex);
    changes.push_back(up);
  };
  RedisCache cache(*parse_redis_url(server_.tcp_url()), options);
  cache.set("k", "v", seconds(60));
  ASSERT_EQ(cache.get("k").value_or(""), "v");

  server_.kill();
  EXPECT_FALSE(cache.get("k").has_value());
  EXPECT_GE(cache.errors(), 1u);
  EXPECT_FALSE(cache.up());
  for (int i = 0; i < 20; ++i) {
    EXPECT_FALSE(cache.get("k").has_value());
    cache.set("k", "v", seconds(60));
  }
  // Backoff: far fewer attempts than the 41 lookups and writes.
  EXPECT_LT(cache.errors(), 10u);

  ASSERT_TRUE(server_.restart()) << server_.error();
  bool back = false;
  for (int i = 0; i < 100 && !back; ++i) {
    std::this_thread::sleep_for(milliseconds(20));
    cache.set("k", "again", seconds(60));
    back = cache.get("k").value_or("") == "again";
  }
  EXPECT_TRUE(back);
  EXPECT_TRUE(cache.up());
  std::lock_guard<std::mutex> lock(changes_mutex);
  EXPECT_EQ(changes, (std::vector<bool>{true, false, true}));
}

// Redis hangs (SIGSTOP): a lookup gives up after the command timeout instead of waiting.
TEST_F(RedisTest, HungRedisCostsOneTimeout) {
  std::string detail;
  RedisCacheOptions options = quick_options("p:");
  options.on_state_change = [&](bool, const std::string& d) { detail = d; };
  RedisCache cache(*parse_redis_url(server_.unix_url()), options);
  ASSERT_TRUE(cache.connect_now().ok());
  server_.pause();
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(cache.get("k").has_value());
  const auto waited = std::chrono::steady_clock::now() - start;
  server_.resume();
  EXPECT_EQ(cache.errors(), 1u);
  EXPECT_NE(detail.find("no answer within 100 ms"), std::string::npos) << detail;
  // 100 ms timeout; the bound only proves that the lookup did not wait for Redis.
  EXPECT_LT(waited, seconds(3));
}

TEST(RedisCacheStart, UnreachableServerIsAnErrorOnlyForConnectNow) {
  RedisCache cache(*parse_redis_url("redis://127.0.0.1:1"), quick_options("p:"));
  const Status st = cache.connect_now();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("127.0.0.1:1/0: cannot connect"), std::string::npos) << st.message();
  EXPECT_FALSE(cache.get("k").has_value());  // a miss, never an exception or a hang
  cache.set("k", "v", seconds(1));
  EXPECT_FALSE(cache.up());
  EXPECT_EQ(RedisCache::create("nope://x", {}).status().message().find("unknown scheme") !=
                std::string::npos,
            true);
}

}  // namespace
}  // namespace clipsearch::redis
