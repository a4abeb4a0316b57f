// End to end: `clipsearch index` then `clipsearch search` give the ranking numpy computes from
// the reference's own embeddings (tests/reference/make_search_reference.py), for text, picture,
// "more like this", mixed and negative queries and a folder filter, with each reference model:
// a Hugging Face CLIPModel and open_clip's RN50 (ModifiedResNet image tower); `similarity` gives
// numpy's cosines and probabilities and `bench` runs each. Plus the CLI's answers to bad queries
// and the relevance cutoff.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/path_json.h"
#include "testing/test_util.h"

namespace clipsearch {
namespace {

using nlohmann::json;

// The reference models' folders under the reference directory: model/, library/, queries.json,
// embeddings.json, similarity.json.
constexpr const char* kHuggingFace = "search";
constexpr const char* kRn50 = "search/rn50";
constexpr const char* kChineseClip = "search/chinese_clip";  // its queries are in Chinese
constexpr const char* kXlmRoberta = "search/xlm_roberta";    // open_clip's XLM-R, Chinese queries

std::string ref(const std::string& which = kHuggingFace) {
  return testing::reference_dir() + "/" + which;
}
std::string library(const std::string& which = kHuggingFace) { return ref(which) + "/library"; }
std::string model(const std::string& which = kHuggingFace) { return ref(which) + "/model"; }

json read_json(const std::string& path) {
  std::ifstream f(path);
  EXPECT_TRUE(f.good()) << path;
  return f.good() ? json::parse(f) : json();
}

// A reference library indexed with its model into a catalog of its own: once per reference,
// shared by the tests, removed at exit.
struct Indexed {
  testing::TempDir dir;
  std::string db = dir.file("index.db");
  testing::CommandResult index;
};

const Indexed& indexed(const std::string& which) {
  static std::map<std::string, std::unique_ptr<Indexed>> catalogs;
  std::unique_ptr<Indexed>& c = catalogs[which];
  if (!c) {
    c = std::make_unique<Indexed>();
    c->index = testing::run_command({testing::cli_binary(), "index", library(which), "--db", c->db,
                                     "--model", model(which), "--threads", "2", "--quiet"});
  }
  return *c;
}

testing::CommandResult run_search(const std::string& db, std::vector<std::string> args) {
  std::vector<std::string> cmd = {testing::cli_binary(), "search", "--db", db, "--threads", "2"};
  cmd.insert(cmd.end(), args.begin(), args.end());
  return testing::run_command(cmd);
}

std::vector<std::pair<std::string, double>> parse(const std::string& out) {
  std::vector<std::pair<std::string, double>> rows;
  std::stringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    const json j = json::parse(line);
    std::string path;
    EXPECT_TRUE(path_from_json(j["path"].dump(), &path));
    rows.emplace_back(path, j["score"].get<double>());
  }
  return rows;
}

// The tests every reference model passes: the parameter is its folder (kHuggingFace, kRn50,
// kChineseClip, kXlmRoberta).
class SearchModels : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const Indexed& c = indexed(GetParam());
    ASSERT_TRUE(c.index.exit_code == 0 || c.index.exit_code == 3) << c.index.err;
    db_ = c.db;
  }
  std::string db_;
};

INSTANTIATE_TEST_SUITE_P(ReferenceModels, SearchModels,
                         ::testing::Values(kHuggingFace, kRn50, kChineseClip, kXlmRoberta),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           if (info.param == kRn50) return std::string("OpenClipRn50");
                           if (info.param == kChineseClip) return std::string("ChineseClip");
                           if (info.param == kXlmRoberta) return std::string("OpenClipXlmRoberta");
                           return std::string("HuggingFaceClip");
                         });

TEST_P(SearchModels, IndexReportsTheBrokenFileAndKeepsTheRest) {
  const Indexed& c = indexed(GetParam());
  EXPECT_EQ(c.index.exit_code, 3) << c.index.err;  // some files failed, the rest indexed
  EXPECT_NE(c.index.err.find("truncated.jpg"), std::string::npos) << c.index.err;
  const size_t photos = read_json(ref(GetParam()) + "/embeddings.json").size();
  EXPECT_EQ(parse(run_search(db_, {"x", "--all", "--json", "-k", "1000"}).out).size(), photos);
}

