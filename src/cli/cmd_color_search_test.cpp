// End to end: colour-aware search over images of known colours
// (tests/reference/make_color_reference.py). With --color-weight 1 the ranking is the order of
// the documented colour distance computed by numpy/scikit-image, exactly; with weight 0 it is
// plain search; in between it is numpy's mix of the reference CLIP scores and colour
// similarities. Also: the HNSW path, paging, the score cutoff, errors, and a catalog from before
// colour signatures (schema version 1), which reads as "no colour" until `index` fills them in.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/path_json.h"
#include "testing/test_util.h"

namespace clipsearch {
namespace {

using nlohmann::json;

std::string ref() { return testing::reference_dir() + "/color"; }
std::string library() { return ref() + "/library"; }
std::string model() { return ref() + "/model"; }

struct Row {
  std::string path;
  double score = 0;
};

std::vector<Row> rows_of(const std::string& out) {
  std::vector<Row> rows;
  std::stringstream in(out);
  for (std::string line; std::getline(in, line);) {
    const json j = json::parse(line);
    Row row;
    EXPECT_TRUE(path_from_json(j["path"].dump(), &row.path));
    row.score = j["score"].get<double>();
    rows.push_back(row);
  }
  return rows;
}

bool colour_only(const std::vector<std::string>& args) {
  const auto it = std::find(args.begin(), args.end(), "--color-weight");
  return it != args.end() && it + 1 != args.end() && it[1] == "1";
}

class ColorSearchCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    db_ = dir_->file("index.db");
    auto r = index(db_);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() { delete dir_; }

  static testing::CommandResult index(const std::string& db) {
    return testing::run_command({testing::cli_binary(), "index", library(), "--db", db, "--model",
                                 model(), "--threads", "2", "--progress", "json"});
  }

  static testing::CommandResult search(std::vector<std::string> args, const std::string& db = db_) {
    std::vector<std::string> cmd = {testing::cli_binary(), "search", "--db", db, "--threads", "2"};
    cmd.insert(cmd.end(), args.begin(), args.end());
    return testing::run_command(cmd);
  }

  static std::vector<Row> ranking(std::vector<std::string> args, const std::string& db = db_) {
    args.insert(args.end(), {"--all", "--json", "-k", "100"});
    auto r = search(args, db);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return rows_of(r.out);
  }

  // `got` is the reference's ranking: same scores; same order, where a colour-only query allows
  // no swap at all and a mixed one only between near-equal scores.
  static void expect_reference(const std::vector<Row>& got, const json& want, bool exact_order) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      const std::string want_path = library() + "/" + want[i][0].get<std::string>();
      const double want_score = want[i][1].get<double>();
      EXPECT_NEAR(got[i].score, want_score, 2e-4) << "rank " << i << " " << got[i].path;
      if (exact_order || got[i].path == want_path) {
        EXPECT_EQ(got[i].path, want_path) << "rank " << i;
        continue;
      }
      for (const json& w : want) {
        if (library() + "/" + w[0].get<std::string>() == got[i].path) {
          EXPECT_NEAR(w[1].get<double>(), want_score, 2e-4) << "rank " << i << ": " << got[i].path;
        }
      }
    }
  }

  static json queries() {
    std::ifstream f(ref() + "/queries.json");
    EXPECT_TRUE(f.good());
    return json::parse(f);
  }

  static testing::TempDir* dir_;
  static std::string db_;
};

testing::TempDir* ColorSearchCli::dir_ = nullptr;
std::string ColorSearchCli::db_;

TEST_F(ColorSearchCli, RankingsEqualNumpyOnKnownColours) {
  const json all = queries();
  ASSERT_GE(all.size(), 7u);
  for (const json& q : all) {
    const auto args = q["args"].get<std::vector<std::string>>();
    SCOPED_TRACE(q["args"].dump());
    expect_reference(ranking(args), q["results"], colour_only(args));
  }
}

TEST_F(ColorSearchCli, HnswRanksAsTheExactScan) {
  for (const json& q : queries()) {
    std::vector<std::string> args = q["args"].get<std::vector<std::string>>();
    SCOPED_TRACE(q["args"].dump());
    args.insert(args.end(), {"--index", "hnsw"});
    expect_reference(ranking(args), q["results"], colour_only(args));
  }
}

