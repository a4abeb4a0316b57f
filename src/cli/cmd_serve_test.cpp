// End to end: `clipsearch serve` over an index of the search reference library, every API
// route and every error class, through raw HTTP from a test client.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli/e2e_test_util.h"
#include "server/test_http_client.h"
#include "testing/serve_process.h"
#include "testing/test_util.h"

namespace clipsearch {
namespace {

using nlohmann::json;
using server::testing::exchange;
using server::testing::RawResponse;
using testing::ServeProcess;

std::string ref() { return testing::search_reference_dir(); }

std::string post(const std::string& path, const std::string& type, const std::string& body,
                 const std::string& extra = "") {
  return testing::post_request(path, type, body, extra);
}

std::string multipart(const std::vector<std::pair<std::string, std::string>>& fields,
                      const std::string& image) {
  return testing::multipart_body(fields, image);
}

class ServeApi : public testing::ServedLibraryTest {
 protected:
  static json body(const RawResponse& r) { return json::parse(r.body); }
};

TEST_F(ServeApi, TextSearchEqualsTheCli) {
  auto r = get("/api/search?q=a%20dog%20on%20a%20summer%20beach&k=5");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["content-type"], "application/json");
  const json j = body(r);
  ASSERT_EQ(j["results"].size(), 5u);
  EXPECT_EQ(j["total"], 36);
  auto cli = testing::run_command({testing::cli_binary(), "search", "a dog on a summer beach",
                                   "--db", db_, "--all", "--json", "-k", "5"});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  std::stringstream lines(cli.out);
  std::string line;
  for (const json& result : j["results"]) {
    ASSERT_TRUE(std::getline(lines, line));
    const json want = json::parse(line);
    EXPECT_EQ(result["id"], want["id"]);
    EXPECT_NEAR(result["score"].get<double>(), want["score"].get<double>(), 1e-6);
    for (const char* key : {"path", "width", "height", "size"}) EXPECT_TRUE(result.contains(key));
  }
  auto page = body(get("/api/search?q=a%20dog%20on%20a%20summer%20beach&k=2&offset=3"));
  ASSERT_EQ(page["results"].size(), 2u);
  EXPECT_EQ(page["results"][0]["id"], j["results"][3]["id"]);
}

TEST_F(ServeApi, MoreLikeThisNegativesAndFolder) {
  auto r = send(post("/api/search", "application/json",
                     R"({"like": 5, "k": 40, "not": ["sand"], "not_weight": 0.3})"));
  ASSERT_EQ(r.status, 200) << r.body;
  const json j = body(r);
  EXPECT_EQ(j["results"].size(), 35u);  // everything but the image itself
  for (const json& x : j["results"]) EXPECT_NE(x["id"], 5);
  auto folder = body(get("/api/search?q=x&k=100&folder=" + ref() + "/library/beach%20trip"));
  EXPECT_EQ(folder["results"].size(), 12u);
  auto min = body(get("/api/search?q=x&min_score=0.99"));
  EXPECT_TRUE(min["results"].empty());
}

TEST_F(ServeApi, PictureUploadAndSimilarity) {
  const std::string png = testing::read_file(ref() + "/query.png");
  auto r = send(post("/api/search", "multipart/form-data; boundary=XyZ",
                     multipart({{"q", "red"}, {"k", "3"}}, png)));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body(r)["results"].size(), 3u);
  auto sim = send(post("/api/similarity", "multipart/form-data; boundary=XyZ",
                       multipart({{"text", "a cat"}, {"text", "a red square"}}, png)));
  ASSERT_EQ(sim.status, 200) << sim.body;
  const json s = body(sim);
  ASSERT_EQ(s["texts"].size(), 2u);
  EXPECT_NEAR(
      s["texts"][0]["probability"].get<double>() + s["texts"][1]["probability"].get<double>(), 1.0,
      1e-5);
  auto by_id = send(post("/api/similarity", "application/json", R"({"id": 1, "texts": "a"})"));
  EXPECT_EQ(by_id.status, 200) << by_id.body;
}