TEST_P(SearchModels, RankingsEqualNumpyOnTheReferenceEmbeddings) {
  const std::string lib = library(GetParam());
  const json queries = read_json(ref(GetParam()) + "/queries.json");
  ASSERT_GE(queries.size(), 7u);
  for (const json& q : queries) {
    std::vector<std::string> args = q["args"].get<std::vector<std::string>>();
    SCOPED_TRACE(q["args"].dump());
    const bool has_folder = std::find(args.begin(), args.end(), "--folder") != args.end();
    if (!has_folder) args.push_back("--all");
    args.insert(args.end(), {"--json", "-k", "100"});
    auto r = run_search(db_, args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto got = parse(r.out);
    const json& want = q["results"];
    bool like = std::find(args.begin(), args.end(), "--like") != args.end();
    // "more like this" leaves the image itself out; the reference ranks it first (score 1).
    const size_t skip = like ? 1 : 0;
    ASSERT_EQ(got.size() + skip, want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      const std::string want_path = lib + "/" + want[i + skip][0].get<std::string>();
      const double want_score = want[i + skip][1].get<double>();
      EXPECT_NEAR(got[i].second, want_score, 2e-4) << "rank " << i;
      if (got[i].first != want_path) {
        // Only a near-tie may swap places.
        double other = 0;
        for (const auto& w : want) {
          if (lib + "/" + w[0].get<std::string>() == got[i].first) other = w[1];
        }
        EXPECT_NEAR(other, want_score, 2e-4)
            << "rank " << i << ": " << got[i].first << " instead of " << want_path;
      }
    }
  }
}

TEST_P(SearchModels, SimilarityEqualsNumpy) {
  const json want = read_json(ref(GetParam()) + "/similarity.json");
  std::vector<std::string> args = {
      testing::cli_binary(), "similarity", "--model", model(GetParam()), "--json",
      "--threads",           "2"};
  for (const json& image : want["images"]) {
    args.insert(args.end(),
                {"--image", library(GetParam()) + "/" + image["path"].get<std::string>()});
  }
  for (const json& text : want["texts"]) args.insert(args.end(), {"--text", text});
  auto r = testing::run_command(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::stringstream in(r.out);
  std::string line;
  size_t images = 0;
  for (; std::getline(in, line); ++images) {
    ASSERT_LT(images, want["images"].size()) << r.out;
    const json got = json::parse(line);
    const json& w = want["images"][images];
    SCOPED_TRACE(w["path"].dump());
    ASSERT_EQ(got["texts"].size(), want["texts"].size());
    for (size_t t = 0; t < want["texts"].size(); ++t) {
      EXPECT_EQ(got["texts"][t]["text"], want["texts"][t]);
      EXPECT_NEAR(got["texts"][t]["cosine"].get<double>(), w["cosine"][t].get<double>(), 2e-5);
      EXPECT_NEAR(got["texts"][t]["probability"].get<double>(), w["probability"][t].get<double>(),
                  1e-4);
    }
  }
  EXPECT_EQ(images, want["images"].size());
}

TEST_P(SearchModels, BenchRunsAndReportsTheModelsShape) {
  auto r = testing::run_command({testing::cli_binary(), "bench", "--model", model(GetParam()),
                                 "--batch", "2", "--iters", "1", "--threads", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json got = json::parse(r.out);
  const json embeddings = read_json(ref(GetParam()) + "/embeddings.json");
  ASSERT_FALSE(embeddings.empty());
  EXPECT_EQ(got["embed_dim"].get<size_t>(), embeddings.begin()->size());
  EXPECT_EQ(got["image_tower"], GetParam() == kRn50 ? "resnet" : "vit");
  const bool bert = GetParam() == kChineseClip || GetParam() == kXlmRoberta;
  EXPECT_EQ(got["text_tower"], bert ? "bert" : "clip");
  EXPECT_EQ(got["image_size"], GetParam() == kRn50 ? 224 : 64);
  EXPECT_EQ(got["batch"], 2);
  EXPECT_EQ(got["image_batch_s"].size(), 1u);
  EXPECT_GT(got["images_per_s"].get<double>(), 0);
  // At the model's context length: 77 for CLIP, Chinese-CLIP's 52, the XLM-R's 80 - 2.
  const std::string texts_key = "texts_per_s_ctx" + std::to_string(got["text_tokens"].get<int>());
  ASSERT_TRUE(got.contains(texts_key)) << got.dump();
  EXPECT_GT(got[texts_key].get<double>(), 0);
}

// The Hugging Face reference's library alone: the CLI's options and errors.
class SearchCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { db_ = indexed(kHuggingFace).db; }
  static testing::CommandResult search(std::vector<std::string> args) {
    return run_search(db_, std::move(args));
  }
  static std::string db_;
};

std::string SearchCli::db_;

TEST_F(SearchCli, HumanOutputHasScoreAndPath) {
  auto r = search({"a red square", "--all", "-k", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::stringstream in(r.out);
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    EXPECT_NE(line.find("  \"" + library()), std::string::npos) << line;
    EXPECT_NO_THROW(std::stod(line.substr(0, line.find(' '))));
  }
  EXPECT_EQ(lines, 3);
}

TEST_F(SearchCli, MinScoreCanAnswerNothingMatches) {
  auto r = search({"a red square", "--all", "--min-score", "0.99"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find("nothing matches"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("0.99"), std::string::npos) << r.err;
  auto low = search({"a red square", "--all", "--min-score", "-1", "--json", "-k", "1000"});
  EXPECT_EQ(parse(low.out).size(), 36u);
}

TEST_F(SearchCli, PagingAndSortingByDate) {
  const auto all = parse(search({"sea", "--all", "--json", "-k", "10"}).out);
  const auto page = parse(search({"sea", "--all", "--json", "-k", "4", "--offset", "3"}).out);
  ASSERT_EQ(all.size(), 10u);
  ASSERT_EQ(page.size(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(page[i].first, all[i + 3].first);
  auto by_date = search({"sea", "--all", "--json", "-k", "36", "--sort", "date"});
  ASSERT_EQ(by_date.exit_code, 0) << by_date.err;
  std::stringstream in(by_date.out);
  std::string line;
  int64_t previous = INT64_MAX;
  while (std::getline(in, line)) {
    const int64_t date = json::parse(line)["date"];
    EXPECT_LE(date, previous);
    previous = date;
  }
}

TEST_F(SearchCli, RunFromInsideALibraryFolderSearchesThatFolder) {
  const std::string folder = library() + "/beach trip";
  auto r = testing::run_command({"/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", folder,
                                 testing::cli_binary(), "search", "a boat", "--db", db_, "--json",
                                 "-k", "100"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto got = parse(r.out);
  EXPECT_EQ(got.size(), 12u);
  for (const auto& row : got) EXPECT_EQ(row.first.rfind(folder + "/", 0), 0u) << row.first;
}

TEST_F(SearchCli, FiltersByTypeSizeAndDate) {
  const auto png = parse(search({"x", "--all", "--json", "-k", "100", "--type", "png"}).out);
  EXPECT_EQ(png.size(), 18u);
  for (const auto& row : png) EXPECT_EQ(row.first.substr(row.first.size() - 4), ".png");
  auto all = search({"x", "--all", "--json", "-k", "100"});
  std::vector<int64_t> sizes;
  std::stringstream in(all.out);
  std::string line;
  while (std::getline(in, line)) sizes.push_back(json::parse(line)["size"]);
  std::sort(sizes.begin(), sizes.end());
  const int64_t median = sizes[sizes.size() / 2];
  auto big = search({"x", "--all", "--json", "-k", "100", "--min-size", std::to_string(median)});
  EXPECT_EQ(
      parse(big.out).size(),
      static_cast<size_t>(sizes.end() - std::lower_bound(sizes.begin(), sizes.end(), median)));
  EXPECT_EQ(
      parse(search({"x", "--all", "--json", "-k", "100", "--since", "2000-01-01"}).out).size(),
      36u);
  auto old = search({"x", "--all", "--until", "2000-01-01"});
  EXPECT_EQ(old.exit_code, 0);
  EXPECT_TRUE(old.out.empty());
  EXPECT_NE(old.err.find("no indexed image passes the filters"), std::string::npos) << old.err;
  EXPECT_EQ(search({"x", "--all", "--since", "yesterday"}).exit_code, 1);
  // --date modified: the file's modification time (every photo's is recent; none has EXIF).
  EXPECT_EQ(parse(search({"x", "--all", "--json", "-k", "100", "--since", "2000-01-01", "--date",
                          "modified"})
                      .out)
                .size(),
            36u);
  EXPECT_TRUE(search({"x", "--all", "--until", "2000-01-01", "--date", "modified"}).out.empty());
  auto unknown = search({"x", "--all", "--since", "2000-01-01", "--date", "created"});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.err.find("--date"), std::string::npos) << unknown.err;
}

TEST_F(SearchCli, RepeatableOptionsTakeOneValueEach) {
  // "--not sand" must not swallow the query that follows it.
  auto r =
      search({"--not", "sand", "--type", "png,jpg", "a red square", "--all", "--json", "-k", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(parse(r.out).size(), 3u);
}

TEST_F(SearchCli, BadQueriesAreClearErrors) {
  auto empty = search({"   ", "--all"});
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_NE(empty.err.find("empty"), std::string::npos) << empty.err;
  auto nothing = search({"--all"});
  EXPECT_EQ(nothing.exit_code, 1);
  EXPECT_NE(nothing.err.find("nothing to search for"), std::string::npos) << nothing.err;
  auto unknown = search({"--like", "/no/such/photo.jpg"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("/no/such/photo.jpg: not in the index"), std::string::npos)
      << unknown.err;
  auto broken = search({"--like", library() + "/truncated.jpg"});
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_NE(broken.err.find("truncated.jpg: not indexed"), std::string::npos) << broken.err;
  auto missing_image = search({"--image", "/no/such/query.png"});
  EXPECT_EQ(missing_image.exit_code, 1);
  EXPECT_NE(missing_image.err.find("/no/such/query.png"), std::string::npos);
  auto no_db =
      testing::run_command({testing::cli_binary(), "search", "x", "--db", db_ + ".missing.db"});
  EXPECT_EQ(no_db.exit_code, 1);
  EXPECT_NE(no_db.err.find("missing.db"), std::string::npos) << no_db.err;
}

TEST_F(SearchCli, AnotherModelIsRefused) {
  // Same shapes, other weights: the fingerprint differs.
  const std::string other = testing::reference_dir() + "/text_embed/model";
  auto r = search({"x", "--model", other});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("model"), std::string::npos) << r.err;
}

// A model folder without a tokenizer still indexes and answers picture queries; a text query
// names what is missing.
TEST(SearchCliNoTokenizer, PictureQueriesWorkTextQueriesSayWhy) {
  testing::TempDir tmp;
  const std::string bare = tmp.file("model");
  std::filesystem::create_directories(bare);
  for (const char* f : {"config.json", "model.safetensors", "preprocessor_config.json"}) {
    std::filesystem::copy_file(model() + "/" + f, bare + "/" + f);
  }
  const std::string lib = tmp.file("lib");
  std::filesystem::create_directories(lib);
  for (const char* f : {"photo_02.png", "photo_04.png", "photo_05.jpg"}) {
    std::filesystem::copy_file(library() + "/" + f, lib + "/" + f);
  }
  const std::string db = tmp.file("index.db");
  auto indexed = testing::run_command(
      {testing::cli_binary(), "index", lib, "--db", db, "--model", bare, "--quiet"});
  ASSERT_EQ(indexed.exit_code, 0) << indexed.err;
  auto by_picture = testing::run_command({testing::cli_binary(), "search", "--db", db, "--all",
                                          "--image", lib + "/photo_02.png", "--json"});
  ASSERT_EQ(by_picture.exit_code, 0) << by_picture.err;
  EXPECT_EQ(std::count(by_picture.out.begin(), by_picture.out.end(), '\n'), 3);
  auto by_text =
      testing::run_command({testing::cli_binary(), "search", "a cat", "--db", db, "--all"});
  EXPECT_EQ(by_text.exit_code, 1);
  EXPECT_NE(by_text.err.find("no tokenizer vocabulary"), std::string::npos) << by_text.err;
  EXPECT_NE(by_text.err.find("text queries need one"), std::string::npos) << by_text.err;
}

}  // namespace
}  // namespace clipsearch
