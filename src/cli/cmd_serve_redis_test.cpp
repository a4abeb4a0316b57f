// End to end: several `clipsearch serve` processes sharing one real redis-server (started by the
// test on a private socket): text embeddings and answers computed by one server are used by the
// other; a dead, hung or absent Redis never fails a search; two models never share entries.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "redis/redis_connection.h"
#include "server/test_http_client.h"
#include "testing/redis_server.h"
#include "testing/serve_process.h"
#include "testing/test_util.h"

namespace clipsearch {
namespace {

using nlohmann::json;
using server::testing::exchange;
using server::testing::RawResponse;
using testing::ServeProcess;

std::string ref() { return testing::reference_dir() + "/search"; }

RawResponse get(const ServeProcess& server, const std::string& path) {
  return exchange(server.port(), server::testing::get_request(path), 30);
}

// The value of an unlabelled metric on /metrics; -1 when absent.
double metric(const ServeProcess& server, const std::string& name) {
  const std::string text = get(server, "/metrics").body;
  const size_t at = text.find("\n" + name + " ");
  return at == std::string::npos ? -1.0 : std::stod(text.substr(at + name.size() + 2));
}

std::vector<std::pair<int64_t, double>> ranking(const RawResponse& r) {
  std::vector<std::pair<int64_t, double>> out;
  const json body = json::parse(r.body);  // kept: a range-for over a temporary's member dangles
  for (const json& hit : body["results"]) {
    out.emplace_back(hit["id"].get<int64_t>(), hit["score"].get<double>());
  }
  return out;
}

std::string index_library(const testing::TempDir& dir, const std::string& name,
                          const std::string& model) {
  const std::string db = dir.file(name);
  auto r = testing::run_command({testing::cli_binary(), "index", ref() + "/library", "--db", db,
                                 "--model", model, "--quiet"});
  EXPECT_EQ(r.exit_code, 3) << r.err;  // 3: the library holds a few undecodable files
  return db;
}

class ServeRedis : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    db_ = index_library(*dir_, "index.db", ref() + "/model");
  }
  static void TearDownTestSuite() { delete dir_; }
  void SetUp() override { ASSERT_TRUE(redis_.running()) << redis_.error(); }

  std::unique_ptr<ServeProcess> serve(const std::string& db, const std::string& url,
                                      std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {testing::cli_binary(), "serve", "--db",    db, "--port", "0",
                                     "--threads",           "1",     "--redis", url};
    args.insert(args.end(), extra.begin(), extra.end());
    auto server = std::make_unique<ServeProcess>(args);
    EXPECT_GT(server->port(), 0) << server->log();
    return server;
  }

  static testing::TempDir* dir_;
  static std::string db_;
  testing::RedisServer redis_;
};

testing::TempDir* ServeRedis::dir_ = nullptr;
std::string ServeRedis::db_;

TEST_F(ServeRedis, SecondServerUsesWhatTheFirstComputed) {
  auto a = serve(db_, redis_.unix_url());
  auto b = serve(db_, redis_.tcp_url());  // the same server by its other address
  ASSERT_GT(a->port(), 0);
  ASSERT_GT(b->port(), 0);
  EXPECT_NE(a->log().find("connected, sharing the cache"), std::string::npos) << a->log();
  const std::string query = "/api/search?q=a%20dog%20on%20a%20summer%20beach";

  const RawResponse first = get(*a, query + "&k=5");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(metric(*a, "clipsearch_text_embeddings_computed_total"), 1);

  // The same request on B: the answer comes from Redis, nothing is embedded.
  const RawResponse shared = get(*b, query + "&k=5");
  ASSERT_EQ(shared.status, 200) << shared.body;
  const json from_a = json::parse(first.body), from_b = json::parse(shared.body);
  EXPECT_EQ(from_b["results"], from_a["results"]);
  EXPECT_EQ(from_b["total"], from_a["total"]);
  EXPECT_TRUE(from_b["cached"].get<bool>());
  EXPECT_EQ(metric(*b, "clipsearch_result_cache_shared_hits_total"), 1);
  EXPECT_EQ(metric(*b, "clipsearch_text_embeddings_computed_total"), 0);
  EXPECT_GE(metric(*b, "clipsearch_redis_hits_total"), 1);

  // Another page size is another answer, but the text's embedding is in Redis: B ranks without
  // running the text tower, and ranks as A did.
  const RawResponse three = get(*b, query + "&k=3");
  ASSERT_EQ(three.status, 200) << three.body;
  EXPECT_EQ(metric(*b, "clipsearch_text_embeddings_computed_total"), 0);
  EXPECT_EQ(metric(*b, "clipsearch_redis_hits_total"), 2);
  auto want = ranking(first);
  ASSERT_EQ(want.size(), 5u) << first.body;
  want.resize(3);
  EXPECT_EQ(ranking(three), want);
  EXPECT_EQ(metric(*b, "clipsearch_redis_errors_total"), 0);
  EXPECT_EQ(metric(*b, "clipsearch_redis_up"), 1);
}