// color / color_weight give what `clipsearch search --color --color-weight` gives, by URL, JSON
// and with an uploaded picture's colours; bad values are 400s naming the parameter.
TEST_F(ServeApi, ColourParametersEqualTheCli) {
  const std::string png = testing::read_file(ref() + "/query.png");
  auto cli = [](std::vector<std::string> args) {
    std::vector<std::string> cmd = {
        testing::cli_binary(), "search", "--db", db_, "--all", "--json", "-k", "6"};
    cmd.insert(cmd.end(), args.begin(), args.end());
    auto r = testing::run_command(cmd);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    json rows = json::array();
    std::stringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) rows.push_back(json::parse(line));
    return rows;
  };
  auto same = [](const RawResponse& r, const json& want) {
    ASSERT_EQ(r.status, 200) << r.body;
    const json got = json::parse(r.body)["results"];
    ASSERT_EQ(got.size(), want.size()) << r.body;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i]["id"], want[i]["id"]) << "rank " << i;
      EXPECT_NEAR(got[i]["score"].get<double>(), want[i]["score"].get<double>(), 1e-6);
    }
  };
  same(get("/api/search?q=a%20red%20dress&color=%23c0392b&color_weight=0.4&k=6"),
       cli({"a red dress", "--color", "#c0392b", "--color-weight", "0.4"}));
  same(send(post("/api/search", "application/json",
                 R"({"q": "x", "color": "navy", "color_weight": 1, "k": 6})")),
       cli({"x", "--color", "navy", "--color-weight", "1"}));
  same(send(post("/api/search", "multipart/form-data; boundary=XyZ",
                 multipart({{"color_weight", "0.5"}, {"k", "6"}}, png))),
       cli({"--image", ref() + "/query.png", "--color-weight", "0.5"}));
  auto expect_400 = [](const RawResponse& r, const std::string& words) {
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(json::parse(r.body).value("error", "").find(words), std::string::npos) << r.body;
  };
  expect_400(get("/api/search?q=x&color=blurple"),
             "'color': 'blurple' is not a colour: use #rrggbb or a CSS colour name");
  expect_400(get("/api/search?q=x&color=red&color_weight=1.5"), "'color_weight'");
  expect_400(get("/api/search?q=x&color_weight=0.5"), "'color_weight' needs a colour");
  expect_400(send(post("/api/search", "application/json", R"({"q": "x", "color": 5})")),
             "'color' must be a string");
}

TEST_F(ServeApi, ImagesThumbnailsStatusHealthMetricsPage) {
  auto image = get("/api/images/1");
  EXPECT_EQ(image.status, 200);
  EXPECT_FALSE(image.body.empty());
  auto thumb = get("/api/thumbnails/1?size=128");
  EXPECT_EQ(thumb.status, 200) << thumb.body;
  EXPECT_EQ(thumb.headers["content-type"], "image/jpeg");
  auto status = body(get("/api/status"));
  EXPECT_EQ(status["images"], 36);
  EXPECT_EQ(status["index"], "exact");
  EXPECT_EQ(status["vector_store"]["kind"], "f32");  // f16: the same LibraryStatus (IndexCli)
  EXPECT_EQ(status["vector_store"]["bytes"],
            static_cast<int64_t>(std::filesystem::file_size(db_ + ".vectors")));
  EXPECT_FALSE(status["vector_store"].contains("recall_at_10"));
  ASSERT_EQ(get("/api/search?q=a%20dog").status, 200);  // the query model is loaded now
  const auto devices = body(get("/api/status"))["devices"];
  ASSERT_TRUE(devices.is_object()) << devices.dump();
  EXPECT_FALSE(devices["image"].get<std::string>().empty()) << devices.dump();
  EXPECT_FALSE(devices["text"].get<std::string>().empty()) << devices.dump();
  EXPECT_EQ(get("/healthz").status, 200);
  auto metrics = get("/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("clipsearch_http_requests_total"), std::string::npos);
  EXPECT_NE(metrics.body.find("clipsearch_text_cache_hits_total"), std::string::npos);
  auto page = get("/");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.headers["content-security-policy"].find("default-src 'self'"), std::string::npos);
}

TEST_F(ServeApi, RepeatedQueriesComeFromTheResultCache) {
  auto hits = [] {
    const std::string m = get("/metrics").body;
    const std::string name = "clipsearch_result_cache_hits_total ";
    const size_t at = m.find("\n" + name);
    return at == std::string::npos ? -1.0 : std::stod(m.substr(at + 1 + name.size()));
  };
  const double before = hits();
  ASSERT_GE(before, 0);
  const auto first = get("/api/search?q=a%20cached%20query&k=4");
  const auto second = get("/api/search?q=a%20cached%20query&k=4");
  ASSERT_EQ(second.status, 200);
  const json a = body(first), b = body(second);
  EXPECT_EQ(a["results"], b["results"]);
  EXPECT_EQ(a["total"], b["total"]);
  EXPECT_FALSE(a["cached"].get<bool>());
  EXPECT_TRUE(b["cached"].get<bool>());  // with its own query_ms, not the first answer's
  EXPECT_TRUE(b["query_ms"].is_number());
  EXPECT_EQ(hits(), before + 1);
  get("/api/search?q=a%20cached%20query&k=5");  // another page size: another entry
  EXPECT_EQ(hits(), before + 1);
}

