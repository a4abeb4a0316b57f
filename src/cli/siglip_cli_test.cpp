// End to end with a SigLIP model: every command from raw text and picture files, against what
// transformers 4.37.2 computes from the same files
// (tests/reference/make_siglip_search_reference.py: SiglipTokenizer with padding="max_length",
// SiglipImageProcessor, SiglipModel's sigmoid probabilities). Scores speak SigLIP's language:
// probabilities, for similarity, classify, albums, text searches and --min-score.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "cli/e2e_test_util.h"
#include "testing/test_util.h"

namespace clipsearch {
namespace {

using nlohmann::json;
using testing::json_lines;

// One reference folder (model/, library/, reference.json) and a catalog of its library, made
// once per folder for every test that uses it.
struct Reference {
  std::string root;
  testing::TempDir dir;
  std::string db;
  json want;
};

// Parameter: the reference's folder under the reference dir: siglip_search (SiglipTokenizer's
// spiece.model) or siglip2_search (SigLIP 2's form: Gemma's tokenizer.json, lower-cased).
class SiglipCli : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    static std::map<std::string, std::unique_ptr<Reference>> made;
    auto& r = made[GetParam()];
    if (!r) {
      r = std::make_unique<Reference>();
      r->root = testing::reference_dir() + "/" + GetParam();
      r->db = r->dir.file("index.db");
      std::ifstream f(r->root + "/reference.json");
      r->want = json::parse(f);
      auto index =
          run({"index", r->root + "/library", "--db", r->db, "--model", r->root + "/model"});
      ASSERT_EQ(index.exit_code, 0) << index.err;
    }
    ref_ = r.get();
    want_ = ref_->want;
    db_ = ref_->db;
  }
  static testing::CommandResult run(std::vector<std::string> args) {
    args.insert(args.begin(), testing::cli_binary());
    return testing::run_command(args);
  }
  std::string model() const { return ref_->root + "/model"; }
  std::string picture(const std::string& name) const { return ref_->root + "/library/" + name; }
  testing::TempDir& dir() const { return ref_->dir; }
  // The reference's probability of texts[t] for the picture `name`.
  double probability(size_t t, const std::string& name) const {
    const json& images = want_["images"];
    const auto at = std::find(images.begin(), images.end(), name) - images.begin();
    return want_["probabilities"][t][at].get<double>();
  }
  static std::string name_of(const json& row) {
    const std::string path = testing::json_row_path(row);
    return path.substr(path.rfind('/') + 1);
  }
  // A cutoff halfway between two neighbouring probabilities of texts[t] (none within 1e-4).
  double cutoff(size_t t) const {
    std::vector<double> p = want_["probabilities"][t].get<std::vector<double>>();
    std::sort(p.begin(), p.end());
    for (size_t i = p.size() / 2; i + 1 < p.size(); ++i) {
      if (p[i + 1] - p[i] > 2e-4) return (p[i] + p[i + 1]) / 2;
    }
    ADD_FAILURE() << "no gap in the probabilities of text " << t;
    return 0.5;
  }

  Reference* ref_ = nullptr;
  json want_;
  std::string db_;
};

TEST_P(SiglipCli, TokenizeGivesSiglipTokenizersPaddedIds) {
  for (size_t t = 0; t < want_["texts"].size(); ++t) {
    auto r = run({"tokenize", "--model", model(), want_["texts"][t]});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(json::parse(r.out)["ids"], want_["text_ids"][t]) << want_["texts"][t];
  }
}

