// End to end: classify, albums, click/recommend and the --tag/--album search filters give what
// numpy computes from the reference's own embeddings (tests/reference/make_search_reference.py,
// zero_shot.json).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "cli/e2e_test_util.h"
#include "testing/test_util.h"

namespace clipsearch {
namespace {

using nlohmann::json;

std::string ref() { return testing::reference_dir() + "/search"; }
std::string lib(const std::string& rel) { return ref() + "/library/" + rel; }

using testing::json_lines;

std::string path_of(const json& row) { return testing::json_row_path(row); }

class ZeroShotCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    db_ = dir_->file("index.db");
    auto r = testing::index_search_library(db_);
    ASSERT_EQ(r.exit_code, 3) << r.err;
    std::ifstream f(ref() + "/zero_shot.json");
    want_ = json::parse(f);
  }
  static void TearDownTestSuite() { delete dir_; }
  static testing::CommandResult run(std::vector<std::string> args) {
    args.insert(args.begin(), testing::cli_binary());
    args.insert(args.end(), {"--db", db_});
    return testing::run_command(args);
  }
  static std::set<std::string> search_paths(const std::vector<std::string>& filter) {
    std::vector<std::string> args = {"search", "anything", "--all", "--json", "-k", "100"};
    args.insert(args.end(), filter.begin(), filter.end());
    auto r = run(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::set<std::string> paths;
    for (const json& row : json_lines(r.out)) paths.insert(path_of(row));
    return paths;
  }

  static testing::TempDir* dir_;
  static std::string db_;
  static json want_;
};

testing::TempDir* ZeroShotCli::dir_ = nullptr;
std::string ZeroShotCli::db_;
json ZeroShotCli::want_;

TEST_F(ZeroShotCli, ClassifyAFileMatchesNumpy) {
  const json& c = want_["classify"];
  std::vector<std::string> args = {
      testing::cli_binary(), "classify", "--labels", c["labels"], "--model",
      ref() + "/model",      "--json",   "--top",    "3"};
  for (const auto& t : c["templates"]) args.insert(args.end(), {"--template", t});
  args.push_back(c["image"]);
  auto r = testing::run_command(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json got = json::parse(r.out);
  ASSERT_EQ(got["labels"].size(), 3u);
  double previous = 2;
  for (const json& l : got["labels"]) {
    const double p = l["probability"];
    EXPECT_NEAR(p, c["probabilities"][l["label"].get<std::string>()].get<double>(), 1e-4);
    EXPECT_LE(p, previous);  // best first
    previous = p;
  }
}

TEST_F(ZeroShotCli, StoredLabelsFilterSearch) {
  const json& c = want_["classify"];
  std::vector<std::string> args = {"classify", "--labels", c["labels"], "--all",
                                   "--store",  "--top",    "1",         "--json"};
  for (const auto& t : c["templates"]) args.insert(args.end(), {"--template", t});
  auto r = run(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json_lines(r.out).size(), 36u);
  std::map<std::string, std::set<std::string>> want;
  for (const auto& [path, label] : c["top1"].items()) want[label].insert(lib(path));
  for (const auto& [label, paths] : want) {
    SCOPED_TRACE(label);
    EXPECT_EQ(search_paths({"--tag", label}), paths);
  }
}

TEST_F(ZeroShotCli, AlbumsMatchNumpyAndOnlyNewImagesAreClassifiedAgain) {
  const std::string themes = dir_->file("themes.json");
  testing::write_file(themes, want_["themes"].dump());
  auto check = [&](const testing::CommandResult& r, const json& expected) {
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::map<std::string, std::set<std::string>> got;
    for (const json& album : json_lines(r.out)) {
      auto& set = got[album["album"]];
      for (const json& image : album["images"]) set.insert(path_of(image));
    }
    for (const auto& [name, paths] : expected.items()) {
      std::set<std::string> want;
      for (const auto& p : paths) want.insert(lib(p));
      EXPECT_EQ(got[name], want) << name;
    }
  };
  auto first = run({"albums", "--themes", themes});
  check(first, want_["albums"]);
  EXPECT_NE(first.err.find("36 image(s) classified"), std::string::npos) << first.err;
  auto again = run({"albums", "--themes", themes});
  check(again, want_["albums"]);
  EXPECT_NE(again.err.find("0 image(s) classified"), std::string::npos) << again.err;
  std::set<std::string> warm;
  for (const auto& p : want_["albums"]["warm"]) warm.insert(lib(p));
  EXPECT_EQ(search_paths({"--album", "warm"}), warm);
  auto exclusive = run({"albums", "--themes", themes, "--exclusive"});
  check(exclusive, want_["albums_exclusive"]);
  EXPECT_NE(exclusive.err.find("afresh"), std::string::npos) << exclusive.err;
  const std::string links = dir_->file("links");
  ASSERT_EQ(run({"albums", "--themes", themes, "--exclusive", "--links", links}).exit_code, 0);
  size_t linked = 0;
  for (const auto& e : std::filesystem::directory_iterator(links + "/cool")) {
    EXPECT_TRUE(std::filesystem::is_symlink(e.path()));
    ++linked;
  }
  EXPECT_EQ(linked, want_["albums_exclusive"]["cool"].size());
}

TEST_F(ZeroShotCli, RecommendationsFollowTheClicks) {
  std::map<std::string, int64_t> id_of;
  auto all = run({"search", "x", "--all", "--json", "-k", "100"});
  for (const json& row : json_lines(all.out)) id_of[path_of(row)] = row["id"];
  auto popular = run({"recommend", "--user", "nobody", "--json"});
  EXPECT_EQ(popular.exit_code, 0) << popular.err;
  EXPECT_TRUE(popular.out.empty());  // no clicks anywhere yet
  for (const auto& click : want_["clicks"]) {
    ASSERT_EQ(run({"click", "--user", "ana", std::to_string(id_of[lib(click)])}).exit_code, 0);
  }
  auto r = run({"recommend", "--user", "ana", "--json", "-k", "5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = json_lines(r.out);
  const json& want = want_["recommend"];
  ASSERT_EQ(rows.size(), want.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_NEAR(rows[i]["score"].get<double>(), want[i][1].get<double>(), 1e-4);
    if (path_of(rows[i]) != lib(want[i][0])) {
      EXPECT_NEAR(rows[i]["score"].get<double>(), want[i][1].get<double>(), 2e-5) << "rank " << i;
    }
    EXPECT_EQ(rows[i]["source"], "clicks");
  }
  auto other = run({"recommend", "--user", "bob", "--json", "-k", "1"});
  const auto most = json_lines(other.out);
  ASSERT_EQ(most.size(), 1u);
  EXPECT_EQ(path_of(most[0]), lib(want_["clicks"][0]));  // clicked twice
  EXPECT_EQ(most[0]["source"], "popular");
  EXPECT_NE(run({"click", "--user", "ana", "999999"}).err.find("not in the index"),
            std::string::npos);
}

}  // namespace
}  // namespace clipsearch