// The value of an unlabelled metric line "NAME VALUE" in /metrics, or -1 when absent.
double metric_value(const std::string& metrics, const std::string& name) {
  const size_t at = metrics.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stod(metrics.substr(at + name.size() + 2));
}

// A search by an uploaded picture (and a text), through `port`.
RawResponse picture_search(int port, const std::string& picture, const std::string& k = "3") {
  return exchange(port,
                  post("/api/search", "multipart/form-data; boundary=XyZ",
                       multipart({{"q", "red"}, {"k", k}}, picture)),
                  30);
}

// Issue 19: the same picture uploaded again is answered from the result cache, keyed by the
// SHA-256 of its bytes and the other parameters: the image tower does not run again.
TEST_F(ServeApi, PictureAnswersComeFromTheResultCache) {
  const std::string png = testing::read_file(ref() + "/query.png");
  const auto embedded = [] { return body(get("/api/status"))["pictures_embedded"].get<int64_t>(); };
  const RawResponse first = picture_search(port(), png, "7");
  ASSERT_EQ(first.status, 200) << first.body;
  const int64_t after_first = embedded();
  const RawResponse again = picture_search(port(), png, "7");
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_FALSE(body(first)["cached"].get<bool>());
  EXPECT_TRUE(body(again)["cached"].get<bool>());
  EXPECT_EQ(body(first)["results"], body(again)["results"]);
  EXPECT_EQ(embedded(), after_first) << "the same picture went through the image tower again";
  EXPECT_EQ(metric_value(get("/metrics").body, "clipsearch_pictures_embedded_total"),
            static_cast<double>(after_first));
  // Another picture is another query.
  const RawResponse other =
      picture_search(port(), testing::read_file(ref() + "/library/photo_01.jpg"), "7");
  ASSERT_EQ(other.status, 200) << other.body;
  EXPECT_FALSE(body(other)["cached"].get<bool>());
  EXPECT_EQ(embedded(), after_first + 1);
  EXPECT_GE(body(get("/api/status"))["result_cache"]["hits"].get<int64_t>(), 1);
}

