// End to end: the zero-shot routes of `clipsearch serve` (classify, clicks/recommend, albums,
// duplicates) give what numpy computes from the reference's own embeddings
// (tests/reference/make_search_reference.py: zero_shot.json, embeddings.json) and what the CLI
// commands answer on the same catalog; every error class is JSON with the right status.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "cli/e2e_test_util.h"
#include "core/path_json.h"
#include "server/test_http_client.h"
#include "testing/test_util.h"

namespace clipsearch {
namespace {

using nlohmann::json;
using server::testing::exchange;
using server::testing::RawResponse;

using testing::json_lines;

std::string ref() { return testing::search_reference_dir(); }
std::string lib(const std::string& rel) { return ref() + "/library/" + rel; }

json read_json(const std::string& path) {
  std::ifstream f(path);
  return json::parse(f);
}

std::string path_of(const json& row) { return testing::json_row_path(row); }

std::set<std::string> paths_of(const json& rows) {
  std::set<std::string> out;
  for (const json& row : rows) out.insert(path_of(row));
  return out;
}

std::set<std::string> library_paths(const json& relative) {
  std::set<std::string> out;
  for (const json& p : relative) out.insert(lib(p.get<std::string>()));
  return out;
}

class ZeroShotApi : public testing::ServedLibraryTest {
 protected:
  static void SetUpTestSuite() {
    want_ = read_json(ref() + "/zero_shot.json");
    ServedLibraryTest::SetUpTestSuite();
  }
  static RawResponse post_json(const std::string& path, const std::string& body,
                               const std::string& type = "application/json") {
    return send(testing::post_request(path, type, body));
  }
  static RawResponse post_multipart(const std::string& path,
                                    const std::vector<std::pair<std::string, std::string>>& fields,
                                    const std::string& image) {
    return send(testing::post_request(path, "multipart/form-data; boundary=XyZ",
                                      testing::multipart_body(fields, image)));
  }
  // The body of a 200 answer (a failed expectation otherwise).
  static json ok(const RawResponse& r) {
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.headers.count("content-type") ? r.headers.at("content-type") : "",
              "application/json");
    return json::parse(r.body, nullptr, false);
  }
  static testing::CommandResult cli(std::vector<std::string> args) {
    args.insert(args.begin(), testing::cli_binary());
    args.insert(args.end(), {"--db", db_});
    return testing::run_command(args);
  }
  // Image ids by path, from the server's own search.
  static std::map<std::string, int64_t> ids_by_path() {
    std::map<std::string, int64_t> out;
    json found = ok(get("/api/search?q=x&k=100"));  // kept: the loop must not outlive it
    for (json& row : found["results"]) out[path_of(row)] = row["id"];
    return out;
  }