TEST_P(SiglipCli, SimilarityGivesTheReferenceSigmoidProbabilities) {
  std::vector<std::string> args = {"similarity", "--model", model(), "--json"};
  for (const auto& name : want_["images"]) args.insert(args.end(), {"--image", picture(name)});
  for (const auto& text : want_["texts"]) args.insert(args.end(), {"--text", text});
  auto r = run(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = json_lines(r.out);
  ASSERT_EQ(rows.size(), want_["images"].size());
  for (const json& row : rows) {
    const std::string path = row["image"];
    const std::string name = path.substr(path.rfind('/') + 1);
    ASSERT_EQ(row["texts"].size(), want_["texts"].size());
    for (size_t t = 0; t < want_["texts"].size(); ++t) {
      // Each text on its own: SigLIP's probabilities need not add up to one.
      EXPECT_NEAR(row["texts"][t]["probability"].get<double>(), probability(t, name), 1e-5)
          << name << " / " << want_["texts"][t];
    }
  }
}

TEST_P(SiglipCli, TextSearchScoresAreProbabilitiesAndMinScoreIsOne) {
  for (size_t t = 0; t < want_["texts"].size(); ++t) {
    SCOPED_TRACE(want_["texts"][t].get<std::string>());
    auto all = run({"search", "--db", db_, "--model", model(), "--all", "--json", "-k", "100",
                    want_["texts"][t]});
    ASSERT_EQ(all.exit_code, 0) << all.err;
    const auto rows = json_lines(all.out);
    ASSERT_EQ(rows.size(), want_["images"].size());
    double previous = 2;
    for (const json& row : rows) {
      EXPECT_EQ(row["score_kind"], "probability");
      EXPECT_NEAR(row["score"].get<double>(), probability(t, name_of(row)), 1e-5);
      EXPECT_LE(row["score"].get<double>(), previous + 1e-7);  // best first
      previous = row["score"].get<double>();
    }
    const double p = cutoff(t);
    auto cut = run({"search", "--db", db_, "--model", model(), "--all", "--json", "-k", "100",
                    "--min-score", std::to_string(p), want_["texts"][t]});
    ASSERT_EQ(cut.exit_code, 0) << cut.err;
    std::set<std::string> got, want;
    for (const json& row : json_lines(cut.out)) got.insert(name_of(row));
    for (const auto& name : want_["images"]) {
      if (probability(t, name) >= p) want.insert(name);
    }
    EXPECT_EQ(got, want) << "--min-score " << p;
    EXPECT_FALSE(want.empty());
    EXPECT_LT(want.size(), want_["images"].size());
  }
}

TEST_P(SiglipCli, AMixedQueryIsScoredByCosine) {
  auto r = run(
      {"search", "--db", db_, "--model", model(), "--all", "--json", "red car", "--not", "snow"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = json_lines(r.out);
  ASSERT_FALSE(rows.empty());
  for (const json& row : rows) EXPECT_EQ(row["score_kind"], "cosine");
}

TEST_P(SiglipCli, ClassifyGivesEachLabelsOwnProbability) {
  // With the template "{}" a label's prompt is the label itself: its probability is the
  // reference's for that text.
  const std::string name = want_["images"][2];
  auto r = run({"classify", "--model", model(), "--labels", "red car,snow", "--template", "{}",
                "--json", picture(name)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json got = json::parse(r.out);
  std::map<std::string, double> by_label;
  for (const json& l : got["labels"]) by_label[l["label"]] = l["probability"];
  ASSERT_EQ(by_label.size(), 2u);
  EXPECT_NEAR(by_label["red car"], probability(0, name), 1e-5);
  EXPECT_NEAR(by_label["snow"], probability(1, name), 1e-5);
}

TEST_P(SiglipCli, AlbumThresholdsAreProbabilities) {
  const double p = cutoff(0);
  const std::string themes = dir().file("themes.json");
  testing::write_file(themes, json{{"threshold", p},
                                   {"templates", {"{}"}},
                                   {"themes", {{{"name", "cars"}, {"keywords", {"red car"}}}}}}
                                  .dump());
  auto r = run({"albums", "--db", db_, "--model", model(), "--themes", themes});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::set<std::string> got, want;
  for (const json& album : json_lines(r.out)) {
    ASSERT_EQ(album["album"], "cars");
    for (const json& image : album["images"]) got.insert(name_of(image));
  }
  for (const auto& name : want_["images"]) {
    if (probability(0, name) >= p) want.insert(name);
  }
  EXPECT_EQ(got, want) << "threshold " << p;
  // A threshold outside 0..1 is no probability: refused, naming the theme.
  testing::write_file(
      themes, json{{"threshold", -0.5}, {"themes", {{{"name", "cars"}, {"keywords", {"red car"}}}}}}
                  .dump());
  auto bad = run({"albums", "--db", db_, "--model", model(), "--themes", themes});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("probabilit"), std::string::npos) << bad.err;
}

INSTANTIATE_TEST_SUITE_P(Tokenizers, SiglipCli,
                         ::testing::Values("siglip_search", "siglip2_search"));

}  // namespace
}  // namespace clipsearch