TEST_F(ServeApi, ConcurrentTextQueriesShareAForwardPassAndKeepTheirErrors) {
  // A long wait and a batch of three: the three queries below meet in one batch.
  ServeProcess batching({testing::cli_binary(), "serve", "--db", db_, "--port", "0", "--threads",
                         "2", "--max-batch", "3", "--max-wait-ms", "5000"});
  ASSERT_GT(batching.port(), 0) << batching.log();
  const std::vector<std::string> paths = {"/api/search?q=a%20red%20square&k=5",
                                          "/api/search?q=%20%20", "/api/search?q=green%20ball&k=5"};
  std::vector<RawResponse> answers(paths.size());
  std::vector<std::thread> clients;
  for (size_t i = 0; i < paths.size(); ++i) {
    clients.emplace_back([&, i] {
      answers[i] = exchange(batching.port(), server::testing::get_request(paths[i]), 30);
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(answers[1].status, 400) << answers[1].body;  // the empty text fails alone
  for (size_t i : {0u, 2u}) {
    ASSERT_EQ(answers[i].status, 200) << answers[i].body;
    const json alone = body(get(paths[i]));  // the fixture's server, a batch of its own
    const json batched = body(answers[i]);
    ASSERT_EQ(batched["results"].size(), alone["results"].size());
    for (size_t r = 0; r < alone["results"].size(); ++r) {
      EXPECT_EQ(batched["results"][r]["id"], alone["results"][r]["id"]);
      EXPECT_NEAR(batched["results"][r]["score"].get<double>(),
                  alone["results"][r]["score"].get<double>(), 1e-5);
    }
  }
  const std::string metrics =
      exchange(batching.port(), server::testing::get_request("/metrics"), 30).body;
  EXPECT_EQ(metric_value(metrics, "clipsearch_text_batch_size_count"), 1) << metrics;
  EXPECT_EQ(metric_value(metrics, "clipsearch_text_batch_size_sum"), 3) << metrics;
}

TEST_F(ServeApi, ErrorsAreJsonWithTheRightStatus) {
  const auto expect = &testing::expect_json_error;
  expect(get("/api/images/999999"), 404, "not in the index");
  expect(get("/api/images/abc"), 400, "image id");
  expect(get("/api/thumbnails/1?size=77"), 400, "");
  expect(get("/api/search?q=x&k=abc"), 400, "'k'");
  expect(get("/api/search?q=x&k=0"), 400, "'k'");
  expect(get("/api/search"), 400, "nothing to search for");
  expect(get("/api/search?q=%20%20"), 400, "empty");
  expect(send(post("/api/search", "application/json", "{bad")), 400, "not valid JSON");
  expect(send(post("/api/search", "application/json", "[1]")), 400, "JSON object");
  expect(send(post("/api/search", "application/json", R"({"q": 5})")), 400, "'q'");
  expect(send(post("/api/search", "application/json", R"({"q": "x", "k": "7"})")), 400, "'k'");
  expect(send(post("/api/search", "application/json", R"({"like": 999999})")), 404,
         "not in the index");
  expect(send(post("/api/search", "text/plain", "q")), 415, "");
  expect(send(post("/api/search", "multipart/form-data; boundary=XyZ",
                   multipart({}, "this is not an image"))),
         422, "uploaded image");
  expect(send(post("/api/search", "multipart/form-data; boundary=XyZ", "garbage")), 400, "");
  expect(send(post("/api/similarity", "application/json", R"({"texts": ["a"]})")), 400, "'id'");
  expect(get("/api/nope"), 404, "");
}

// The curl examples of README.md, run as they are against this server (host, port and the
// picture file swapped for the test's).
TEST_F(ServeApi, ReadmeCurlExamplesWork) {
  std::ifstream readme(std::string(CLIPSEARCH_SOURCE_DIR) + "/README.md");
  ASSERT_TRUE(readme.good());
  std::string line;
  int ran = 0;
  while (std::getline(readme, line)) {
    if (line.rfind("curl ", 0) != 0) continue;
    auto replace = [&](const std::string& from, const std::string& to) {
      for (size_t at = line.find(from); at != std::string::npos;
           at = line.find(from, at + to.size())) {
        line.replace(at, from.size(), to);
      }
    };
    const std::string host = "127.0.0.1:" + std::to_string(port());
    const std::string picture = ref().insert(0, 1, '@').append("/query.png");
    replace("127.0.0.1:8080", host);
    replace("@query.jpg", picture);
    SCOPED_TRACE(line);
    auto r = testing::run_command({"/bin/sh", "-c", line.replace(0, 5, "curl -sS --fail ")});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const json j = json::parse(r.out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << r.out;
    ASSERT_TRUE(j.is_object()) << r.out;
    EXPECT_FALSE(j.contains("error")) << r.out;
    if (line.find("/api/search") != std::string::npos) {
      EXPECT_FALSE(j["results"].empty());
    }
    ++ran;
  }
  EXPECT_GE(ran, 3);
}

TEST(Serve, RefusesAnOpenAddressWithoutAToken) {
  testing::TempDir dir;
  auto r = testing::run_command(
      {testing::cli_binary(), "serve", "--db", dir.file("x.db"), "--host", "0.0.0.0"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("token"), std::string::npos) << r.err;
}

TEST(Serve, ConnectionFlagsAreCheckedWithClearErrors) {
  testing::TempDir dir;
  auto serve = [&](std::vector<std::string> flags) {
    std::vector<std::string> args = {testing::cli_binary(), "serve", "--db", dir.file("x.db")};
    args.insert(args.end(), flags.begin(), flags.end());
    return testing::run_command(args);
  };
  auto r = serve({"--trusted-proxy", "10.0.0.0/8", "--trusted-proxy", "proxy.example"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("trusted proxy 'proxy.example'"), std::string::npos) << r.err;
  r = serve({"--max-connections", "100000000"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--max-connections: max_connections 100000000 needs"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("ulimit -Hn"), std::string::npos) << r.err;
  for (const char* flag : {"--handler-threads", "--max-connections-per-ip"}) {
    r = serve({flag, "0"});
    EXPECT_NE(r.exit_code, 0) << flag;
    EXPECT_NE(r.err.find(flag), std::string::npos) << r.err;
  }
}

TEST(Serve, TokenIsRequiredWhenSet) {
  testing::ServedLibrary server({"--token", "s3cret"});
  ASSERT_TRUE(server.ready()) << server.why();
  EXPECT_EQ(exchange(server.port(), server::testing::get_request("/api/status"), 30).status, 401);
  EXPECT_EQ(
      exchange(server.port(),
               server::testing::get_request("/api/status", "Authorization: Bearer s3cret\r\n"), 30)
          .status,
      200);
}

// open_clip's RN50 (ModifiedResNet image tower) served: a text search's hits are the CLI's, the
// best one numpy's on the reference's embeddings (tests/reference/make_search_reference.py).
TEST(Serve, Rn50SearchAnswersAsTheCliAndNumpy) {
  const std::string rn50 = ref() + "/rn50";
  testing::ServedLibrary server({}, rn50);
  ASSERT_TRUE(server.ready()) << server.why();
  std::ifstream f(rn50 + "/queries.json");
  const json want = json::parse(f)[0];
  ASSERT_EQ(want["args"][0], "a dog on a summer beach");
  auto r = exchange(
      server.port(),
      server::testing::get_request("/api/search?q=a%20dog%20on%20a%20summer%20beach&k=3"), 30);
  ASSERT_EQ(r.status, 200) << r.body;
  const json got = json::parse(r.body)["results"];
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(testing::json_row_path(got[0]),
            rn50 + "/library/" + want["results"][0][0].get<std::string>());
  EXPECT_NEAR(got[0]["score"].get<double>(), want["results"][0][1].get<double>(), 2e-4);
  auto cli = testing::run_command({testing::cli_binary(), "search", "a dog on a summer beach",
                                   "--db", server.db(), "--all", "--json", "-k", "3"});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  const auto rows = testing::json_lines(cli.out);
  ASSERT_EQ(rows.size(), 3u);
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(got[i]["id"], rows[i]["id"]) << "rank " << i;
    EXPECT_NEAR(got[i]["score"].get<double>(), rows[i]["score"].get<double>(), 1e-6) << i;
  }
}

TEST(Serve, RescanInTheBackgroundFindsNewImages) {
  testing::TempDir dir;
  const std::string library = dir.file("library");
  std::filesystem::copy(ref() + "/library", library, std::filesystem::copy_options::recursive);
  const std::string db = dir.file("index.db");
  ASSERT_EQ(testing::run_command({testing::cli_binary(), "index", library, "--db", db, "--model",
                                  ref() + "/model", "--quiet"})
                .exit_code,
            3);
  ServeProcess server({testing::cli_binary(), "serve", "--db", db, "--port", "0"});
  ASSERT_GT(server.port(), 0) << server.log();
  auto total = [&] {
    auto r = exchange(server.port(), server::testing::get_request("/api/search?q=x&k=1"), 30);
    return json::parse(r.body)["total"].get<int64_t>();
  };
  EXPECT_EQ(total(), 36);
  // A picture's answer, cached before the rescan (asked twice), is not served after it.
  const std::string png = testing::read_file(ref() + "/query.png");
  ASSERT_EQ(picture_search(server.port(), png).status, 200);
  const json cached = json::parse(picture_search(server.port(), png).body);
  EXPECT_TRUE(cached["cached"].get<bool>());
  EXPECT_EQ(cached["total"], 36);
  std::filesystem::copy_file(ref() + "/query.png", library + "/new photo.png");
  auto started = exchange(server.port(), post("/api/index", "application/json", "{}"), 30);
  ASSERT_EQ(started.status, 202) << started.body;
  json status;
  for (int i = 0; i < 300; ++i) {
    status = json::parse(
        exchange(server.port(), server::testing::get_request("/api/status"), 30).body)["indexing"];
    if (status["runs"] == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(status["runs"], 1) << status.dump();
  EXPECT_EQ(status["last_result"].get<std::string>().rfind("ok: 1 embedded", 0), 0u)
      << status.dump();
  EXPECT_EQ(total(), 37);
  const json fresh = json::parse(picture_search(server.port(), png).body);
  EXPECT_FALSE(fresh["cached"].get<bool>());
  EXPECT_EQ(fresh["total"], 37);
}

}  // namespace
}  // namespace clipsearch