  static json want_;
};

json ZeroShotApi::want_;

TEST_F(ZeroShotApi, ClassifyAnUploadMatchesNumpy) {
  const json& c = want_["classify"];
  std::vector<std::pair<std::string, std::string>> fields = {{"labels", c["labels"]},
                                                             {"top_k", "3"}};
  for (const auto& t : c["templates"]) fields.emplace_back("template", t);
  json got = ok(
      post_multipart("/api/classify", fields, testing::read_file(c["image"].get<std::string>())));
  ASSERT_EQ(got["labels"].size(), 3u) << got.dump();
  double previous = 2;
  for (json& l : got["labels"]) {
    const double p = l["probability"];
    EXPECT_NEAR(p, c["probabilities"][l["label"].get<std::string>()].get<double>(), 1e-4);
    EXPECT_LE(p, previous);  // best first
    previous = p;
  }
  fields[1].second = "1";
  EXPECT_EQ(
      ok(post_multipart("/api/classify", fields, testing::read_file(c["image"])))["labels"].size(),
      1u);
}

TEST_F(ZeroShotApi, ClassifyAnIndexedImageEqualsTheCli) {
  const json& c = want_["classify"];
  std::vector<std::string> args = {"classify", "--labels", c["labels"], "--all",
                                   "--json",   "--top",    "3"};
  for (const auto& t : c["templates"]) args.insert(args.end(), {"--template", t});
  auto r = cli(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = json_lines(r.out);
  ASSERT_EQ(rows.size(), 36u);
  for (size_t i : {size_t{0}, size_t{17}, size_t{35}}) {
    json want = rows[i];
    SCOPED_TRACE(want.dump());
    // Labels as a list here, as the CLI's comma-separated text in the second request.
    json request = {{"labels", {"red", "blue", "green thing"}},
                    {"templates", c["templates"]},
                    {"top_k", 3},
                    {"id", want["id"]}};
    json as_text = request;
    as_text["labels"] = c["labels"];
    for (const json& body : {request, as_text}) {
      json got = ok(post_json("/api/classify", body.dump()));
      EXPECT_EQ(got["id"], want["id"]);
      ASSERT_EQ(got["labels"].size(), 3u) << got.dump();
      for (size_t l = 0; l < 3; ++l) {
        EXPECT_EQ(got["labels"][l]["label"], want["labels"][l]["label"]);
        EXPECT_NEAR(got["labels"][l]["probability"].get<double>(),
                    want["labels"][l]["probability"].get<double>(), 1e-6);
        EXPECT_NEAR(got["labels"][l]["cosine"].get<double>(),
                    want["labels"][l]["cosine"].get<double>(), 1e-6);
      }
    }
  }
}

TEST_F(ZeroShotApi, ClicksMakeRecommendationsThatMatchNumpyAndTheCli) {
  json before = ok(get("/api/recommend?user=nobody"));
  EXPECT_EQ(before["source"], "popular");
  EXPECT_TRUE(before["results"].empty());  // no clicks anywhere yet
  auto id_of = ids_by_path();
  for (const auto& click : want_["clicks"]) {
    json done =
        ok(post_json("/api/clicks", json({{"user", "ana"}, {"id", id_of[lib(click)]}}).dump()));
    EXPECT_EQ(done["recorded"], true);
  }
  json got = ok(get("/api/recommend?user=ana&k=5"));
  EXPECT_EQ(got["source"], "clicks");
  const json& want = want_["recommend"];
  ASSERT_EQ(got["results"].size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    json& row = got["results"][i];
    EXPECT_NEAR(row["score"].get<double>(), want[i][1].get<double>(), 1e-4);
    if (path_of(row) != lib(want[i][0])) {  // only a near-tie may swap places
      EXPECT_NEAR(row["score"].get<double>(), want[i][1].get<double>(), 2e-5) << "rank " << i;
    }
    for (const char* key : {"id", "width", "height", "size", "format"}) {
      EXPECT_TRUE(row.contains(key));
    }
  }
  // The options, against the CLI on the same catalog.
  json weighted = ok(get("/api/recommend?user=ana&k=4&last=2&recency=true&half_life=1.5"));
  auto r = cli({"recommend", "--user", "ana", "-k", "4", "--last", "2", "--recency", "--half-life",
                "1.5", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = json_lines(r.out);
  ASSERT_EQ(weighted["results"].size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(weighted["results"][i]["id"], rows[i]["id"]);
    EXPECT_NEAR(weighted["results"][i]["score"].get<double>(), rows[i]["score"].get<double>(),
                1e-6);
  }
  json popular = ok(get("/api/recommend?user=bob&k=1"));
  EXPECT_EQ(popular["source"], "popular");
  ASSERT_EQ(popular["results"].size(), 1u);
  EXPECT_EQ(path_of(popular["results"][0]), lib(want_["clicks"][0]));  // clicked twice
  EXPECT_EQ(popular["results"][0]["score"], 2);
}

TEST_F(ZeroShotApi, AlbumsMatchNumpy) {
  const std::string themes = want_["themes"].dump();
  json first = ok(post_json("/api/albums", themes));
  EXPECT_EQ(first["classified"], 36);
  json again = ok(post_json("/api/albums", themes));
  EXPECT_EQ(again["classified"], 0);  // only new images are classified
  EXPECT_EQ(again["restarted"], false);
  std::map<std::string, int64_t> counts;
  json listed = ok(get("/api/albums"));
  for (json& a : listed["albums"]) counts[a["name"]] = a["count"];
  for (const auto& [name, paths] : want_["albums"].items()) {
    SCOPED_TRACE(name);
    EXPECT_EQ(counts[name], static_cast<int64_t>(paths.size()));
    json album = ok(get("/api/albums/" + name + "?k=100"));
    EXPECT_EQ(album["total"], paths.size());
    EXPECT_EQ(paths_of(album["results"]), library_paths(paths));
    double previous = 2;
    for (json& row : album["results"]) {  // best first
      EXPECT_LE(row["score"].get<double>(), previous);
      previous = row["score"];
    }
    json page = ok(get("/api/albums/" + name + "?k=2&offset=1"));
    ASSERT_EQ(page["results"].size(), std::min<size_t>(2, paths.size() - 1));
    EXPECT_EQ(page["results"][0]["id"], album["results"][1]["id"]);
  }
  json exclusive = ok(post_json("/api/albums?exclusive=true", themes));
  EXPECT_EQ(exclusive["restarted"], true);
  for (const auto& [name, paths] : want_["albums_exclusive"].items()) {
    EXPECT_EQ(paths_of(ok(get("/api/albums/" + name))["results"]), library_paths(paths)) << name;
  }
  // Another theme file replaces the albums; its albums exist even when nothing joins them.
  json nobody = {{"themes", {{{"name", "nobody"}, {"keywords", {"x"}}, {"threshold", 1}}}}};
  EXPECT_EQ(ok(post_json("/api/albums", nobody.dump()))["albums"][0]["count"], 0);
  EXPECT_EQ(ok(get("/api/albums/nobody"))["total"], 0);
  EXPECT_EQ(get("/api/albums/warm").status, 404);
  EXPECT_EQ(ok(get("/api/albums"))["albums"].size(), 1u);
}

// Connected components of the pairs at or above `threshold`, from the reference embeddings.
std::set<std::set<std::string>> reference_groups(const json& embeddings, double threshold) {
  std::vector<std::string> paths;
  std::vector<std::vector<double>> vectors;
  for (const auto& [path, v] : embeddings.items()) {
    paths.push_back(lib(path));
    vectors.push_back(v.get<std::vector<double>>());
  }
  std::vector<size_t> parent(paths.size());
  std::iota(parent.begin(), parent.end(), 0);
  std::function<size_t(size_t)> find = [&](size_t x) {
    return parent[x] == x ? x : parent[x] = find(parent[x]);
  };
  for (size_t i = 0; i < paths.size(); ++i) {
    for (size_t j = i + 1; j < paths.size(); ++j) {
      const double s =
          std::inner_product(vectors[i].begin(), vectors[i].end(), vectors[j].begin(), 0.0);
      if (s >= threshold) parent[find(j)] = find(i);
    }
  }
  std::map<size_t, std::set<std::string>> groups;
  for (size_t i = 0; i < paths.size(); ++i) groups[find(i)].insert(paths[i]);
  std::set<std::set<std::string>> out;
  for (auto& [root, g] : groups) {
    if (g.size() > 1) out.insert(g);
  }
  return out;
}

// A threshold in the widest gap between the similarities of the closest pairs, so that float
// rounding cannot move a pair across it.
double gap_threshold(const json& embeddings) {
  std::vector<std::vector<double>> v;
  for (const auto& [path, e] : embeddings.items()) v.push_back(e.get<std::vector<double>>());
  std::vector<double> sims;
  for (size_t i = 0; i < v.size(); ++i) {
    for (size_t j = i + 1; j < v.size(); ++j) {
      sims.push_back(std::inner_product(v[i].begin(), v[i].end(), v[j].begin(), 0.0));
    }
  }
  std::sort(sims.rbegin(), sims.rend());
  size_t best = 3;
  for (size_t i = 3; i < 40; ++i) {
    if (sims[i] - sims[i + 1] > sims[best] - sims[best + 1]) best = i;
  }
  EXPECT_GT(sims[best] - sims[best + 1], 1e-3);
  return (sims[best] + sims[best + 1]) / 2;
}

TEST_F(ZeroShotApi, DuplicatesMatchTheReferenceEmbeddingsAndTheCli) {
  json embeddings = read_json(ref() + "/embeddings.json");
  const double threshold = gap_threshold(embeddings);
  json got = ok(get("/api/duplicates?threshold=" + std::to_string(threshold)));
  std::set<std::set<std::string>> groups;
  for (json& g : got["groups"]) {
    EXPECT_EQ(g["size"], g["images"].size());
    EXPECT_GE(g["min_similarity"].get<double>(), threshold - 1e-6);
    for (const char* key : {"id", "size", "width", "height"}) {
      EXPECT_TRUE(g["images"][0].contains(key));
    }
    groups.insert(paths_of(g["images"]));
  }
  const auto want = reference_groups(embeddings, threshold);
  EXPECT_FALSE(want.empty());
  EXPECT_EQ(groups, want);
  auto r = cli({"duplicates", "--threshold", std::to_string(threshold), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::set<std::set<std::string>> from_cli;
  for (const json& g : json_lines(r.out)) from_cli.insert(paths_of(g["images"]));
  EXPECT_EQ(from_cli, groups);
  EXPECT_EQ(ok(get("/api/duplicates?threshold=1"))["groups"].size(), 0u);
}

// Issue 19: the duplicates scan as a background job. Its result is GET /api/duplicates's answer
// and the CLI's groups; the job is listed while it runs, reaches "done", and is forgotten when
// deleted; unknown ids are 404.
TEST_F(ZeroShotApi, DuplicatesJobEqualsTheCli) {
  json embeddings = read_json(ref() + "/embeddings.json");
  const double threshold = gap_threshold(embeddings);
  const RawResponse started =
      post_json("/api/jobs", json{{"kind", "duplicates"}, {"threshold", threshold}}.dump());
  ASSERT_EQ(started.status, 202) << started.body;
  const json job = json::parse(started.body);
  const std::string id = job["id"];
  EXPECT_EQ(job["kind"], "duplicates");
  EXPECT_EQ(job["params"]["threshold"], threshold);
  json now;
  // Polled until it ends (a 36-image scan: at once); no deadline but the test's own.
  for (now = ok(get("/api/jobs/" + id)); now["state"] == "running";
       now = ok(get("/api/jobs/" + id))) {
    const json running = ok(get("/api/status"))["jobs"];
    EXPECT_TRUE(running.empty() || running[0]["id"] == id) << running.dump();
  }
  ASSERT_EQ(now["state"], "done") << now.dump();
  EXPECT_EQ(now["progress"]["done"], now["progress"]["total"]);
  const json direct = ok(get("/api/duplicates?threshold=" + json(threshold).dump()));
  EXPECT_EQ(now["result"], direct);
  auto r = cli({"duplicates", "--threshold", json(threshold).dump(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto from_cli = json_lines(r.out);
  ASSERT_EQ(from_cli.size(), now["result"]["groups"].size());
  ASSERT_FALSE(from_cli.empty());
  for (size_t g = 0; g < from_cli.size(); ++g) {
    const json& mine = now["result"]["groups"][g];
    EXPECT_EQ(paths_of(mine["images"]), paths_of(from_cli[g]["images"]));
    EXPECT_EQ(mine["min_similarity"], from_cli[g]["min_similarity"]);
  }
  EXPECT_TRUE(ok(get("/api/status"))["jobs"].empty());
  bool listed = false;
  const json jobs = ok(get("/api/jobs"));  // kept: the loop must not outlive it
  for (const json& j : jobs["jobs"]) listed = listed || j["id"] == id;
  EXPECT_TRUE(listed);
  const json deleted = ok(send("DELETE /api/jobs/" + id + " HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(deleted["state"], "done");
  testing::expect_json_error(get("/api/jobs/" + id), 404, "no job");
  // No threshold: the default one.
  const RawResponse by_default = post_json("/api/jobs", R"({"kind": "duplicates"})");
  ASSERT_EQ(by_default.status, 202) << by_default.body;
  EXPECT_NEAR(json::parse(by_default.body)["params"]["threshold"].get<double>(), 0.95, 1e-6);
}

// Issue 20: a theme file run as a background job. It ends "done" with its progress at its total
// (themes + images), its result is what POST /api/albums answers, and the albums it keeps are the
// CLI's: `clipsearch albums` on the same theme file afterwards finds nothing left to classify and
// lists the same members, best first. A cancelled job is "cancelled".
TEST_F(ZeroShotApi, AlbumsJobEqualsTheCli) {
  const json themes = want_["themes"];
  const RawResponse started =
      post_json("/api/jobs", json{{"kind", "albums"}, {"themes", themes}}.dump());
  ASSERT_EQ(started.status, 202) << started.body;
  const std::string id = json::parse(started.body)["id"];
  EXPECT_EQ(json::parse(started.body)["kind"], "albums");
  json now;
  for (now = ok(get("/api/jobs/" + id)); now["state"] == "running";
       now = ok(get("/api/jobs/" + id))) {
  }
  ASSERT_EQ(now["state"], "done") << now.dump();
  const int64_t theme_count = static_cast<int64_t>(themes["themes"].size());
  EXPECT_EQ(now["progress"]["total"], theme_count + 36);
  EXPECT_EQ(now["progress"]["done"], now["progress"]["total"]);
  const json result = now["result"];
  EXPECT_EQ(result["classified"], 36);
  std::map<std::string, int64_t> counts;
  for (const json& a : result["albums"]) counts[a["name"]] = a["count"];
  // The CLI runs the same file on the same catalog: the job's run is the one it finds stored.
  const std::string file = db_ + ".themes-job.json";
  std::ofstream(file) << themes.dump();
  auto r = cli({"albums", "--themes", file});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("0 image(s) classified"), std::string::npos) << r.err;
  const auto from_cli = json_lines(r.out);
  ASSERT_EQ(from_cli.size(), result["albums"].size());
  for (const json& album : from_cli) {
    const std::string name = album["album"];
    EXPECT_EQ(counts[name], static_cast<int64_t>(album["images"].size())) << name;
    const json members = ok(get("/api/albums/" + name + "?k=100"));
    ASSERT_EQ(members["results"].size(), album["images"].size()) << name;
    for (size_t i = 0; i < album["images"].size(); ++i) {
      EXPECT_EQ(members["results"][i]["id"], album["images"][i]["id"]) << name << " " << i;
    }
  }
  // The same file again: nothing new; exclusive: a restart. The POST route answers alike.
  EXPECT_EQ(ok(post_json("/api/albums", themes.dump()))["albums"], result["albums"]);
  const RawResponse exclusive = post_json(
      "/api/jobs", json{{"kind", "albums"}, {"themes", themes}, {"exclusive", true}}.dump());
  ASSERT_EQ(exclusive.status, 202) << exclusive.body;
  const std::string second = json::parse(exclusive.body)["id"];
  EXPECT_EQ(json::parse(exclusive.body)["params"]["exclusive"], true);
  const json cancelled = ok(send("DELETE /api/jobs/" + second + " HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_TRUE(cancelled["state"] == "cancelled" || cancelled["state"] == "done")
      << cancelled.dump();
  testing::expect_json_error(get("/api/jobs/" + second), 404, "no job");
}

TEST_F(ZeroShotApi, ErrorsAreJsonWithTheRightStatus) {
  const auto expect = &testing::expect_json_error;
  // clicks
  expect(post_json("/api/clicks", "{bad"), 400, "not valid JSON");
  expect(post_json("/api/clicks", "[1]"), 400, "JSON object");
  expect(post_json("/api/clicks", R"({"id": 1})"), 400, "'user'");
  expect(post_json("/api/clicks", R"({"user": 5, "id": 1})"), 400, "'user'");
  expect(post_json("/api/clicks", R"({"user": "", "id": 1})"), 400, "'user'");
  expect(post_json("/api/clicks", R"({"user": "u"})"), 400, "'id' is required");
  expect(post_json("/api/clicks", R"({"user": "u", "id": "1"})"), 400, "'id'");
  expect(post_json("/api/clicks", R"({"user": "u", "id": -1})"), 400, "'id'");
  expect(post_json("/api/clicks", R"({"user": "u", "id": 1.5})"), 400, "'id'");
  expect(post_json("/api/clicks", R"({"user": "u", "id": 999999})"), 404, "not in the index");
  expect(post_json("/api/clicks", "user=u", "text/plain"), 415, "application/json");
  expect(get("/api/clicks"), 405, "");
  // recommend
  expect(get("/api/recommend"), 400, "'user'");
  expect(get("/api/recommend?user=u&k=0"), 400, "'k'");
  expect(get("/api/recommend?user=u&k=abc"), 400, "'k'");
  expect(get("/api/recommend?user=u&k=5000"), 400, "'k'");
  expect(get("/api/recommend?user=u&last=0"), 400, "'last'");
  expect(get("/api/recommend?user=u&recency=maybe"), 400, "'recency'");
  expect(get("/api/recommend?user=u&half_life=0"), 400, "'half_life'");
  expect(post_json("/api/recommend", "{}"), 405, "");
  // classify
  const std::string png = testing::read_file(ref() + "/query.png");
  expect(post_json("/api/classify", "{bad"), 400, "not valid JSON");
  expect(post_json("/api/classify", R"({"id": 1})"), 400, "'labels'");
  expect(post_json("/api/classify", R"({"labels": 5, "id": 1})"), 400, "'labels'");
  expect(post_json("/api/classify", R"({"labels": [1], "id": 1})"), 400, "'labels'");
  expect(post_json("/api/classify", R"({"labels": " , ", "id": 1})"), 400, "'labels'");
  expect(post_json("/api/classify", R"({"labels": ["a", ""], "id": 1})"), 400, "label");
  expect(post_json("/api/classify", R"({"labels": "a", "templates": [2], "id": 1})"), 400,
         "'templates'");
  expect(post_json("/api/classify", R"({"labels": "a", "templates": "no slot", "id": 1})"), 400,
         "no slot");
  expect(post_json("/api/classify", R"({"labels": "a", "top_k": "3", "id": 1})"), 400, "'top_k'");
  expect(post_json("/api/classify", R"({"labels": "a", "top_k": 0, "id": 1})"), 400, "'top_k'");
  expect(post_json("/api/classify", R"({"labels": "a", "id": "1"})"), 400, "'id'");
  expect(post_json("/api/classify", R"({"labels": "a"})"), 400, "'id'");
  expect(post_json("/api/classify", R"({"labels": "a", "id": 999999})"), 404, "not in the index");
  expect(post_json("/api/classify", "labels=a", "text/plain"), 415, "application/json");
  expect(post_multipart("/api/classify", {{"labels", "a,b"}}, "this is not an image"), 422,
         "uploaded image");
  expect(post_multipart("/api/classify", {{"labels", "a,b"}}, ""), 400, "'image'");
  expect(post_multipart("/api/classify", {}, png), 400, "'labels'");
  expect(post_multipart("/api/classify", {{"labels", "a"}, {"top_k", "x"}}, png), 400, "'top_k'");
  expect(post_json("/api/classify", "garbage", "multipart/form-data; boundary=XyZ"), 400, "");
  // albums
  expect(get("/api/albums/no%20such%20album"), 404, "no such album");
  expect(get("/api/albums/x?k=0"), 400, "'k'");
  expect(get("/api/albums/x?offset=-1"), 400, "'offset'");
  expect(post_json("/api/albums", "{bad"), 400, "not valid JSON");
  expect(post_json("/api/albums", R"({"warm": 5})"), 400, "theme 'warm'");
  expect(post_json("/api/albums", R"({"themes": []})"), 400, "no themes");
  expect(post_json("/api/albums", R"({"templates": ["no slot"], "themes": [{"name": "a",
         "keywords": ["x"]}]})"),
         400, "no slot");
  expect(post_json("/api/albums?exclusive=maybe", R"({"a": ["x"]})"), 400, "'exclusive'");
  expect(post_json("/api/albums", R"({"a": ["x"]})", "text/plain"), 415, "application/json");
  // duplicates
  expect(get("/api/duplicates?threshold=abc"), 400, "'threshold'");
  expect(get("/api/duplicates?threshold=1.5"), 400, "'threshold'");
  expect(post_json("/api/duplicates", "{}"), 405, "");
  // jobs
  expect(post_json("/api/jobs", "{bad"), 400, "not valid JSON");
  expect(post_json("/api/jobs", ""), 400, "not valid JSON");
  expect(post_json("/api/jobs", R"({"threshold": 0.9})"), 400, "'kind'");
  expect(post_json("/api/jobs", R"({"kind": "reindex"})"), 400, "'kind'");
  expect(post_json("/api/jobs", R"({"kind": "duplicates", "threshold": 1.5})"), 400, "'threshold'");
  expect(post_json("/api/jobs", R"({"kind": "duplicates", "threshold": "0.9"})"), 400,
         "'threshold'");
  expect(post_json("/api/jobs", "kind=duplicates", "text/plain"), 415, "application/json");
  expect(post_json("/api/jobs", R"({"kind": "albums"})"), 400, "'themes'");
  expect(post_json("/api/jobs", R"({"kind": "duplicates", "exclusive": {}})"), 400,
         "'exclusive'");  // checked whatever the kind: one body schema serves both
  expect(post_json("/api/jobs", R"({"kind": "albums", "themes": [1]})"), 400, "'themes'");
  expect(post_json("/api/jobs", R"({"kind": "albums", "themes": {"themes": []}})"), 400,
         "no themes");
  expect(post_json("/api/jobs", R"({"kind": "albums", "themes": {"a": ["x"]}, "exclusive": 1})"),
         400, "'exclusive'");
  expect(get("/api/jobs/0123456789abcdef"), 404, "no job");
  expect(send("DELETE /api/jobs/nope HTTP/1.1\r\nHost: x\r\n\r\n"), 404, "no job");
  expect(send("DELETE /api/jobs HTTP/1.1\r\nHost: x\r\n\r\n"), 405, "");
}

TEST(ZeroShotApiAuth, TheNewRoutesNeedTheToken) {
  testing::ServedLibrary server({"--token", "s3cret"});
  ASSERT_TRUE(server.ready()) << server.why();
  const std::string click = R"({"user": "ana", "id": 1})";
  const std::string auth = "Authorization: Bearer s3cret\r\n";
  auto send = [&](const std::string& request) { return exchange(server.port(), request, 30); };
  EXPECT_EQ(send(testing::post_request("/api/clicks", "application/json", click)).status, 401);
  EXPECT_EQ(
      send(testing::post_request("/api/albums", "application/json", R"({"a": ["x"]})")).status,
      401);
  for (const char* path : {"/api/recommend?user=ana", "/api/albums", "/api/duplicates"}) {
    EXPECT_EQ(send(server::testing::get_request(path)).status, 401) << path;
  }
  EXPECT_EQ(send(testing::post_request("/api/clicks", "application/json", click, auth)).status,
            200);
  auto recommended = send(server::testing::get_request("/api/recommend?user=ana", auth));
  ASSERT_EQ(recommended.status, 200) << recommended.body;
  EXPECT_EQ(json::parse(recommended.body)["source"], "clicks");
}

}  // namespace
}  // namespace clipsearch