TEST_F(ServeRedis, SearchesAnswerWhileRedisHangsOrDies) {
  auto a = serve(db_, redis_.unix_url());
  ASSERT_GT(a->port(), 0);
  ASSERT_EQ(get(*a, "/api/search?q=before&k=2").status, 200);
  EXPECT_EQ(metric(*a, "clipsearch_redis_errors_total"), 0);

  redis_.pause();  // hung: commands time out (100 ms), searches go on without the cache
  const RawResponse hung = get(*a, "/api/search?q=while%20hung&k=2");
  EXPECT_EQ(hung.status, 200) << hung.body;
  EXPECT_GE(metric(*a, "clipsearch_redis_errors_total"), 1);
  EXPECT_EQ(metric(*a, "clipsearch_redis_up"), 0);
  redis_.resume();

  // Back: after its backoff the server reconnects (new texts, so the lookups reach Redis).
  bool back = false;
  for (int i = 0; i < 100 && !back; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_EQ(get(*a, "/api/search?q=reconnect%20" + std::to_string(i) + "&k=2").status, 200);
    back = metric(*a, "clipsearch_redis_up") == 1;
  }
  EXPECT_TRUE(back);

  const double errors = metric(*a, "clipsearch_redis_errors_total");
  redis_.kill();
  for (const char* q : {"after", "after%20again", "before"}) {
    const RawResponse r = get(*a, std::string("/api/search?q=") + q + "&k=2");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json::parse(r.body)["results"].size(), 2u);
  }
  EXPECT_EQ(metric(*a, "clipsearch_redis_up"), 0);
  EXPECT_GT(metric(*a, "clipsearch_redis_errors_total"), errors);
  EXPECT_NE(a->log().find("searching without the shared cache"), std::string::npos) << a->log();
}

TEST_F(ServeRedis, StartsWithoutRedisAndWarns) {
  auto a = serve(db_, "unix://" + dir_->file("no-redis-here.sock"));
  ASSERT_GT(a->port(), 0);
  EXPECT_NE(a->log().find("warning: redis unix:" + dir_->file("no-redis-here.sock")),
            std::string::npos)
      << a->log();
  const RawResponse r = get(*a, "/api/search?q=x&k=3");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(metric(*a, "clipsearch_redis_up"), 0);
}

TEST_F(ServeRedis, ABadUrlIsAStartupError) {
  auto r = testing::run_command({testing::cli_binary(), "serve", "--db", db_, "--port", "0",
                                 "--redis", "redis://:secret@host:notaport"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--redis: redis URL: the port is not a number"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("secret"), std::string::npos) << r.err;
}

// A second model (the same weights, another config file, so another fingerprint) on its own
// catalog and the same Redis: nothing of the first model's entries is used.
TEST_F(ServeRedis, ModelsDoNotShareEntries) {
  const std::string other_model = dir_->file("other-model");
  std::filesystem::copy(ref() + "/model", other_model, std::filesystem::copy_options::recursive);
  testing::write_file(other_model + "/config.json",
                      testing::read_file(other_model + "/config.json") + "\n");
  const std::string other_db = index_library(*dir_, "other.db", other_model);

  auto a = serve(db_, redis_.unix_url());
  auto c = serve(other_db, redis_.unix_url());
  ASSERT_GT(a->port(), 0);
  ASSERT_GT(c->port(), 0);
  const std::string query = "/api/search?q=a%20red%20square&k=4";
  ASSERT_EQ(get(*a, query).status, 200);
  ASSERT_EQ(get(*c, query).status, 200);
  EXPECT_EQ(metric(*c, "clipsearch_redis_hits_total"), 0);
  EXPECT_EQ(metric(*c, "clipsearch_text_embeddings_computed_total"), 1);

  // Each model wrote under its own prefix.
  auto raw = redis::RedisConnection::open(*redis::parse_redis_url(redis_.unix_url()),
                                          std::chrono::milliseconds(1000));
  ASSERT_TRUE(raw.ok()) << raw.status().message();
  auto keys = (*raw)->command({"EVAL", "return #redis.call('KEYS', ARGV[1])", "0", "*:text:*"});
  ASSERT_TRUE(keys.ok()) << keys.status().message();
  EXPECT_EQ(keys->integer, 2);
  auto prefixes = (*raw)->command(
      {"EVAL",
       "local seen = {} local n = 0 for _, k in ipairs(redis.call('KEYS', 'clipsearch:*')) do "
       "local p = string.match(k, '^clipsearch:(%x+):') if p and not seen[p] then seen[p] = true "
       "n = n + 1 end end return n",
       "0"});
  ASSERT_TRUE(prefixes.ok()) << prefixes.status().message();
  EXPECT_EQ(prefixes->integer, 2);
}

}  // namespace
}  // namespace clipsearch
