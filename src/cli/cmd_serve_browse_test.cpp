// End to end: what the page's photo browser asks of `clipsearch serve` beyond a plain search
// (web/js/filters.js, status.js): date (taken or modified), size, type and camera filters, the
// order by date, the count a score cutoff keeps, the folder and camera lists, and the status view's
// failures, kinds and precision. The search reference library: 36 photos (18 JPEG, 18 PNG; 12 in
// "beach trip/"), two broken files, no EXIF dates (each photo's date is its file's mtime).
#include <gtest/gtest.h>

#include <ctime>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/e2e_test_util.h"
#include "server/test_http_client.h"
#include "testing/test_util.h"

namespace clipsearch {
namespace {

using nlohmann::json;
using server::testing::RawResponse;

class ServeBrowse : public testing::ServedLibraryTest {
 protected:
  static json search(const std::string& params) {
    // The first value of a repeated parameter counts: `params` may set its own k.
    const RawResponse r = get("/api/search?" + params + "&q=a%20photo&k=100");
    EXPECT_EQ(r.status, 200) << params << ": " << r.body;
    return r.status == 200 ? json::parse(r.body) : json::object();
  }
  static std::vector<int64_t> ids(const json& answer) {
    std::vector<int64_t> out;
    for (const json& r : answer["results"]) out.push_back(r["id"].get<int64_t>());
    return out;
  }
};

TEST_F(ServeBrowse, TypeSizeAndDateFiltersNarrowAsTheCliDoes) {
  const json png = search("type=png");
  EXPECT_EQ(png["results"].size(), 18u);
  for (const json& r : png["results"]) EXPECT_EQ(r["format"], "png");
  EXPECT_EQ(search("type=png,jpeg")["results"].size(), 36u);
  EXPECT_EQ(search("type=png,jpg")["results"].size(), 36u);
  // Sizes: the CLI's parser, so the same rows.
  const json small = search("max_size=2K");
  auto cli = testing::run_command({testing::cli_binary(), "search", "a photo", "--db", db_, "--all",
                                   "--json", "-k", "100", "--max-size", "2K"});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  std::vector<int64_t> cli_ids;
  for (const json& row : testing::json_lines(cli.out)) cli_ids.push_back(row["id"]);
  EXPECT_EQ(ids(small), cli_ids);
  for (const json& r : small["results"]) EXPECT_LE(r["size"].get<int64_t>(), 2048);
  EXPECT_EQ(search("min_size=2K")["results"].size() + small["results"].size(), 36u);
  // Dates: every photo is newer than 2001 (its mtime).
  EXPECT_EQ(search("since=2001-01-01")["results"].size(), 36u);
  EXPECT_TRUE(search("until=2001-01-01")["results"].empty());
  EXPECT_TRUE(search("since=2001-01-01&until=2001-01-01T23:59:59")["results"].empty());
  // The same filters in a JSON body ("type" as a list).
  const RawResponse r = send(testing::post_request(
      "/api/search", "application/json",
      R"({"q": "a photo", "k": 100, "type": ["png"], "since": "2001-01-01", "sort": "date"})"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["results"].size(), 18u);
}

// "2024-06-01T13:45:00" for a naive time in seconds, as the API's "date" gives it.
std::string date_text(int64_t seconds) {
  const time_t t = static_cast<time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  return text;
}

// Issue 20: date=modified filters on the file's modification time. Here no photo has an EXIF
// date, so both dates agree: the same rows either way, and the CLI's `--date modified` too, on
// a bound that splits the library (the modification time read back through the time zone).
TEST_F(ServeBrowse, ModifiedDatesFilterAsTheCliDoes) {
  EXPECT_EQ(search("since=2001-01-01&date=modified")["results"].size(), 36u);
  EXPECT_TRUE(search("until=2001-01-01&date=modified")["results"].empty());
  const json by_date = search("sort=date-oldest");
  ASSERT_EQ(by_date["results"].size(), 36u);
  const std::string middle = date_text(by_date["results"][18]["date"].get<int64_t>());
  const json modified = search("since=" + middle + "&date=modified");
  EXPECT_FALSE(modified["results"].empty());
  EXPECT_EQ(ids(modified), ids(search("since=" + middle + "&date=taken")));
  auto cli = testing::run_command({testing::cli_binary(), "search", "a photo", "--db", db_, "--all",
                                   "--json", "-k", "100", "--since", middle, "--date", "modified"});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  std::vector<int64_t> cli_ids;
  for (const json& row : testing::json_lines(cli.out)) cli_ids.push_back(row["id"]);
  EXPECT_EQ(ids(modified), cli_ids);
  const RawResponse r = send(testing::post_request(
      "/api/search", "application/json",
      R"({"q": "a photo", "k": 100, "until": "2001-01-01", "date": "modified"})"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(json::parse(r.body)["results"].empty());
}

TEST_F(ServeBrowse, SortByDateOrdersTheResultsByDate) {
  for (const char* sort : {"date", "date-oldest"}) {
    const json answer = search(std::string("sort=") + sort + "&min_score=-1");
    ASSERT_EQ(answer["results"].size(), 36u) << sort;
    const bool newest = std::string(sort) == "date";
    for (size_t i = 1; i < answer["results"].size(); ++i) {
      const int64_t before = answer["results"][i - 1]["date"], now = answer["results"][i]["date"];
      EXPECT_TRUE(newest ? before >= now : before <= now) << sort << " at " << i;
    }
  }
  EXPECT_EQ(ids(search("sort=relevance")), ids(search("")));
}

TEST_F(ServeBrowse, ACutoffSaysHowManyItKeeps) {
  const json all = search("");
  ASSERT_EQ(all["results"].size(), 36u);
  EXPECT_FALSE(all.contains("kept"));  // no cutoff, nothing to count
  // Between the 10th and the 11th score: exactly 10 kept, whatever the page size.
  const double cutoff =
      (all["results"][9]["score"].get<double>() + all["results"][10]["score"].get<double>()) / 2;
  const json page = search("k=3&min_score=" + json(cutoff).dump());
  EXPECT_EQ(page["kept"], 10);
  EXPECT_EQ(page["results"].size(), 3u);
}

TEST_F(ServeBrowse, FoldersListTheRootAndItsSubFolderWithCounts) {
  const RawResponse r = get("/api/folders");
  ASSERT_EQ(r.status, 200) << r.body;
  const json folders = json::parse(r.body)["folders"];
  ASSERT_EQ(folders.size(), 2u) << folders.dump();
  const std::string root = json::parse(get("/api/status").body)["folders"][0];
  EXPECT_EQ(folders[0]["path"], root);
  EXPECT_EQ(folders[0]["images"], 36);  // the sub-folder's included
  EXPECT_EQ(folders[1]["path"], root + "/beach trip");
  EXPECT_EQ(folders[1]["images"], 12);
}

TEST_F(ServeBrowse, NoCameraInTheLibraryNoneToFilterBy) {
  const RawResponse r = get("/api/cameras");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body), json::parse(R"({"cameras": []})"));
  EXPECT_TRUE(search("camera=Canon%20EOS%20R5")["results"].empty());
  const json all = search("");  // kept: a range-for over a temporary's member would dangle
  for (const json& row : all["results"]) EXPECT_FALSE(row.contains("camera"));
}

TEST_F(ServeBrowse, StatusListsFailuresKindsAndPrecision) {
  const json status = json::parse(get("/api/status").body);
  EXPECT_EQ(status["precision"], "f32");
  // The truncated JPEG (the other broken file is no image at all: not a failure).
  ASSERT_EQ(status["failures"].size(), 1u);
  EXPECT_EQ(status["errors"], 1);
  const std::string path = status["failures"][0]["path"];
  EXPECT_EQ(path.substr(path.size() - 14), "/truncated.jpg");
  EXPECT_FALSE(status["failures"][0]["error"].get<std::string>().empty());
  EXPECT_EQ(status["kinds"], json::parse(R"([{"format": "jpeg", "video": false, "items": 18},
                            {"format": "png", "video": false, "items": 18}])"));
}

TEST_F(ServeBrowse, BadFiltersAreErrorsNamingTheParameter) {
  const auto expect_400 = [](const std::string& params, const std::string& words) {
    testing::expect_json_error(get("/api/search?q=x&" + params), 400, words);
  };
  expect_400("since=yesterday", "'since': date 'yesterday': expected YYYY-MM-DD");
  expect_400("until=2024-13-45", "'until'");
  expect_400("since=2024-01-01T25:00", "'since'");
  expect_400("min_size=lots", "'min_size': size 'lots'");
  expect_400("max_size=5Q", "'max_size': size '5Q': unknown unit");
  expect_400("max_size=-1", "'max_size'");
  expect_400("max_size=1e5", "'max_size'");
  expect_400("sort=random", "'sort': sort 'random': expected score");
  expect_400("date=created", "'date': date 'created': expected taken or modified");
  testing::expect_json_error(
      send(testing::post_request("/api/search", "application/json", R"({"q": "x", "sort": 1})")),
      400, "'sort' must be a string");
  testing::expect_json_error(
      send(testing::post_request("/api/search", "application/json", R"({"q": "x", "type": 1})")),
      400, "'type' must be a string or a list");
  testing::expect_json_error(
      send(testing::post_request("/api/search", "application/json", R"({"q": "x", "camera": 1})")),
      400, "'camera' must be a string or a list");
}

}  // namespace
}  // namespace clipsearch