TEST_F(ColorSearchCli, WeightZeroIsPlainSearch) {
  auto plain = search({"a red dress", "--all", "--json", "-k", "100"});
  auto zero = search(
      {"a red dress", "--all", "--json", "-k", "100", "--color", "red", "--color-weight", "0"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(zero.out, plain.out);
}

TEST_F(ColorSearchCli, PagingAndScoreCutoffApplyToTheMixedScore) {
  const std::vector<std::string> q = {"x", "--color", "#2e86c1", "--color-weight", "0.6"};
  const auto all = ranking(q);
  ASSERT_EQ(all.size(), 20u);
  auto args = q;
  args.insert(args.end(), {"--all", "--json", "-k", "4", "--offset", "3"});
  const auto page = rows_of(search(args).out);
  ASSERT_EQ(page.size(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(page[i].path, all[i + 3].path);
  const double cutoff = (all[5].score + all[6].score) / 2;
  args = q;
  args.insert(args.end(), {"--all", "--json", "-k", "100", "--min-score", std::to_string(cutoff)});
  EXPECT_EQ(rows_of(search(args).out).size(), 6u);
}

TEST_F(ColorSearchCli, BadColourAndWeightAreClearErrors) {
  auto blurple = search({"x", "--color", "blurple"});
  EXPECT_EQ(blurple.exit_code, 1);
  EXPECT_NE(
      blurple.err.find("--color: 'blurple' is not a colour: use #rrggbb or a CSS colour name"),
      std::string::npos)
      << blurple.err;
  auto heavy = search({"x", "--color", "red", "--color-weight", "1.5"});
  EXPECT_EQ(heavy.exit_code, 1);
  EXPECT_NE(heavy.err.find("--color-weight: must be between 0 and 1, got 1.5"), std::string::npos)
      << heavy.err;
  auto word = search({"x", "--color", "red", "--color-weight", "much"});
  EXPECT_EQ(word.exit_code, 1);
  EXPECT_NE(word.err.find("--color-weight: 'much' is not a number"), std::string::npos) << word.err;
  auto colourless = search({"x", "--color-weight", "0.5"});
  EXPECT_EQ(colourless.exit_code, 1);
  EXPECT_NE(colourless.err.find("--color-weight needs a colour"), std::string::npos)
      << colourless.err;
}

void sql(const std::string& db, const char* statements) {
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(h, statements, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(h);
  sqlite3_close(h);
}

// A catalog written before colour signatures: schema version 1, no `color` column (and none of
// version 3's video columns and frames, nor version 4's camera).
TEST_F(ColorSearchCli, AnOldCatalogSearchesWithoutColourThenIndexFillsItIn) {
  const std::string old_db = dir_->file("old.db");
  std::filesystem::copy_file(db_, old_db);
  sql(old_db,
      "ALTER TABLE images DROP COLUMN color; ALTER TABLE images DROP COLUMN duration_ms; "
      "ALTER TABLE images DROP COLUMN camera; DROP TABLE frames; "
      "UPDATE meta SET value = 1 WHERE key = 'schema_version'");
  const json colour_query = queries()[0];
  const auto args = colour_query["args"].get<std::vector<std::string>>();

  // Read-only, as it is: plain search unchanged, every image "no colour" (similarity 0).
  EXPECT_EQ(search({"x", "--all", "--json", "-k", "100"}, old_db).out,
            search({"x", "--all", "--json", "-k", "100"}).out);
  const auto colourless = ranking(args, old_db);
  ASSERT_EQ(colourless.size(), 20u);
  for (const Row& row : colourless) EXPECT_EQ(row.score, 0) << row.path;

  // The next `index` migrates the catalog and computes the signatures without re-embedding.
  auto r = index(old_db);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json summary = json::parse(r.out.substr(r.out.rfind("{\"event\": \"summary\"")));
  EXPECT_EQ(summary["colored"], 20);
  EXPECT_EQ(summary["embedded"], 0);
  expect_reference(ranking(args, old_db), colour_query["results"], true);
  auto again = index(old_db);
  EXPECT_EQ(json::parse(again.out.substr(again.out.rfind("{\"event\": \"summary\"")))["decoded"],
            0);
}

}  // namespace
}  // namespace clipsearch
